// Package audio is the desk's sound card: the agent's headset (capture and
// playback), a separate ring device, levels for a meter, a ringtone, a test
// tone and a self-check. Everything it hands out is 8 kHz mono 16-bit PCM in
// 20 ms frames, the rate of G.711; the device layer (miniaudio through
// malgo: WASAPI on Windows, PulseAudio or ALSA on Linux) converts to and
// from what the hardware runs at.
//
// Devices are chosen by name (empty: the system default) and opened only
// while they are needed. A device that fails or is unplugged is reopened
// with backoff; a missing device is a reported state, never a reason for the
// phone to stop working. Backend is the seam for tests: audiotest has a
// fake sound card.
package audio

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Rate is the sample rate of every sample this package reads or writes.
const Rate = 8000

// FrameSamples is one 20 ms frame at Rate.
const FrameSamples = Rate / 50

// FrameDuration is the length of one frame.
const FrameDuration = 20 * time.Millisecond

// Kind is the direction of a device.
type Kind int

// Device directions.
const (
	Capture Kind = iota + 1
	Playback
)

// String is "capture" or "playback".
func (k Kind) String() string {
	if k == Capture {
		return "capture"
	}
	return "playback"
}

// Role is what the desk uses a device for.
type Role int

// The three devices a desk chooses separately.
const (
	RoleInput  Role = iota + 1 // the headset microphone
	RoleOutput                 // the headset earpiece
	RoleRing                   // where the ringtone plays (often the PC's speaker)
)

// String is "input", "output" or "ring".
func (r Role) String() string {
	switch r {
	case RoleInput:
		return "input"
	case RoleOutput:
		return "output"
	case RoleRing:
		return "ring"
	}
	return "unknown"
}

// Kind is the device direction a role needs.
func (r Role) Kind() Kind {
	if r == RoleInput {
		return Capture
	}
	return Playback
}

// Device is one sound device the system offers.
type Device struct {
	// ID is the backend's identifier (PulseAudio's sink or source name,
	// WASAPI's endpoint ID); stable while the device is plugged in.
	ID string `json:"id"`
	// Name is the human name ("Jabra Evolve 40", "Built-in Audio").
	Name string `json:"name"`
	// Default is true for the system's default device of its kind.
	Default bool `json:"default"`
}

// Config chooses the devices. Names match a device's Name or ID exactly,
// else a unique case-insensitive part of its Name; empty means the
// system default.
type Config struct {
	Input  string `json:"input"`
	Output string `json:"output"`
	Ring   string `json:"ring"`
	// Volume scales what the agent hears, 0..1; 0 means 1 (full). Use
	// SetVolume to change it while running.
	Volume float64 `json:"volume,omitempty"`
	// RingVolume scales the ringtone, 0..1; 0 means 1.
	RingVolume float64 `json:"ring_volume,omitempty"`
}

func (c Config) name(r Role) string {
	switch r {
	case RoleInput:
		return c.Input
	case RoleOutput:
		return c.Output
	}
	return c.Ring
}

// Errors. A *DeviceError wraps one of them, naming the role and device.
var (
	// ErrNoDevice is returned when the system has no sound device of the
	// kind needed at all (no sound card, no audio server).
	ErrNoDevice = errors.New("audio: no sound device")
	// ErrDeviceNotFound is returned when the configured device name matches
	// no device (unplugged, or misspelt).
	ErrDeviceNotFound = errors.New("audio: device not found")
	// ErrAmbiguous is returned when a configured name is part of several
	// device names.
	ErrAmbiguous = errors.New("audio: device name matches several devices")
	// ErrDeviceFailed is returned when a device stopped by itself
	// (unplugged while open, audio server gone) or stopped delivering.
	ErrDeviceFailed = errors.New("audio: device failed")
	// ErrClosed is returned after Sound.Close.
	ErrClosed = errors.New("audio: closed")
)

// DeviceError says which device of which role failed and why; errors.Is
// finds the sentinel (ErrNoDevice, ErrDeviceNotFound…) inside.
type DeviceError struct {
	Role Role
	Name string // as configured; empty for the default device
	Err  error
}

func (e *DeviceError) Error() string {
	name := e.Name
	if name == "" {
		name = "default"
	}
	return fmt.Sprintf("audio %s device %q: %v", e.Role, name, e.Err)
}

func (e *DeviceError) Unwrap() error { return e.Err }

// Level maps the RMS of samples to the 0..1 scale of a level meter: 0 is
// −60 dBFS or quieter, 1 is full scale, linear in dB between.
func Level(samples []int16) float64 {
	return levelOf(RMS(samples))
}

func levelOf(rms float64) float64 {
	if rms <= 0 {
		return 0
	}
	db := 20 * math.Log10(rms)
	return math.Max(0, math.Min(1, (db+60)/60))
}

// RMS is the root mean square of samples, relative to full scale (0..1).
func RMS(samples []int16) float64 {
	if len(samples) == 0 {
		return 0
	}
	var sum float64
	for _, s := range samples {
		v := float64(s) / 32768
		sum += v * v
	}
	return math.Sqrt(sum / float64(len(samples)))
}

// DBFS is an RMS (0..1) in dB relative to full scale; −120 for silence.
func DBFS(rms float64) float64 {
	if rms <= 1e-6 {
		return -120
	}
	return 20 * math.Log10(rms)
}

// ToneShare is the share (0..1) of the power of samples that lies at freq
// Hz (a Goertzel filter at rate Hz): about 1 for a clean tone at freq, near
// 0 for another tone or for silence.
func ToneShare(samples []int16, rate int, freq float64) float64 {
	n := len(samples)
	if n == 0 {
		return 0
	}
	k := math.Round(float64(n) * freq / float64(rate))
	w := 2 * math.Pi * k / float64(n)
	coeff := 2 * math.Cos(w)
	var s1, s2, total float64
	for _, x := range samples {
		v := float64(x)
		total += v * v
		s0 := v + coeff*s1 - s2
		s2, s1 = s1, s0
	}
	if total == 0 {
		return 0
	}
	power := s1*s1 + s2*s2 - coeff*s1*s2
	// A pure tone on bin k holds total*n/2 of Goertzel power.
	return math.Min(1, power/(total*float64(n)/2))
}

// Tone fills out with a sine of freq Hz at amplitude amp (0..1 of full
// scale), continuing from phase (radians), and returns the phase to
// continue from.
func Tone(out []int16, freq, amp, phase float64) float64 {
	step := 2 * math.Pi * freq / Rate
	for i := range out {
		out[i] = int16(amp * 32767 * math.Sin(phase))
		phase += step
		if phase > 2*math.Pi {
			phase -= 2 * math.Pi
		}
	}
	return phase
}
