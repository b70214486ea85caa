package telephony

import (
	"math"
	"sort"
	"sync"
)

// Jitter buffer sizes, in samples at 8 kHz.
const (
	jbFrame      = 160  // one 20 ms frame: what the call clock takes each tick
	jbMarginInit = 160  // cushion beyond the frame aimed for at start
	jbMarginMin  = 0    // none while packets come on time (less than a packet saves no late one: it only delays)
	jbDropMin    = 80   // drop no less than 10 ms at once
	jbMarginMax  = 800  // never above 100 ms (baresip's is 4 frames)
	jbGrowEvery  = 25   // pops (0.5 s) between two growths: one stall, one step
	jbHistory    = 480  // 60 ms of what was played, for concealment
	jbFadeAfter  = 80   // concealment plays at full level for 10 ms…
	jbFadeLen    = 400  // …then fades out over 50 ms, then is silent
	jbCrossfade  = 40   // 5 ms from concealment back into real audio
	jbWindow     = 100  // frames (2 s) over which the cushion is judged
	jbCalmMax    = 16   // windows (32 s) a failed drop can make the next wait
	jbReset      = 8000 // a timestamp more than 1 s off restarts the buffer
	// jbLateRestart late packets in a row restart the buffer too.
	jbLateRestart = 3
)

// chunk is one packet's decoded samples.
type chunk struct {
	ts  uint32
	pcm []int16
}

// jitterBuffer turns packets that arrive early, late, twice or not at all
// into a steady 20 ms stream for the call clock. It waits for a cushion
// before it starts playing, waits for a late packet (concealing the gap)
// when the frame due has not come or is missing its tail, so lateness
// grows the delay by itself; it skips a gap that turns out lost. It aims
// 10 ms higher at each late packet and 10 ms lower after each 2 s without
// one, dropping audio that stands beyond the aim, down to no cushion at all
// on a steady network.
// A missing frame, or the part of one that is missing, is concealed by
// repeating the last pitch period of what was played, fading out after
// 10 ms (after G.711 Appendix I), and the real audio that follows is
// cross-faded in.
type jitterBuffer struct {
	mu        sync.Mutex
	chunks    []chunk // sorted by ts, none ending before next
	started   bool
	next      uint32 // timestamp of the next sample to play
	newest    uint32 // end timestamp of the newest sample received
	margin    int
	history   []int16 // last jbHistory samples played
	got       []bool  // which samples of the frame fill found
	lost      int     // samples concealed in a row
	held      int     // of them, those the playout point stood still for
	pitch     int     // period repeated while concealing
	pitchPos  int
	winPops   int
	winMin    int // smallest cushion seen in the window
	winLate   bool
	lateRun   int // late packets in a row
	sinceGrow int // pops since the cushion last grew
	probation int // pops left in which lateness is the last drop's fault
	calm      int // windows without lateness before the next drop

	// counters for stats and tests
	played, concealed, late, dropped int64
}

func newJitterBuffer() *jitterBuffer {
	return &jitterBuffer{margin: jbMarginInit, history: make([]int16, jbHistory), winMin: math.MaxInt, sinceGrow: jbGrowEvery, calm: 1}
}

// diff is a-b on the 32-bit timestamp circle.
func diff(a, b uint32) int { return int(int32(a - b)) }

// push adds one packet's samples taken at RTP timestamp ts.
func (j *jitterBuffer) push(ts uint32, pcm []int16) {
	if len(pcm) == 0 {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.started && (diff(ts, j.next) > jbReset || diff(ts, j.next) < -jbReset) {
		// The sender restarted its clock (new source, re-INVITE): start over.
		j.started, j.chunks = false, j.chunks[:0]
	}
	end := ts + uint32(len(pcm))
	if j.started && diff(end, j.next) <= 0 {
		j.late++
		j.winLate = true
		if j.lateRun++; j.lateRun < jbLateRestart {
			return
		}
		// The sender stalled without moving its clock on: everything it
		// sends now is behind ours. Start over on its timeline.
		j.started, j.chunks = false, j.chunks[:0]
	}
	j.lateRun = 0
	i := sort.Search(len(j.chunks), func(i int) bool { return diff(j.chunks[i].ts, ts) >= 0 })
	if i < len(j.chunks) && j.chunks[i].ts == ts {
		j.dropped++ // a duplicate
		return
	}
	j.chunks = append(j.chunks, chunk{})
	copy(j.chunks[i+1:], j.chunks[i:])
	j.chunks[i] = chunk{ts: ts, pcm: append([]int16(nil), pcm...)}
	if len(j.chunks) == 1 || diff(end, j.newest) > 0 {
		j.newest = end
	}
	if !j.started {
		j.next = j.chunks[0].ts
	}
	// Bound memory if the clock stops pulling.
	for len(j.chunks) > 100 {
		j.chunks = j.chunks[1:]
		j.dropped++
	}
}

// pop fills out (jbFrame samples) with the next 20 ms: real audio,
// concealment, or silence before the stream started. It reports whether
// the frame was concealed.
func (j *jitterBuffer) pop(out []int16) (concealed bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.started {
		if len(j.chunks) == 0 || diff(j.newest, j.next) < len(out)+j.margin {
			clear(out)
			return false
		}
		j.started, j.held = true, 0
	}
	cushion := diff(j.newest, j.next) - len(out)
	j.judge(cushion)

	filled := j.fill(out)
	if filled == 0 && j.held > 0 && diff(j.newest, j.next) > 0 {
		// Audio after a gap came while the playout point stood still: the
		// gap is lost, not late, and what was concealed meanwhile stood in
		// for it. Skip that much of it, so a loss adds no delay.
		skip := min(j.held, diff(j.chunks[0].ts, j.next))
		j.next += uint32(skip)
		j.held -= skip
		filled = j.fill(out)
	}
	have := diff(j.newest, j.next)
	if filled == 0 && have <= 0 {
		// Nothing due has come yet: the packet is late, lost, or the
		// sender paused. Conceal, and hold the playout point where it is:
		// a late packet then plays whole when it comes, and the delay
		// grows by its lateness instead of every late packet being lost.
		j.conceal(out)
		j.held += len(out)
		j.concealed++
		return true
	}
	if filled > 0 && have < len(out) {
		// The frame's tail has not come yet: the packet carrying it is
		// late. Play what came, conceal the rest, and move the playout
		// point only as far as the audio that came, so the late packet
		// plays whole next time: the delay grows by its lateness. Moving
		// on by a whole frame would lose the tail of every packet for the
		// rest of the call once the playout point sat between two of them.
		j.render(out)
		j.held = len(out) - have
		j.next += uint32(have)
		j.trim()
		j.concealed++
		return true
	}
	j.next += uint32(len(out))
	j.trim()
	if filled == 0 {
		// A gap longer than what was held: conceal it frame by frame.
		j.conceal(out)
		j.concealed++
		return true
	}
	j.held = 0
	j.render(out)
	if filled < len(out) {
		// Part of the frame was missing, the rest had come (a lost packet
		// shorter than a frame, or the playout point between packets).
		j.concealed++
		return true
	}
	j.played++
	return false
}

// render finishes the frame fill left in out: each stretch that came is
// played (cross-faded in after concealment) and remembered, each stretch
// that did not is concealed, so a hole inside a frame is never silence.
func (j *jitterBuffer) render(out []int16) {
	got := j.got[:len(out)]
	for i := 0; i < len(out); {
		k := i + 1
		for k < len(out) && got[k] == got[i] {
			k++
		}
		if !got[i] {
			j.conceal(out[i:k])
		} else {
			if j.lost > 0 {
				j.crossfade(out[i:k])
			}
			j.lost = 0
			j.remember(out[i:k])
		}
		i = k
	}
}

// fill copies the chunks' samples for the frame at next into out (the
// rest silent), marks in got which samples it found, and reports how many.
func (j *jitterBuffer) fill(out []int16) (filled int) {
	clear(out)
	if len(j.got) < len(out) {
		j.got = make([]bool, len(out))
	}
	got := j.got[:len(out)]
	clear(got)
	for _, c := range j.chunks {
		off := diff(c.ts, j.next)
		if off >= len(out) {
			break
		}
		for k, s := range c.pcm {
			if p := off + k; p >= 0 && p < len(out) && !got[p] {
				out[p] = s
				got[p] = true
				filled++
			}
		}
	}
	return filled
}

// judge adapts the cushion once per window: grow it after a late packet,
// shrink it by dropping 10 ms of audio when it never went below margin+10 ms.
// A drop that makes a packet late within a window was one too many: the
// next waits twice as many windows (up to jbCalmMax), so a network whose
// packets land right at the tick costs a glitch every half minute, not
// every two seconds; a drop that holds halves the wait again.
func (j *jitterBuffer) judge(cushion int) {
	if cushion < j.winMin {
		j.winMin = cushion
	}
	if cushion < 0 {
		// An underrun: the frame due now has not arrived.
		j.winLate = true
	}
	j.winPops++
	j.sinceGrow++
	if j.probation > 0 {
		if j.probation--; j.probation == 0 {
			j.calm = max(1, j.calm/2) // the last drop held
		}
	}
	if j.winLate && j.margin < jbMarginMax && j.sinceGrow >= jbGrowEvery {
		// React at once, not at the end of the window; but a stall makes
		// several packets late together, and is one step, not several.
		j.margin = min(j.margin+jbFrame/2, jbMarginMax)
		if j.probation > 0 {
			j.calm = min(2*j.calm, jbCalmMax) // the last drop was one too many
			j.probation = 0
		}
		j.winLate = false
		j.sinceGrow = 0
		j.winPops, j.winMin = 0, math.MaxInt
		return
	}
	if j.winLate && j.sinceGrow < jbGrowEvery {
		// Late again within the same stall: no new step, and no shrinking
		// at the end of this window either.
		j.winPops = min(j.winPops, jbWindow*j.calm-1)
	}
	if j.winPops < jbWindow*j.calm {
		return
	}
	// A window without a late packet: ask for 10 ms less cushion, and drop
	// what stands beyond it (at most 40 ms at once), so a burst of lateness
	// does not leave the call with a long delay for good.
	j.margin = max(jbMarginMin, j.margin-jbFrame/2)
	if excess := j.winMin - j.margin; excess >= jbDropMin {
		j.next += uint32(min(excess, 2*jbFrame))
		j.trim()
		j.probation = jbWindow
	}
	j.winPops, j.winMin = 0, math.MaxInt
}

// trim forgets chunks that end before next.
func (j *jitterBuffer) trim() {
	n := 0
	for n < len(j.chunks) && diff(j.chunks[n].ts+uint32(len(j.chunks[n].pcm)), j.next) <= 0 {
		n++
	}
	j.chunks = j.chunks[n:]
}

// remember keeps the tail of what was played for concealment.
func (j *jitterBuffer) remember(out []int16) {
	if len(out) >= len(j.history) {
		copy(j.history, out[len(out)-len(j.history):])
		return
	}
	copy(j.history, j.history[len(out):])
	copy(j.history[len(j.history)-len(out):], out)
}

// conceal synthesises a lost frame from the last pitch period played.
func (j *jitterBuffer) conceal(out []int16) {
	if j.lost == 0 {
		j.pitch = pitchPeriod(j.history)
		j.pitchPos = 0
	}
	src := j.history[len(j.history)-j.pitch:]
	for i := range out {
		g := 1.0
		if k := j.lost + i - jbFadeAfter; k > 0 {
			g = math.Max(0, 1-float64(k)/jbFadeLen)
		}
		out[i] = int16(float64(src[j.pitchPos]) * g)
		j.pitchPos = (j.pitchPos + 1) % j.pitch
	}
	j.lost += len(out)
}

// crossfade blends the start of the first real frame after a loss with
// the concealment that would have continued, so there is no click.
func (j *jitterBuffer) crossfade(out []int16) {
	if j.lost > jbFadeAfter+jbFadeLen {
		return // concealment had faded to silence: nothing to blend
	}
	src := j.history[len(j.history)-j.pitch:]
	pos := j.pitchPos
	g0 := math.Max(0, 1-float64(max(0, j.lost-jbFadeAfter))/jbFadeLen)
	for i := 0; i < jbCrossfade && i < len(out); i++ {
		w := float64(i) / jbCrossfade
		synth := float64(src[pos]) * g0
		out[i] = int16(synth*(1-w) + float64(out[i])*w)
		pos = (pos + 1) % j.pitch
	}
}

// pitchPeriod finds the period (2.5–15 ms, 20–120 samples) that best
// repeats the end of h (normalised autocorrelation over the last 240
// samples).
func pitchPeriod(h []int16) int {
	const minP, maxP, win = 20, 120, 240
	best, bestScore := maxP, -2.0
	tail := h[len(h)-win:]
	for p := minP; p <= maxP; p++ {
		var xy, xx, yy float64
		for i := range win - maxP {
			x := float64(tail[maxP+i])
			y := float64(tail[maxP+i-p])
			xy += x * y
			xx += x * x
			yy += y * y
		}
		if xx == 0 || yy == 0 {
			continue
		}
		if s := xy / math.Sqrt(xx*yy); s > bestScore+1e-9 {
			best, bestScore = p, s
		}
	}
	return best
}

// jitterStats are the buffer's counters.
type jitterStats struct {
	Played, Concealed, Late, Dropped int64
	MarginMs                         int
}

func (j *jitterBuffer) stats() jitterStats {
	j.mu.Lock()
	defer j.mu.Unlock()
	return jitterStats{Played: j.played, Concealed: j.concealed, Late: j.late, Dropped: j.dropped, MarginMs: j.margin / 8}
}
