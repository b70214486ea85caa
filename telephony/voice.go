package telephony

import (
	"sync"
	"sync/atomic"
	"time"

	"agentdesk/telephony/audio"
)

// soundCard is what the voice needs of the sound card; *audio.Sound is it.
type soundCard interface {
	Start()
	Stop()
	Ring(on bool)
	SetFrameFunc(fn func(frame []int16))
	WriteFrame(frame []int16)
	Levels() (in, out float64)
	Status() audio.Status
	Close() error
}

// voice joins every call with live media to the sound card on one 20 ms
// clock. The microphone is the clock: its callback (the device's thread, or
// on Linux the goroutine the device's C callback wakes) runs each tick as
// soon as a frame is captured; without a microphone, a timer takes over.
// Each tick takes each call's next frame from its jitter buffer, sends the
// agent's frame to every call (silence when muted or held), mixes what the
// agent hears, and hands both sides to the call's recording.
//
// A call with a supervisor on it (the agent's side of a monitoring leg)
// is mixed in the same tick, so no path waits a frame for another: the
// supervisor gets the caller as the agent hears them plus the agent's
// microphone (live through mute and hold: those are towards the caller,
// and agent and coach may talk while the caller waits); in whisper and
// barge the agent hears the supervisor too, and in barge so does the
// caller (not while held). The recording keeps its two sides: the caller
// alone, and what the caller heard, so in barge the supervisor is in the
// agent's channel (everything said to the customer is on record) and a
// whisper is in neither.
type voice struct {
	snd soundCard

	mu      sync.Mutex
	calls   []*call
	ringing map[*call]bool
	stop    chan struct{}
	done    chan struct{}

	lastMic atomic.Int64 // when the microphone last ran a tick (UnixNano)
	tickMu  sync.Mutex   // one tick at a time: microphone or timer
	live    []*call      // the tick's snapshot of calls
	silence []int16
	mix     []int32
	out     []int16
	toSup   []int16 // what a supervisor hears
	toPeer  []int16 // the agent and a barging supervisor, to the caller
	toEar   []int16 // a call's share of the earpiece, a supervisor in it
}

// tickState is what one tick knows of a call, under voice.tickMu.
type tickState struct {
	media  *rtpStream // nil: not on this tick
	rx     []int16    // its frame of this tick
	served bool       // a supervisor's leg got its frame from its call
}

func newVoice(snd soundCard) *voice {
	n := rtpSamples
	return &voice{snd: snd, ringing: map[*call]bool{},
		silence: make([]int16, n), mix: make([]int32, n), out: make([]int16, n),
		toSup: make([]int16, n), toPeer: make([]int16, n), toEar: make([]int16, n)}
}

// attach puts c's media on the clock; the first call opens the headset.
func (v *voice) attach(c *call) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, x := range v.calls {
		if x == c {
			return
		}
	}
	v.calls = append(v.calls, c)
	if len(v.calls) == 1 {
		v.lastMic.Store(0)
		v.snd.SetFrameFunc(v.fromMic)
		v.snd.Start()
		v.stop, v.done = make(chan struct{}), make(chan struct{})
		go v.clock(v.stop, v.done)
	}
}

// detach takes c off the clock; the last call closes the headset. Its
// media's socket goes back to the stream's own reader once no tick can
// still be reading it.
func (v *voice) detach(c *call) {
	if !v.remove(c) {
		return
	}
	v.tickMu.Lock()
	m := c.getMedia()
	v.tickMu.Unlock()
	if m != nil {
		m.unclock()
	}
}

func (v *voice) remove(c *call) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	for i, x := range v.calls {
		if x != c {
			continue
		}
		v.calls = append(v.calls[:i:i], v.calls[i+1:]...)
		if len(v.calls) == 0 {
			close(v.stop)
			v.snd.SetFrameFunc(nil)
			v.snd.Stop()
		}
		return true
	}
	return false
}

// setRinging rings the ring device while any inbound call rings.
func (v *voice) setRinging(c *call, on bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if on {
		v.ringing[c] = true
	} else {
		delete(v.ringing, c)
	}
	v.snd.Ring(len(v.ringing) > 0)
}

// close stops the clock and the sound card.
func (v *voice) close() {
	v.mu.Lock()
	done := v.done
	if len(v.calls) > 0 {
		v.calls = nil
		close(v.stop)
		v.snd.SetFrameFunc(nil)
		v.snd.Stop()
	}
	v.ringing = map[*call]bool{}
	v.snd.Ring(false)
	v.mu.Unlock()
	if done != nil {
		<-done
	}
	_ = v.snd.Close()
}

// fromMic is the microphone's tick, on its callback.
func (v *voice) fromMic(frame []int16) {
	v.lastMic.Store(time.Now().UnixNano())
	v.tick(frame)
}

// clock ticks with silence while no microphone does (none, unplugged,
// not open yet), and otherwise only looks in now and then.
func (v *voice) clock(stop, done chan struct{}) {
	defer close(done)
	const idle = 100 * time.Millisecond
	t := time.NewTimer(rtpFrame)
	defer t.Stop()
	next := time.Now().Add(rtpFrame)
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		if time.Since(time.Unix(0, v.lastMic.Load())) <= 3*rtpFrame {
			t.Reset(idle)
			next = time.Time{}
			continue
		}
		if next.IsZero() || time.Until(next) < -rtpFrame {
			next = time.Now()
		}
		v.tick(v.silence)
		next = next.Add(rtpFrame)
		t.Reset(time.Until(next))
	}
}

// tick is one 20 ms step of every live call.
func (v *voice) tick(mic []int16) {
	v.tickMu.Lock()
	defer v.tickMu.Unlock()
	v.mu.Lock()
	v.live = append(v.live[:0], v.calls...)
	v.mu.Unlock()
	// Every leg's frame first: what one passes on to another is this tick's.
	for _, c := range v.live {
		t := &c.tick
		t.media, t.served = c.getMedia(), false
		if t.media == nil {
			continue
		}
		if t.rx == nil {
			t.rx = make([]int16, rtpSamples)
		}
		t.media.receiveFrame(t.rx)
	}
	clear(v.mix)
	for _, c := range v.live {
		m := c.tick.media
		if m == nil || c.watching() {
			continue // a supervisor's leg is served by the call it joins
		}
		held := c.getState() == stateHeld
		heard := c.tick.rx
		if held {
			heard = v.silence
		}
		tx := mic
		if held || c.muted.Load() || c.mon != nil && c.mon.getMode() == MonitorListen {
			tx = v.silence
		}
		ear := heard
		if s := c.spy.Load(); s != nil && s.tick.media != nil {
			sup, mode := s.tick.rx, s.mon.getMode()
			mixFrames(v.toSup, heard, mic)
			s.tick.media.sendFrame(v.toSup)
			s.tick.served = true
			if mode == MonitorBarge && !held {
				mixFrames(v.toPeer, tx, sup)
				tx = v.toPeer
			}
			if mode == MonitorWhisper || mode == MonitorBarge {
				mixFrames(v.toEar, heard, sup)
				ear = v.toEar
			}
		}
		m.sendFrame(tx)
		for i, s := range ear {
			v.mix[i] += int32(s)
		}
		c.recordFrame(heard, tx)
	}
	for _, c := range v.live {
		if c.watching() && c.tick.media != nil && !c.tick.served {
			c.tick.media.sendFrame(v.silence) // its call is off the clock (ending)
		}
		c.tick.media = nil
	}
	for i, s := range v.mix {
		v.out[i] = int16(max(-32768, min(32767, s)))
	}
	v.snd.WriteFrame(v.out)
}

// mixFrames sets dst to a+b, clipped.
func mixFrames(dst, a, b []int16) {
	for i := range dst {
		dst[i] = int16(max(-32768, min(32767, int32(a[i])+int32(b[i]))))
	}
}
