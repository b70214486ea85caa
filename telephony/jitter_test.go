package telephony

import (
	"testing"

	"agentdesk/telephony/audio"
)

// toneFrames makes n 20 ms frames of a continuous sine.
func toneFrames(n int, freq float64) [][]int16 {
	out := make([][]int16, n)
	phase := 0.0
	for i := range out {
		out[i] = make([]int16, rtpSamples)
		phase = audio.Tone(out[i], freq, 0.3, phase)
	}
	return out
}

// playout pushes frames (nil: lost) one per pop, as a steady network
// would, and returns what was popped.
func playout(j *jitterBuffer, frames [][]int16, extraPops int) [][]int16 {
	var out [][]int16
	for i, f := range frames {
		if f != nil {
			j.push(uint32(1000+i*rtpSamples), f)
		}
		p := make([]int16, rtpSamples)
		j.pop(p)
		out = append(out, p)
	}
	for range extraPops {
		p := make([]int16, rtpSamples)
		j.pop(p)
		out = append(out, p)
	}
	return out
}

func join(frames [][]int16) []int16 {
	var out []int16
	for _, f := range frames {
		out = append(out, f...)
	}
	return out
}

func TestJitterBuffer_InOrderIsDelayedNotChanged(t *testing.T) {
	j := newJitterBuffer()
	in := toneFrames(20, 440)
	out := playout(j, in, 0)
	// It waits for a frame plus the cushion, then plays every sample as sent.
	lead := 0
	for lead < len(out) && audio.RMS(out[lead]) == 0 {
		lead++
	}
	if lead == 0 || lead > 3 {
		t.Fatalf("started after %d frames", lead)
	}
	for i := range in {
		if i+lead >= len(out) {
			break
		}
		for k := range in[i] {
			if out[i+lead][k] != in[i][k] {
				t.Fatalf("frame %d sample %d changed", i, k)
			}
		}
	}
	if st := j.stats(); st.Concealed != 0 || st.Late != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestJitterBuffer_ReorderAndDuplicates(t *testing.T) {
	j := newJitterBuffer()
	in := toneFrames(6, 440)
	for _, i := range []int{0, 2, 1, 1, 3, 5, 4, 4} {
		j.push(uint32(i*rtpSamples), in[i])
	}
	var got []int16
	for range 6 {
		p := make([]int16, rtpSamples)
		j.pop(p)
		got = append(got, p...)
	}
	if want := join(in); !equal(got, want) {
		t.Error("reordered packets did not come out in order")
	}
	if st := j.stats(); st.Dropped != 2 {
		t.Errorf("duplicates dropped %d, want 2", st.Dropped)
	}
}

func equal(a, b []int16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestJitterBuffer_LossIsConcealed(t *testing.T) {
	in := toneFrames(30, 440)
	lost := 15
	in[lost] = nil
	j := newJitterBuffer()
	out := playout(j, in, 0)
	lead := 0
	for audio.RMS(out[lead]) == 0 {
		lead++
	}
	gap := out[lost+lead]
	if audio.RMS(gap) < 0.15 {
		t.Errorf("the lost frame is near silence (rms %.3f): not concealed", audio.RMS(gap))
	}
	// Around the gap the 440 Hz tone goes on: a skip or a hole would
	// spread its power over other frequencies.
	around := join(out[lost+lead-2 : lost+lead+3])
	if share := audio.ToneShare(around, audio.Rate, 440); share < 0.8 {
		t.Errorf("tone share across the concealed frame %.2f", share)
	}
	if st := j.stats(); st.Concealed != 1 {
		t.Errorf("concealed %d frames", st.Concealed)
	}
}

func TestJitterBuffer_LongLossFadesToSilence(t *testing.T) {
	in := toneFrames(30, 440)
	for i := 10; i < 16; i++ {
		in[i] = nil
	}
	j := newJitterBuffer()
	out := playout(j, in, 3)
	lead := 0
	for audio.RMS(out[lead]) == 0 {
		lead++
	}
	first, fourth := audio.RMS(out[10+lead]), audio.RMS(out[13+lead])
	if first < 0.15 || fourth != 0 {
		t.Errorf("rms of 1st lost frame %.3f (want concealed), 4th %.3f (want faded out)", first, fourth)
	}
	if audio.RMS(out[16+lead]) < 0.15 {
		t.Error("audio did not come back after the loss")
	}
}

func TestJitterBuffer_LatePacketGrowsCushion(t *testing.T) {
	j := newJitterBuffer()
	in := toneFrames(10, 440)
	start := j.stats().MarginMs
	for i := range 5 {
		j.push(uint32(i*rtpSamples), in[i])
		j.pop(make([]int16, rtpSamples))
	}
	// Frames 5 and 6 are late: their turns come before they do.
	j.pop(make([]int16, rtpSamples))
	j.pop(make([]int16, rtpSamples))
	j.pop(make([]int16, rtpSamples))
	j.push(uint32(5*rtpSamples), in[5])
	if st := j.stats(); st.MarginMs <= start {
		t.Errorf("cushion %d ms after a late packet (was %d)", st.MarginMs, start)
	}
}

// numbered makes n frames, each holding its own value throughout, so a
// test can tell which frame was played.
func numbered(n int) [][]int16 {
	out := make([][]int16, n)
	for i := range out {
		out[i] = make([]int16, rtpSamples)
		for k := range out[i] {
			out[i][k] = int16(8 * (i + 1))
		}
	}
	return out
}

// steadyUntil pushes frames [0, n) each just before a pop, as a steady
// network whose packets land just before the call clock's tick would.
func steadyUntil(j *jitterBuffer, in [][]int16, n int) {
	p := make([]int16, rtpSamples)
	for i := range n {
		j.push(uint32(i*rtpSamples), in[i])
		j.pop(p)
	}
}

// playsInTurn pushes frames [from, to) each just before a pop and fails
// unless each pop plays the frame just pushed; after says what came before.
func playsInTurn(t *testing.T, j *jitterBuffer, in [][]int16, from, to int, after string) {
	t.Helper()
	p := make([]int16, rtpSamples)
	for i := from; i < to; i++ {
		j.push(uint32(i*rtpSamples), in[i])
		j.pop(p)
		if got := playedFrame(p); got != i {
			t.Fatalf("%s, the tick that got frame %d played frame %d (-1: parts of two)", after, i, got)
		}
	}
}

// playedFrame tells which of numbered's frames p is (from its tail, past a
// cross-fade), or -1.
func playedFrame(p []int16) int {
	v := p[len(p)-1]
	for _, s := range p[jbCrossfade:] {
		if s != v {
			return -1
		}
	}
	return int(v)/8 - 1
}

// TestJitterBuffer_SteadyNetworkNeedsNoCushion: when every packet comes
// before its tick, a cushion would only delay the voice. Some seconds in,
// each tick plays the packet that has just come.
func TestJitterBuffer_SteadyNetworkNeedsNoCushion(t *testing.T) {
	j := newJitterBuffer()
	in := numbered(400)
	steadyUntil(j, in, 300)
	playsInTurn(t, j, in, 300, 310, "after 6 s on a steady network")
}

// TestJitterBuffer_LatePacketPlaysWhole: with no cushion, a packet that
// comes after its tick is concealed for that tick and then played whole,
// one frame later than it would have been: the delay grows by its
// lateness and no audio is thrown away.
func TestJitterBuffer_LatePacketPlaysWhole(t *testing.T) {
	j := newJitterBuffer()
	in := numbered(400)
	steadyUntil(j, in, 300)
	p := make([]int16, rtpSamples)
	if concealed := j.pop(p); !concealed { // frame 300's turn; it is late
		t.Fatal("a tick with nothing come was not concealed")
	}
	playsInTurn(t, j, in, 300, 310, "after frame 300 came late")
	if st := j.stats(); st.Late != 0 || st.Concealed != 1 {
		t.Errorf("late %d, concealed %d: want the late packet played and one frame concealed", st.Late, st.Concealed)
	}
}

// TestJitterBuffer_LostPacketAddsNoDelay: with no cushion, a packet that
// never comes is concealed for its tick, and the next packet plays on its
// own tick: the playout point that stood still skips the gap.
func TestJitterBuffer_LostPacketAddsNoDelay(t *testing.T) {
	j := newJitterBuffer()
	in := numbered(400)
	steadyUntil(j, in, 300)
	p := make([]int16, rtpSamples)
	j.pop(p) // frame 300 is lost
	playsInTurn(t, j, in, 301, 310, "after a lost packet")
}

func TestJitterBuffer_ShrinksAnOversizedCushion(t *testing.T) {
	j := newJitterBuffer()
	in := toneFrames(jbWindow+40, 440)
	// A burst of 10 frames, then one frame per pop: the cushion stays 180
	// ms, far more than needed, until the buffer drops some.
	for i := range 10 {
		j.push(uint32(i*rtpSamples), in[i])
	}
	depth := func() int { return diff(j.newest, j.next) }
	before := 0
	for i := 10; i < len(in); i++ {
		j.push(uint32(i*rtpSamples), in[i])
		j.pop(make([]int16, rtpSamples))
		if i == 11 {
			before = depth()
		}
	}
	if after := depth(); after >= before {
		t.Errorf("depth %d samples after a window, %d before", after, before)
	}
}

func TestJitterBuffer_RestartsOnTimestampJump(t *testing.T) {
	j := newJitterBuffer()
	in := toneFrames(10, 440)
	for i := range 5 {
		j.push(uint32(i*rtpSamples), in[i])
		j.pop(make([]int16, rtpSamples))
	}
	for i := 5; i < 10; i++ {
		j.push(uint32(900000+i*rtpSamples), in[i])
		j.pop(make([]int16, rtpSamples))
	}
	if st := j.stats(); st.Late != 0 {
		t.Errorf("a new timeline was taken as late packets: %+v", st)
	}
	p := make([]int16, rtpSamples)
	j.pop(p)
	if audio.RMS(p) < 0.15 {
		t.Error("nothing plays after the timestamp jump")
	}
}

func BenchmarkJitterBuffer_PushPop(b *testing.B) {
	j := newJitterBuffer()
	f := toneFrames(1, 440)[0]
	p := make([]int16, rtpSamples)
	for i := range b.N {
		j.push(uint32(i*rtpSamples), f)
		j.pop(p)
	}
}

// TestJitterBuffer_SenderStallResyncs: a sender that stops for half a
// second and goes on where its timestamps left off is behind the playout
// clock from then on; the buffer must follow it, not drop it all.
func TestJitterBuffer_SenderStallResyncs(t *testing.T) {
	j := newJitterBuffer()
	in := toneFrames(60, 440)
	p := make([]int16, rtpSamples)
	for i := range 20 {
		j.push(uint32(i*rtpSamples), in[i])
		j.pop(p)
	}
	for range 25 { // 500 ms of nothing
		j.pop(p)
	}
	var after []int16
	for i := 20; i < 60; i++ {
		j.push(uint32(i*rtpSamples), in[i])
		j.pop(p)
		after = append(after, p...)
	}
	if rms := audio.RMS(after[len(after)/2:]); rms < 0.15 {
		t.Errorf("after the stall the buffer plays rms %.3f: it dropped the sender as late", rms)
	}
}

// TestJitterBuffer_CushionComesBack: after a burst of late packets the
// cushion grows, and once packets are on time again it shrinks back.
func TestJitterBuffer_CushionComesBack(t *testing.T) {
	j := newJitterBuffer()
	in := toneFrames(1200, 440)
	p := make([]int16, rtpSamples)
	i := 0
	for ; i < 20; i++ {
		j.push(uint32(i*rtpSamples), in[i])
		j.pop(p)
	}
	// Four times, the network holds three frames back and then delivers
	// them at once: the first comes after its turn.
	for range 4 {
		j.pop(p)
		j.pop(p)
		j.pop(p)
		for range 3 {
			j.push(uint32(i*rtpSamples), in[i])
			i++
		}
	}
	grown := j.stats().MarginMs
	for ; i < len(in); i++ {
		j.push(uint32(i*rtpSamples), in[i])
		j.pop(p)
	}
	if back := j.stats().MarginMs; grown <= 20 || back >= grown || back > 40 {
		t.Errorf("cushion %d ms after the late packets, %d ms 20 s later", grown, back)
	}
	if d := diff(j.newest, j.next); d > 3*jbFrame {
		t.Errorf("still %d samples buffered once the network is steady", d)
	}
}

// TestJitterBuffer_HalfPacketOutOfPhaseRealigns: the playout point sits
// half a packet ahead of the arrivals with no cushion (the shrinking step
// dropped 10 ms, then the network tightened), so each frame is due before
// its second half has come. The buffer must move its playout point back to
// the packets' own boundaries and play whole packets again, not play half
// of every packet and silence for the rest of the call.
func TestJitterBuffer_HalfPacketOutOfPhaseRealigns(t *testing.T) {
	j := newJitterBuffer()
	in := toneFrames(60, 440)
	p := make([]int16, rtpSamples)
	for i := range 3 {
		j.push(uint32(i*rtpSamples), in[i])
	}
	j.pop(p) // started, cushion one frame
	j.pop(p)
	j.next += rtpSamples / 2 // half a packet ahead of the sender
	var tail []int16
	for i := 3; i < len(in); i++ {
		j.pop(p) // due before packet i arrives
		j.push(uint32(i*rtpSamples), in[i])
		if i >= len(in)-20 {
			tail = append(tail, p...)
		}
	}
	// Count 10 ms stretches of silence in the last 400 ms played.
	silent := 0
	for k := 0; k+80 <= len(tail); k += 80 {
		if audio.RMS(tail[k:k+80]) < 0.05 {
			silent++
		}
	}
	if silent > 0 {
		t.Errorf("%d of %d 10 ms stretches silent at the end: the buffer still plays half of each packet", silent, len(tail)/80)
	}
}

// TestJitterBuffer_PacketsAtTheTickBackOff: the packets land right at the
// call clock's tick, and every 3 s one comes just after it. With no
// cushion that one is late; a cushion of one packet covers it. A window
// (2 s) without lateness is shorter than 3 s, so each time the buffer
// drops that packet of cushion again it buys a glitch: it must stop
// trying so often.
func TestJitterBuffer_PacketsAtTheTickBackOff(t *testing.T) {
	j := newJitterBuffer()
	const minute = 3000 // frames
	in := numbered(minute)
	p := make([]int16, rtpSamples)
	for i := range in {
		if i%150 == 75 {
			j.pop(p)
			j.push(uint32(i*rtpSamples), in[i])
			continue
		}
		j.push(uint32(i*rtpSamples), in[i])
		j.pop(p)
	}
	// Trying again after every window costs 19 concealed frames in the
	// minute.
	if st := j.stats(); st.Concealed > 4 {
		t.Errorf("%d frames concealed in a minute of packets landing at the tick: the buffer keeps dropping the cushion they need", st.Concealed)
	}
}

// TestJitterBuffer_LossInsideAFrameIsConcealed: with 10 ms packets (a
// phone sending ptime 10) one lost packet is half of a 20 ms frame, the
// other half having come. The missing half must be concealed like a
// missing frame, not played as 10 ms of silence with a click at each end.
func TestJitterBuffer_LossInsideAFrameIsConcealed(t *testing.T) {
	const half = rtpSamples / 2
	for _, tc := range []struct {
		name string
		lost int // which 10 ms packet is lost
	}{
		{"first half", 30},
		{"second half", 31},
	} {
		t.Run(tc.name, func(t *testing.T) {
			frames := toneFrames(30, 440)
			j := newJitterBuffer()
			var out []int16
			p := make([]int16, rtpSamples)
			for i, f := range frames {
				for h := range 2 {
					if n := 2*i + h; n != tc.lost {
						j.push(uint32(1000+n*half), f[h*half:(h+1)*half])
					}
				}
				j.pop(p)
				out = append(out, p...)
			}
			lead := 0
			for audio.RMS(out[lead:lead+half]) == 0 {
				lead += half
			}
			gap := out[lead+tc.lost*half : lead+(tc.lost+1)*half]
			if rms := audio.RMS(gap); rms < 0.15 {
				t.Errorf("the lost 10 ms is near silence (rms %.3f): not concealed", rms)
			}
			around := out[lead+(tc.lost-4)*half : lead+(tc.lost+6)*half] // 100 ms: 44 whole cycles
			if share := audio.ToneShare(around, audio.Rate, 440); share < 0.8 {
				t.Errorf("tone share across the lost 10 ms %.2f", share)
			}
			if st := j.stats(); st.Concealed != 1 {
				t.Errorf("concealed %d frames, want the 1 with the hole", st.Concealed)
			}
		})
	}
}
