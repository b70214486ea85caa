package telephony

import (
	"encoding/binary"
	"os"
	"testing"
	"time"
)

// TestRecorder_BatchesKeepEveryFrame: frames go to the disk in batches;
// a call that ends mid-batch keeps its last frames, both channels stay in
// order, and paused frames are silent on both.
func TestRecorder_BatchesKeepEveryFrame(t *testing.T) {
	for _, frames := range []int{1, recordBatch - 1, recordBatch, 2*recordBatch + 3} {
		r, err := startRecording(t.TempDir(), "call-batch@test", time.Now(), nil)
		if err != nil {
			t.Fatal(err)
		}
		caller, agent := make([]int16, rtpSamples), make([]int16, rtpSamples)
		for i := range frames {
			for j := range caller {
				caller[j], agent[j] = int16(i+1), -int16(i+1)
			}
			r.paused.Store(i == 1)
			r.frame(caller, agent)
		}
		rec, err := r.finish()
		if err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(rec.Path)
		if err != nil {
			t.Fatal(err)
		}
		data := raw[wavHeaderSize:]
		if want := frames * rtpSamples * 4; len(data) != want || int(binary.LittleEndian.Uint32(raw[40:])) != want {
			t.Fatalf("%d frames: %d bytes of samples (header says %d), want %d", frames, len(data), binary.LittleEndian.Uint32(raw[40:]), want)
		}
		for i := range frames {
			at := i * rtpSamples * 4
			l, rr := int16(binary.LittleEndian.Uint16(data[at:])), int16(binary.LittleEndian.Uint16(data[at+2:]))
			wantL, wantR := int16(i+1), -int16(i+1)
			if i == 1 {
				wantL, wantR = 0, 0
			}
			if l != wantL || rr != wantR {
				t.Fatalf("%d frames: frame %d is %d/%d, want %d/%d", frames, i, l, rr, wantL, wantR)
			}
		}
		if rec.Duration != time.Duration(frames)*rtpFrame {
			t.Errorf("%d frames: duration %v", frames, rec.Duration)
		}
	}
}
