package audio

import (
	"errors"
	"fmt"
	"math"
	"testing"
	"time"
)

func TestFind(t *testing.T) {
	devs := []Device{
		{ID: "alsa_output.usb-Jabra_Evolve_40", Name: "Jabra Evolve 40 Analog Stereo"},
		{ID: "alsa_output.pci-0000_00_1f.3", Name: "Built-in Audio Analog Stereo", Default: true},
		{ID: "alsa_output.usb-Jabra_Link_380", Name: "Jabra Link 380"},
	}
	tests := map[string]struct {
		devs    []Device
		name    string
		want    string
		wantErr error
	}{
		"default":             {devs: devs, name: "", want: "alsa_output.pci-0000_00_1f.3"},
		"exact id":            {devs: devs, name: "alsa_output.usb-Jabra_Link_380", want: "alsa_output.usb-Jabra_Link_380"},
		"exact name":          {devs: devs, name: "Jabra Link 380", want: "alsa_output.usb-Jabra_Link_380"},
		"unique part of name": {devs: devs, name: "evolve", want: "alsa_output.usb-Jabra_Evolve_40"},
		"ambiguous part":      {devs: devs, name: "jabra", wantErr: ErrAmbiguous},
		"not found":           {devs: devs, name: "Plantronics", wantErr: ErrDeviceNotFound},
		"no devices at all":   {devs: nil, name: "", wantErr: ErrNoDevice},
		"no default flagged":  {devs: devs[:1], name: "", want: ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := find(tc.devs, tc.name)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if err == nil && got.ID != tc.want {
				t.Errorf("found %+v, want ID %q", got, tc.want)
			}
		})
	}
}

func TestDeviceError_NamesRoleAndDevice(t *testing.T) {
	err := error(&DeviceError{Role: RoleRing, Name: "Jabra", Err: ErrDeviceNotFound})
	if !errors.Is(err, ErrDeviceNotFound) {
		t.Error("errors.Is does not find the sentinel")
	}
	if got := err.Error(); got != `audio ring device "Jabra": audio: device not found` {
		t.Errorf("message %q", got)
	}
	if ErrorCode(fmt.Errorf("wrapped: %w", err)) != "not_found" || ErrorCode(nil) != "" || ErrorCode(errors.New("x")) != "failed" {
		t.Error("ErrorCode mapping")
	}
}

func TestRing_ReadFrameDropsBacklog(t *testing.T) {
	q := newRing(1000, 0)
	for i := range 5 { // 5 frames of 100 samples, valued by frame number
		p := make([]int16, 100)
		for j := range p {
			p[j] = int16(i)
		}
		q.write(p)
	}
	out := make([]int16, 100)
	if !q.readFrame(out, time.Now(), 50) {
		t.Fatal("no frame")
	}
	// 500 held, one frame read and at most 50 kept behind it: the reader is
	// handed recent audio (frame 3 onwards), not the oldest.
	if out[0] != 3 || out[99] != 4 || q.held() != 50 {
		t.Errorf("frame starts with %d, ends with %d, %d held", out[0], out[99], q.held())
	}
	start := time.Now()
	if q.readFrame(out, time.Now().Add(30*time.Millisecond), 50) {
		t.Error("read a frame that was not there")
	}
	if waited := time.Since(start); waited < 25*time.Millisecond {
		t.Errorf("returned after %v, before the deadline", waited)
	}
	for _, v := range out {
		if v != 0 {
			t.Fatal("a missed frame must be silence")
		}
	}
}

func TestRing_WriteOverflowKeepsNewest(t *testing.T) {
	q := newRing(10, 0)
	q.write([]int16{1, 2, 3, 4, 5, 6, 7, 8})
	q.write([]int16{9, 10, 11, 12})
	out := make([]int16, 10)
	q.readLocked(out)
	if out[0] != 3 || out[9] != 12 || q.dropped != 2 {
		t.Errorf("ring holds %v, dropped %d", out, q.dropped)
	}
	q.write(make([]int16, 25)) // larger than the ring itself
	if q.held() != 10 {
		t.Errorf("held %d", q.held())
	}
}

func TestRing_PlayPrimesAfterUnderrun(t *testing.T) {
	q := newRing(1000, 150)
	out := make([]int16, 80)
	q.write(ones(100))
	q.play(out)
	if out[0] != 0 || q.held() != 100 {
		t.Fatal("played before primed")
	}
	q.write(ones(100))
	q.play(out) // 200 held ≥ 150: plays
	q.play(out) // 120 held
	if out[0] != 1 || q.held() != 40 {
		t.Fatalf("out[0]=%d held=%d", out[0], q.held())
	}
	q.play(out) // underrun: 40 samples then silence, and unprimed
	if out[39] != 1 || out[40] != 0 || q.under != 40 {
		t.Errorf("underrun frame %v under %d", out[38:42], q.under)
	}
	q.write(ones(100))
	q.play(out)
	if out[0] != 0 {
		t.Error("played again before primed")
	}
}

func ones(n int) []int16 {
	p := make([]int16, n)
	for i := range p {
		p[i] = 1
	}
	return p
}

func TestToneShareAndLevel(t *testing.T) {
	tone := make([]int16, Rate)
	Tone(tone, 440, 0.5, 0)
	if s := ToneShare(tone, Rate, 440); s < 0.95 {
		t.Errorf("share of 440 in a 440 tone = %.2f", s)
	}
	if s := ToneShare(tone, Rate, 1000); s > 0.05 {
		t.Errorf("share of 1000 in a 440 tone = %.2f", s)
	}
	if s := ToneShare(make([]int16, Rate), Rate, 440); s != 0 {
		t.Errorf("share in silence = %v", s)
	}
	// A sine at amplitude 0.5 has RMS 0.354 (−9 dBFS): level 0.85.
	if l := Level(tone); math.Abs(l-0.85) > 0.01 {
		t.Errorf("level %.3f", l)
	}
	if Level(make([]int16, 160)) != 0 {
		t.Error("silence has a level")
	}
}

func TestRingtone_Cadence(t *testing.T) {
	var rt Ringtone
	out := make([]int16, 3*Rate)
	for i := 0; i < len(out); i += 80 {
		rt.Fill(out[i : i+80])
	}
	on, gap, off := out[:Rate*4/10], out[Rate*45/100:Rate*55/100], out[Rate*11/10:]
	if RMS(on) < 0.1 || RMS(gap) != 0 || RMS(off) != 0 {
		t.Errorf("rms on %.2f gap %.2f off %.2f", RMS(on), RMS(gap), RMS(off))
	}
	if s := ToneShare(on, Rate, 400) + ToneShare(on, Rate, 450); s < 0.9 {
		t.Errorf("ring is not 400+450 Hz: %.2f", s)
	}
}

func TestRing_TrimStandingDelay(t *testing.T) {
	q := newRing(4000, 0)
	q.write(make([]int16, 1000)) // a device that started late
	out := make([]int16, 160)
	for range 50 {
		q.write(make([]int16, 160))
		q.trimStanding(50, 320)
		q.play(out)
	}
	if q.held() > 480 {
		t.Errorf("%d samples still standing after a window", q.held())
	}
	// Bursty but not standing: nothing is dropped.
	q2 := newRing(4000, 0)
	for i := range 100 {
		q2.write(make([]int16, 160))
		q2.trimStanding(50, 320)
		if i%2 == 1 {
			q2.play(make([]int16, 320))
		}
	}
	if q2.dropped != 0 {
		t.Errorf("dropped %d samples of a stream that never stood", q2.dropped)
	}
}
