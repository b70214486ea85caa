package telephony

import (
	"sync"
	"time"

	"agentdesk/telephony/audio"
)

// soundCard is what the voice needs of the sound card; *audio.Sound is it.
type soundCard interface {
	Start()
	Stop()
	Ring(on bool)
	ReadFrame(frame []int16, deadline time.Time) bool
	WriteFrame(frame []int16)
	Levels() (in, out float64)
	Status() audio.Status
	Close() error
}

// voice joins every call with live media to the sound card on one 20 ms
// clock, driven by the microphone (or by a timer when there is none):
// each tick it sends the agent's frame to every call (silence when muted
// or held), takes each call's next frame from its jitter buffer, mixes
// what the agent hears, and hands both sides to the call's recording.
type voice struct {
	snd soundCard

	mu      sync.Mutex
	calls   []*call
	ringing map[*call]bool
	stop    chan struct{}
	done    chan struct{}
}

func newVoice(snd soundCard) *voice {
	return &voice{snd: snd, ringing: map[*call]bool{}}
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
		v.snd.Start()
		v.stop, v.done = make(chan struct{}), make(chan struct{})
		go v.run(v.stop, v.done)
	}
}

// detach takes c off the clock; the last call closes the headset.
func (v *voice) detach(c *call) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for i, x := range v.calls {
		if x != c {
			continue
		}
		v.calls = append(v.calls[:i:i], v.calls[i+1:]...)
		if len(v.calls) == 0 {
			close(v.stop)
			v.snd.Stop()
		}
		return
	}
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

func (v *voice) snapshot() []*call {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]*call(nil), v.calls...)
}

func (v *voice) run(stop, done chan struct{}) {
	defer close(done)
	mic := make([]int16, rtpSamples)
	silence := make([]int16, rtpSamples)
	rx := make([]int16, rtpSamples)
	mix := make([]int32, rtpSamples)
	out := make([]int16, rtpSamples)
	next := time.Now().Add(rtpFrame)
	for {
		select {
		case <-stop:
			return
		default:
		}
		// The microphone paces the clock; without one, the deadline does.
		if v.snd.ReadFrame(mic, next.Add(rtpFrame/2)) {
			next = time.Now().Add(rtpFrame)
		} else if next = next.Add(rtpFrame); time.Until(next) < -rtpFrame {
			next = time.Now().Add(rtpFrame)
		}
		clear(mix)
		for _, c := range v.snapshot() {
			m := c.getMedia()
			if m == nil {
				continue
			}
			held := c.getState() == stateHeld
			tx := mic
			if held || c.muted.Load() {
				tx = silence
			}
			m.sendFrame(tx)
			m.receiveFrame(rx)
			heard := rx
			if held {
				heard = silence
			}
			for i, s := range heard {
				mix[i] += int32(s)
			}
			c.recordFrame(heard, tx)
		}
		for i, s := range mix {
			out[i] = int16(max(-32768, min(32767, s)))
		}
		v.snd.WriteFrame(out)
	}
}
