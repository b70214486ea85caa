package telephony

import (
	"net"
	"testing"
	"time"

	"agentdesk/telephony/audio"
)

// nullSound is a sound card that takes frames and plays nothing, for
// timing the voice clock alone.
type nullSound struct{}

func (nullSound) Start()                     {}
func (nullSound) Stop()                      {}
func (nullSound) Ring(bool)                  {}
func (nullSound) SetFrameFunc(func([]int16)) {}
func (nullSound) WriteFrame([]int16)         {}
func (nullSound) Levels() (in, out float64)  { return 0, 0 }
func (nullSound) Status() audio.Status       { return audio.Status{} }
func (nullSound) Close() error               { return nil }

// benchStream is an RTP stream sending PCMU to a socket that drops it,
// with its jitter buffer fed a frame per tick as a peer's would be.
func benchStream(b *testing.B, sink *net.UDPConn) *rtpStream {
	b.Helper()
	s, err := newRTPStream("127.0.0.1", quietLogger())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(s.close)
	port := sink.LocalAddr().(*net.UDPAddr).Port
	s.configure(Stream{Addr: "127.0.0.1", Port: port, Formats: []Format{{PT: ptPCMU, Name: "PCMU", Rate: 8000}}},
		Format{PT: ptPCMU, Name: "PCMU", Rate: 8000}, -1, dirSendRecv, nil)
	return s
}

// BenchmarkVoice_TickMonitor is the voice clock's cost per 20 ms tick
// for one call, and for one call with a supervisor on it (in barge, the
// mode that mixes most): the difference is what a monitoring leg costs
// the agent's desk on its clock (a jitter buffer pop, the mixes, one more
// frame encoded and sent). The leg's receive path (decoding 50 packets a
// second, on the clock's tick on Unix) has nothing to take here, as no
// peer sends; BenchmarkMonitor's process CPU holds it.
//
//	go test -run '^$' -bench BenchmarkVoice_TickMonitor ./telephony
func BenchmarkVoice_TickMonitor(b *testing.B) {
	sink, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer sink.Close()
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, _, err := sink.ReadFromUDP(buf); err != nil {
				return
			}
		}
	}()
	mic := make([]int16, rtpSamples)
	audio.Tone(mic, 1000, 0.3, 0)
	frame := make([]int16, rtpSamples)
	audio.Tone(frame, 440, 0.3, 0)
	for _, leg := range []bool{false, true} {
		name := "call"
		if leg {
			name = "call+supervisor"
		}
		b.Run(name, func(b *testing.B) {
			c := &call{id: "call", state: stateActive, media: benchStream(b, sink)}
			v := newVoice(nullSound{})
			v.calls = []*call{c}
			var s *call
			if leg {
				s = &call{id: "leg", state: stateActive, media: benchStream(b, sink), mon: &monitorLeg{target: c}}
				s.mon.setMode(MonitorBarge)
				c.spy.Store(s)
				v.calls = append(v.calls, s)
			}
			var ts uint32
			b.ReportAllocs()
			for b.Loop() {
				ts += rtpSamples
				c.media.jb.push(ts, frame)
				if s != nil {
					s.media.jb.push(ts, frame)
				}
				v.tick(mic)
			}
			perTick := b.Elapsed() / time.Duration(b.N)
			b.ReportMetric(100*float64(perTick)/float64(rtpFrame), "%core")
		})
	}
}
