package audio

import (
	"fmt"
	"strings"
)

// Backend is the system's sound layer: the malgo one (NewBackend) in the
// product, audiotest's fake in tests. Its methods are safe for concurrent
// use.
type Backend interface {
	// Devices lists the devices of kind k; an empty list and a nil error
	// mean the system has none.
	Devices(k Kind) ([]Device, error)
	// Open prepares device id (empty: the default) of kind k for mono
	// Rate Hz 16-bit samples. cb is called, one call at a time, from the
	// device's own thread (or a goroutine standing in for it, see
	// bridge_linux.go) with each period's samples: captured ones to read,
	// or a buffer to fill for playback. It must not block.
	Open(k Kind, id string, cb func(samples []int16)) (Stream, error)
	// Close releases the backend; open streams must be closed first.
	Close() error
}

// Stream is one open device.
type Stream interface {
	// Start starts the callbacks.
	Start() error
	// Close stops and releases the device; it may be called more than once.
	Close() error
	// Failed is closed when the device stopped by itself (unplugged, audio
	// server gone) rather than by Close.
	Failed() <-chan struct{}
}

// prefiller is a playback Stream that can take its next period ahead of
// the device's request, on the caller's goroutine (the Linux bridge's
// earpiece): Sound.WriteFrame hands it over as the call clock ticks.
type prefiller interface {
	prefill()
}

// find picks the device a configured name means: "" is the default (the
// device flagged default, else the backend's own default); an exact ID or
// Name match wins; else a unique case-insensitive part of a Name.
func find(devs []Device, name string) (Device, error) {
	if len(devs) == 0 {
		return Device{}, ErrNoDevice
	}
	if name == "" {
		for _, d := range devs {
			if d.Default {
				return d, nil
			}
		}
		// No flag: let the backend open its default.
		return Device{Name: "default"}, nil
	}
	for _, d := range devs {
		if d.ID == name || d.Name == name {
			return d, nil
		}
	}
	var hits []Device
	low := strings.ToLower(name)
	for _, d := range devs {
		if strings.Contains(strings.ToLower(d.Name), low) {
			hits = append(hits, d)
		}
	}
	switch len(hits) {
	case 0:
		return Device{}, ErrDeviceNotFound
	case 1:
		return hits[0], nil
	}
	names := make([]string, len(hits))
	for i, d := range hits {
		names[i] = d.Name
	}
	return Device{}, fmt.Errorf("%w: %s", ErrAmbiguous, strings.Join(names, ", "))
}

// Resolve finds the device cfg names for role among what b offers.
func Resolve(b Backend, cfg Config, r Role) (Device, error) {
	devs, err := b.Devices(r.Kind())
	if err != nil {
		return Device{}, &DeviceError{Role: r, Name: cfg.name(r), Err: fmt.Errorf("%w: %v", ErrNoDevice, err)}
	}
	d, err := find(devs, cfg.name(r))
	if err != nil {
		return Device{}, &DeviceError{Role: r, Name: cfg.name(r), Err: err}
	}
	return d, nil
}
