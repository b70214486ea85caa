//go:build !linux

package audio

import (
	"errors"

	"github.com/gen2brain/malgo"
)

// Elsewhere the device's thread calls the stream's callback through
// malgo; bridge_linux.go says why Linux does not.

var errNoBridge = errors.New("audio: no C bridge on this platform")

type bridge struct{}

func attachBridge(*malgo.AllocatedContext, *malgo.Device, Kind, func([]int16)) (*bridge, error) {
	return nil, errNoBridge
}

func (*bridge) release() {}
func (*bridge) prefill() {}

func tunePlayback(*malgo.AllocatedContext, malgo.Backend) error { return nil }
