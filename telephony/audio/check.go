package audio

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Test tone of the self-check.
const (
	CheckToneHz   = 1000
	checkToneAmp  = 0.25 // −12 dBFS
	checkDuration = time.Second
	ringDuration  = 600 * time.Millisecond
)

// CheckDevice is one role's result in a CheckReport.
type CheckDevice struct {
	Device
	// OK is true when the device opened and ran for the whole check.
	OK bool `json:"ok"`
	// Code names the problem for a translated message: "no_device",
	// "not_found", "ambiguous" or "failed"; empty when OK.
	Code string `json:"code,omitempty"`
	// Error is the problem in English, for logs and deskctl.
	Error string `json:"error,omitempty"`
}

// CheckReport is what Check found.
type CheckReport struct {
	Input  CheckDevice `json:"input"`
	Output CheckDevice `json:"output"`
	Ring   CheckDevice `json:"ring"`
	// ToneHz is the test tone played on the output.
	ToneHz float64 `json:"tone_hz"`
	// TonePlayed is true when the output took the whole test tone.
	TonePlayed bool `json:"tone_played"`
	// RingPlayed is true when the ring device took the whole test ring.
	RingPlayed bool `json:"ring_played"`
	// InputLevel is the microphone's level during the check, 0..1 on
	// Level's scale (speak into it: it should move well above 0).
	InputLevel float64 `json:"input_level"`
	// InputDBFS is the same as an RMS in dB below full scale.
	InputDBFS float64 `json:"input_dbfs"`
	// InputPeak is the loudest sample, 0..1 of full scale.
	InputPeak float64 `json:"input_peak"`
	// ToneHeard is true when the test tone came back on the input (a
	// loopback cable or a headset that feeds the earpiece into the mic).
	ToneHeard bool `json:"tone_heard"`
}

// ErrorCode names an audio error for a translated message: "no_device",
// "not_found", "ambiguous", "failed"; "" for nil.
func ErrorCode(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrNoDevice):
		return "no_device"
	case errors.Is(err, ErrDeviceNotFound):
		return "not_found"
	case errors.Is(err, ErrAmbiguous):
		return "ambiguous"
	}
	return "failed"
}

// Check is the audio self-check: it plays a 1 kHz test tone on the output
// for a second while it listens on the input, then a short ring on the
// ring device. The report says what each device did; the error (typed:
// *DeviceError around ErrNoDevice, ErrDeviceNotFound…) is set when a device
// could not be used. ctx cuts the check short. WithBackend and WithLogger
// apply.
func Check(ctx context.Context, cfg Config, opts ...Option) (CheckReport, error) {
	s := &Sound{log: slog.Default()}
	for _, o := range opts {
		o(s)
	}
	be := s.be
	if be == nil {
		be = NewBackend(s.log)
		defer be.Close()
	}
	rep := CheckReport{ToneHz: CheckToneHz}

	inDev, inErr := Resolve(be, cfg, RoleInput)
	outDev, outErr := Resolve(be, cfg, RoleOutput)
	ringDev, ringErr := Resolve(be, cfg, RoleRing)
	rep.Input.Device, rep.Output.Device, rep.Ring.Device = inDev, outDev, ringDev

	var (
		mu       sync.Mutex
		captured []int16
		played   int
	)
	want := int(checkDuration / time.Second * Rate)
	var in, out Stream
	if inErr == nil {
		in, inErr = openStarted(be, Capture, RoleInput, cfg, inDev, func(p []int16) {
			mu.Lock()
			if len(captured) < want {
				captured = append(captured, p...)
			}
			mu.Unlock()
		})
	}
	if outErr == nil {
		phase := 0.0
		out, outErr = openStarted(be, Playback, RoleOutput, cfg, outDev, func(p []int16) {
			mu.Lock()
			defer mu.Unlock()
			if played >= want {
				clear(p)
				return
			}
			phase = Tone(p, CheckToneHz, checkToneAmp, phase)
			played += len(p)
		})
	}
	if in != nil || out != nil {
		failedIn, failedOut := failedOf(in), failedOf(out)
		// A device may take a moment to start: wait for the whole tone (and
		// as much input), up to twice its length.
		deadline := time.NewTimer(2 * checkDuration)
		poll := time.NewTicker(50 * time.Millisecond)
	wait:
		for {
			select {
			case <-ctx.Done():
				break wait
			case <-deadline.C:
				break wait
			case <-failedIn:
				inErr = &DeviceError{Role: RoleInput, Name: cfg.Input, Err: ErrDeviceFailed}
				break wait
			case <-failedOut:
				outErr = &DeviceError{Role: RoleOutput, Name: cfg.Output, Err: ErrDeviceFailed}
				break wait
			case <-poll.C:
				mu.Lock()
				done := (out == nil || played >= want) && (in == nil || len(captured) >= want)
				mu.Unlock()
				if done {
					break wait
				}
			}
		}
		deadline.Stop()
		poll.Stop()
		for _, st := range []Stream{in, out} {
			if st != nil {
				_ = st.Close()
			}
		}
	}
	mu.Lock()
	rep.TonePlayed = out != nil && played >= want
	if out != nil && !rep.TonePlayed && outErr == nil {
		outErr = &DeviceError{Role: RoleOutput, Name: cfg.Output, Err: fmt.Errorf("%w: took %d of %d samples", ErrDeviceFailed, played, want)}
	}
	if in != nil {
		if len(captured) < want/2 && inErr == nil {
			inErr = &DeviceError{Role: RoleInput, Name: cfg.Input, Err: fmt.Errorf("%w: delivered %d of %d samples", ErrDeviceFailed, len(captured), want)}
		}
		rms := RMS(captured)
		rep.InputLevel, rep.InputDBFS = levelOf(rms), DBFS(rms)
		var peak int
		for _, v := range captured {
			peak = max(peak, abs(int(v)))
		}
		rep.InputPeak = float64(peak) / 32768
		rep.ToneHeard = rms > 0.003 && toneMostly(captured, CheckToneHz)
	}
	mu.Unlock()

	if ringErr == nil && ctx.Err() == nil {
		rep.RingPlayed, ringErr = checkRing(ctx, be, cfg, ringDev)
	}
	fill(&rep.Input, inErr)
	fill(&rep.Output, outErr)
	fill(&rep.Ring, ringErr)
	if err := errors.Join(inErr, outErr, ringErr); err != nil {
		return rep, err
	}
	return rep, ctx.Err()
}

func checkRing(ctx context.Context, be Backend, cfg Config, dev Device) (bool, error) {
	var (
		mu     sync.Mutex
		rt     Ringtone
		played int
	)
	want := int(ringDuration / time.Millisecond * Rate / 1000)
	st, err := openStarted(be, Playback, RoleRing, cfg, dev, func(p []int16) {
		mu.Lock()
		defer mu.Unlock()
		rt.Fill(p)
		played += len(p)
	})
	if err != nil {
		return false, err
	}
	deadline := time.NewTimer(2 * ringDuration)
	poll := time.NewTicker(50 * time.Millisecond)
wait:
	for {
		select {
		case <-ctx.Done():
			break wait
		case <-deadline.C:
			break wait
		case <-st.Failed():
			err = &DeviceError{Role: RoleRing, Name: cfg.Ring, Err: ErrDeviceFailed}
			break wait
		case <-poll.C:
			mu.Lock()
			done := played >= want
			mu.Unlock()
			if done {
				break wait
			}
		}
	}
	deadline.Stop()
	poll.Stop()
	_ = st.Close()
	mu.Lock()
	defer mu.Unlock()
	return played >= want, err
}

func openStarted(be Backend, k Kind, r Role, cfg Config, dev Device, cb func([]int16)) (Stream, error) {
	st, err := be.Open(k, dev.ID, cb)
	if err != nil {
		return nil, &DeviceError{Role: r, Name: cfg.name(r), Err: fmt.Errorf("%w: %v", ErrDeviceFailed, err)}
	}
	if err := st.Start(); err != nil {
		_ = st.Close()
		return nil, &DeviceError{Role: r, Name: cfg.name(r), Err: fmt.Errorf("%w: %v", ErrDeviceFailed, err)}
	}
	return st, nil
}

func failedOf(st Stream) <-chan struct{} {
	if st == nil {
		return nil
	}
	return st.Failed()
}

func fill(d *CheckDevice, err error) {
	d.OK = err == nil
	d.Code = ErrorCode(err)
	if err != nil {
		d.Error = err.Error()
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// toneMostly says whether most 100 ms windows of samples hold freq: a
// dropout in a busy sound server spoils a window, not the verdict.
func toneMostly(samples []int16, freq float64) bool {
	const win = Rate / 10
	n, hit := 0, 0
	for i := 0; i+win <= len(samples); i += win {
		n++
		if ToneShare(samples[i:i+win], Rate, freq) >= 0.5 {
			hit++
		}
	}
	return n > 0 && 2*hit > n
}
