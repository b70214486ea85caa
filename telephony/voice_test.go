package telephony

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"

	"agentdesk/telephony/audio"
	"agentdesk/telephony/audio/audiotest"
)

// peerMedia is the caller's side of the media in a test: it sends a tone
// as RTP to the UA every 20 ms and keeps what the UA sends back.
type peerMedia struct {
	t    *testing.T
	conn *net.UDPConn
	to   *net.UDPAddr

	mu       sync.Mutex
	send     codec
	keys     *srtpContexts
	freq     float64
	ssrc     uint32
	seq      uint16
	ts       uint32
	got      []int16 // decoded audio from the UA
	payloads [][]byte
	events   []byte // RFC 4733 event codes received (one per packet)
	stop     chan struct{}
	done     sync.WaitGroup
}

func newPeerMedia(t *testing.T) *peerMedia {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	p := &peerMedia{t: t, conn: conn, send: pcmu, ssrc: 0x5eed, stop: make(chan struct{})}
	t.Cleanup(p.close)
	return p
}

func (p *peerMedia) port() int { return p.conn.LocalAddr().(*net.UDPAddr).Port }

// start points the peer at the UA's answer and runs sender and receiver.
func (p *peerMedia) start(answer []byte, freq float64) {
	p.t.Helper()
	s, err := ParseSDP(answer)
	if err != nil {
		p.t.Fatalf("the UA's answer: %v\n%s", err, answer)
	}
	p.to = &net.UDPAddr{IP: net.ParseIP(s.Addr), Port: s.Port}
	if c, ok := s.Codec(); ok {
		p.send, _ = codecFor(c)
	}
	p.freq = freq
	p.done.Add(2)
	go p.sendLoop()
	go p.readLoop()
}

func (p *peerMedia) sendLoop() {
	defer p.done.Done()
	t := time.NewTicker(rtpFrame)
	defer t.Stop()
	phase := 0.0
	pcm := make([]int16, rtpSamples)
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
		p.mu.Lock()
		phase = audio.Tone(pcm, p.freq, 0.3, phase)
		payload := make([]byte, rtpSamples)
		p.send.encode(payload, pcm)
		p.seq++
		p.ts += rtpSamples
		pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: p.send.pt, SequenceNumber: p.seq, Timestamp: p.ts, SSRC: p.ssrc}, Payload: payload}
		keys := p.keys
		p.mu.Unlock()
		p.write(pkt, keys)
	}
}

func (p *peerMedia) write(pkt rtp.Packet, keys *srtpContexts) {
	raw, err := pkt.Marshal()
	if err != nil {
		p.t.Error(err)
		return
	}
	if keys != nil {
		if raw, err = keys.tx.EncryptRTP(nil, raw, nil); err != nil {
			p.t.Error(err)
			return
		}
	}
	_, _ = p.conn.WriteToUDP(raw, p.to)
}

func (p *peerMedia) readLoop() {
	defer p.done.Done()
	buf := make([]byte, 1500)
	for {
		n, _, err := p.conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		data := append([]byte(nil), buf[:n]...)
		p.mu.Lock()
		keys := p.keys
		p.mu.Unlock()
		if keys != nil {
			if data, err = keys.rx.DecryptRTP(nil, data, nil); err != nil {
				continue
			}
		}
		var pkt rtp.Packet
		if pkt.Unmarshal(data) != nil {
			continue
		}
		p.mu.Lock()
		p.payloads = append(p.payloads, append([]byte(nil), buf[12:n]...))
		if c, ok := map[uint8]codec{ptPCMU: pcmu, ptPCMA: pcma}[pkt.PayloadType]; ok {
			pcm := make([]int16, len(pkt.Payload))
			c.decode(pcm, pkt.Payload)
			p.got = append(p.got, pcm...)
		} else if pkt.PayloadType == ptTelephoneEvent && len(pkt.Payload) >= 4 {
			p.events = append(p.events, pkt.Payload[0])
		}
		p.mu.Unlock()
	}
}

// heard is a copy of the audio received from the UA since the last reset.
func (p *peerMedia) heard() []int16 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]int16(nil), p.got...)
}

func (p *peerMedia) reset() {
	p.mu.Lock()
	p.got, p.payloads, p.events = nil, nil, nil
	p.mu.Unlock()
}

func (p *peerMedia) close() {
	select {
	case <-p.stop:
		return
	default:
	}
	close(p.stop)
	_ = p.conn.Close()
	p.done.Wait()
}

// voiceCall is an answered call from the fake PBX to a UA whose sound card
// is a fake: the microphone plays micHz, the caller plays callerHz.
type voiceCall struct {
	ua     *UA
	ev     *events
	pbx    *fakePBX
	dialog *sipgo.DialogClientSession
	peer   *peerMedia
	snd    *audiotest.Backend
	id     string
}

func startVoiceCall(t *testing.T, cfg Config, offer func(p *peerMedia) func(string, int) []byte, micHz, callerHz float64) *voiceCall {
	t.Helper()
	snd := audiotest.New()
	var mu sync.Mutex
	phase := 0.0
	snd.SetSource("mic", func(b []int16) {
		mu.Lock()
		phase = audio.Tone(b, micHz, 0.3, phase)
		mu.Unlock()
	})
	peer := newPeerMedia(t)
	pbx := startFakePBX(t, "pw", "MD5")
	pbx.mediaPort = peer.port()
	if offer != nil {
		pbx.offer = offer(peer)
	}
	ua, ev := startUA(t, pbx, cfg, WithAudioBackend(snd))
	pbx.waitRegister(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	d := pbx.invite(t, ctx, "<sip:13800138000@pbx.test>")
	ring := answerDialog(t, ctx, d, ua, ev)
	peer.start(d.InviteResponse.Body(), callerHz)
	return &voiceCall{ua: ua, ev: ev, pbx: pbx, dialog: d, peer: peer, snd: snd, id: ring.CallID}
}

// waitHeard waits until the peer has at least n samples from the UA.
func waitHeard(t *testing.T, p *peerMedia, n int) []int16 {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(p.heard()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("the peer got %d samples from the UA, want %d", len(p.heard()), n)
		}
		time.Sleep(20 * time.Millisecond) // polling with a deadline
	}
	return p.heard()
}

// toneWindowShare is the fraction of the 200 ms windows of samples that
// hold freq (share ≥ 0.5). The fake devices run on Go timers, which a
// loaded machine delays now and then; a glitch spoils one window, not the
// verdict.
func toneWindowShare(samples []int16, freq float64) float64 {
	const win = audio.Rate / 5
	n, hit := 0, 0
	for i := 0; i+win <= len(samples); i += win {
		n++
		if audio.ToneShare(samples[i:i+win], audio.Rate, freq) >= 0.5 {
			hit++
		}
	}
	if n == 0 {
		return 0
	}
	return float64(hit) / float64(n)
}

func TestUA_Voice_BothWaysMuteAndLevels(t *testing.T) {
	vc := startVoiceCall(t, Config{}, nil, 1000, 440)

	// The agent's microphone reaches the caller…
	got := waitHeard(t, vc.peer, audio.Rate)
	if s := toneWindowShare(got, 1000); s < 0.7 {
		t.Errorf("caller hears the agent's 1000 Hz with share %.2f", s)
	}
	// …and the caller reaches the agent's earpiece.
	deadline := time.Now().Add(5 * time.Second)
	for len(nonSilent(vc.snd.Played("earpiece"))) < audio.Rate {
		if time.Now().After(deadline) {
			t.Fatal("nothing played on the earpiece")
		}
		time.Sleep(20 * time.Millisecond) // polling with a deadline
	}
	if s := toneWindowShare(nonSilent(vc.snd.Played("earpiece")), 440); s < 0.7 {
		t.Errorf("agent hears the caller's 440 Hz in %.0f%% of 200 ms windows", 100*s)
	}
	if in, out := vc.ua.Levels(); in < 0.5 || out < 0.5 {
		t.Errorf("levels in %.2f out %.2f during a call with tones both ways", in, out)
	}

	// Mute sends silence, not nothing.
	if err := vc.ua.Mute(vc.id, true); err != nil {
		t.Fatal(err)
	}
	vc.ev.wait(t, EventMuted, time.Second)
	time.Sleep(100 * time.Millisecond) // frames in flight before the mute
	vc.peer.reset()
	got = waitHeard(t, vc.peer, audio.Rate/2)
	if rms := audio.RMS(got); rms > 0.001 {
		t.Errorf("muted, the caller still hears rms %.3f", rms)
	}
	if err := vc.ua.Mute(vc.id, false); err != nil {
		t.Fatal(err)
	}
	vc.ev.wait(t, EventUnmuted, time.Second)
	time.Sleep(100 * time.Millisecond)
	vc.peer.reset()
	if s := toneWindowShare(waitHeard(t, vc.peer, audio.Rate/2), 1000); s < 0.7 {
		t.Errorf("unmuted, tone share %.2f", s)
	}
	if err := vc.ua.Mute("no-such-call", true); !errors.Is(err, ErrNoCall) {
		t.Errorf("mute of an unknown call: %v", err)
	}
}

func TestUA_Voice_PCMA(t *testing.T) {
	offer := func(p *peerMedia) func(string, int) []byte {
		return func(host string, port int) []byte {
			return buildSDP(host, port, 7, 1, []Format{{PT: ptPCMA, Name: "PCMA", Rate: 8000}}, dirSendRecv)
		}
	}
	vc := startVoiceCall(t, Config{}, offer, 1000, 440)
	got := waitHeard(t, vc.peer, audio.Rate)
	if vc.peer.send.name != "PCMA" {
		t.Fatalf("answered %s", vc.peer.send.name)
	}
	if s := toneWindowShare(got, 1000); s < 0.7 {
		t.Errorf("A-law: caller hears share %.2f", s)
	}
}

func TestUA_Voice_DTMFBothWays(t *testing.T) {
	vc := startVoiceCall(t, Config{}, nil, 1000, 440)
	waitHeard(t, vc.peer, rtpSamples*5)
	for _, d := range "1#" {
		if err := vc.ua.SendDTMF(vc.id, string(d)); err != nil {
			t.Fatal(err)
		}
	}
	// Each key is 5 updates and 3 end packets of its event code.
	want := strings.Repeat("\x01", 8) + strings.Repeat("\x0b", 8)
	var events string
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		vc.peer.mu.Lock()
		events = string(vc.peer.events)
		vc.peer.mu.Unlock()
		if len(events) >= len(want) {
			break
		}
	}
	if events != want {
		t.Errorf("events received %q, want %q", events, want)
	}

	// A key from the caller in packets with CSRCs and a header extension:
	// the payload is found after them, not at byte 12.
	send := func(seq uint16, ts uint32, event byte) {
		pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: ptTelephoneEvent, SequenceNumber: seq, Timestamp: ts, SSRC: 77,
			CSRC: []uint32{0x11111111, 0x22222222}}, Payload: []byte{event, 10, 0, 160}}
		if err := pkt.Header.SetExtension(1, []byte{0xAA, 0xBB}); err != nil {
			t.Fatal(err)
		}
		vc.peer.write(pkt, nil)
	}
	send(900, 80000, 7)
	send(901, 80000, 7)
	send(902, 81600, 9)
	deadline := time.Now().Add(5 * time.Second)
	for vc.ev.count(EventDTMF) < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	var digits string
	vc.ev.mu.Lock()
	for _, e := range vc.ev.all {
		if e.Kind == EventDTMF {
			digits += e.Digit
		}
	}
	vc.ev.mu.Unlock()
	if digits != "79" {
		t.Errorf("digits from the caller %q, want 79", digits)
	}
}

// wavChannels reads a stereo 16-bit WAV file written by the recorder.
func wavChannels(t *testing.T, path string) (left, right []int16) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < wavHeaderSize || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" ||
		binary.LittleEndian.Uint16(b[22:]) != 2 || binary.LittleEndian.Uint32(b[24:]) != 8000 {
		t.Fatalf("not a stereo 8 kHz WAV: % x", b[:min(len(b), 44)])
	}
	if n := binary.LittleEndian.Uint32(b[40:]); int(n) != len(b)-wavHeaderSize {
		t.Fatalf("data size %d in the header, %d in the file", n, len(b)-wavHeaderSize)
	}
	for i := wavHeaderSize; i+4 <= len(b); i += 4 {
		left = append(left, int16(binary.LittleEndian.Uint16(b[i:])))
		right = append(right, int16(binary.LittleEndian.Uint16(b[i+2:])))
	}
	return left, right
}

func TestUA_Recording_BothSidesAndPause(t *testing.T) {
	dir := t.TempDir()
	vc := startVoiceCall(t, Config{Recordings: dir}, nil, 1000, 440)
	waitHeard(t, vc.peer, audio.Rate)
	if err := vc.ua.PauseRecording(vc.id); err != nil {
		t.Fatal(err)
	}
	vc.ev.wait(t, EventRecordingPaused, time.Second)
	time.Sleep(500 * time.Millisecond)
	if err := vc.ua.ResumeRecording(vc.id); err != nil {
		t.Fatal(err)
	}
	vc.ev.wait(t, EventRecordingResumed, time.Second)
	time.Sleep(time.Second)
	if err := vc.ua.Hangup(vc.id); err != nil {
		t.Fatal(err)
	}
	ev := vc.ev.wait(t, EventRecording, 5*time.Second)
	rec := ev.Recording
	if rec == nil || ev.CallID != vc.id || rec.Channels != 2 || filepath.Dir(rec.Path) != dir {
		t.Fatalf("recording event %+v %+v", ev, rec)
	}
	if rec.Paused < 400*time.Millisecond || rec.Paused > 700*time.Millisecond || rec.Duration < 2*time.Second {
		t.Errorf("duration %v, paused %v", rec.Duration, rec.Paused)
	}
	fi, err := os.Stat(rec.Path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("recording file %v mode %v", err, fi.Mode())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("recordings folder holds %d entries (a temporary file left?)", len(ents))
	}
	left, right := wavChannels(t, rec.Path)
	if d := time.Duration(len(left)) * time.Second / 8000; d != rec.Duration {
		t.Errorf("file holds %v, event says %v", d, rec.Duration)
	}
	// Caller on the left, agent on the right, the paused stretch silent on
	// both: find it as the longest run of silent 20 ms windows.
	tail := len(left) - audio.Rate
	if s := toneWindowShare(left[tail:], 440); s < 0.6 {
		t.Errorf("left channel: the caller's 440 Hz in %.0f%% of the last second's windows", 100*s)
	}
	if s := toneWindowShare(right[tail:], 1000); s < 0.6 {
		t.Errorf("right channel: the agent's 1000 Hz in %.0f%% of the last second's windows", 100*s)
	}
	run, best := 0, 0
	for i := 0; i+rtpSamples <= len(left); i += rtpSamples {
		if audio.RMS(left[i:i+rtpSamples]) == 0 && audio.RMS(right[i:i+rtpSamples]) == 0 {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	if paused := time.Duration(best) * rtpFrame; paused < 400*time.Millisecond {
		t.Errorf("longest silence on both channels %v, want the ~500 ms pause", paused)
	}
	if err := vc.ua.PauseRecording(vc.id); !errors.Is(err, ErrNoCall) {
		t.Errorf("pause after the call: %v", err)
	}
}

func TestUA_Recording_FolderUnusable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-folder")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	vc := startVoiceCall(t, Config{Recordings: file}, nil, 1000, 440)
	ev := vc.ev.wait(t, EventRecordingFailed, 5*time.Second)
	if ev.CallID != vc.id || ev.Err == nil {
		t.Errorf("failure event %+v", ev)
	}
	// The call goes on, with its audio.
	if s := toneWindowShare(waitHeard(t, vc.peer, audio.Rate), 1000); s < 0.7 {
		t.Errorf("tone share %.2f on a call whose recording failed", s)
	}
	if err := vc.ua.PauseRecording(vc.id); !errors.Is(err, ErrNotRecording) {
		t.Errorf("pause without a recording: %v", err)
	}
}

func TestRecorder_WriteFailsMidCall(t *testing.T) {
	dir := t.TempDir()
	var failed []error
	var mu sync.Mutex
	r, err := startRecording(dir, "call-1@test", time.Now(), func(err error) {
		mu.Lock()
		failed = append(failed, err)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	frame := make([]int16, rtpSamples)
	for range 10 {
		r.frame(frame, frame)
	}
	_ = r.f.Close() // the disk goes away under the recording
	start := time.Now()
	for range 5000 { // far more than the disk queue holds
		r.frame(frame, frame)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("the call clock was held %v by a failing recording", d)
	}
	if _, err := r.finish(); err == nil {
		t.Fatal("finish reported success")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(failed) != 1 {
		t.Errorf("failure reported %d times: %v", len(failed), failed)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("left behind: %v", ents)
	}
}

func TestUA_Ringtone_WhileRinging(t *testing.T) {
	snd := audiotest.New()
	pbx := startFakePBX(t, "pw", "MD5")
	ua, ev := startUA(t, pbx, Config{Ring: "Fake PC Speaker"}, WithAudioBackend(snd))
	pbx.waitRegister(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d := pbx.invite(t, ctx, "<sip:13800138000@pbx.test>")
	ring := ev.wait(t, EventRinging, 5*time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for len(snd.Played("speaker")) < audio.Rate/2 {
		if time.Now().After(deadline) {
			t.Fatal("no ringtone on the ring device")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if snd.Running("earpiece") != 0 {
		t.Error("the headset opened for a call that only rings")
	}
	go func() { _ = ua.Answer(ring.CallID) }()
	if err := d.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		t.Fatal(err)
	}
	_ = d.Ack(ctx)
	ev.wait(t, EventAnswered, 5*time.Second)
	for snd.Running("speaker") != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the ringtone goes on after the answer")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestUA_SRTP_BothWaysAndNotInTheClear(t *testing.T) {
	var peerKey Crypto
	offer := func(p *peerMedia) func(string, int) []byte {
		return func(host string, port int) []byte {
			peerKey, _ = newCrypto(3, "AES_CM_128_HMAC_SHA1_80")
			return offerSDPWith(host, port, 7, 1, dirSendRecv, &peerKey)
		}
	}
	vc := startVoiceCall(t, Config{SRTP: SRTPRequired}, offer, 1000, 440)
	ans, err := ParseSDP(vc.dialog.InviteResponse.Body())
	if err != nil || len(ans.Streams[0].Crypto) != 1 || ans.Streams[0].Proto != "RTP/SAVP" {
		t.Fatalf("answer %v\n%s", err, vc.dialog.InviteResponse.Body())
	}
	keys, err := newSRTPContexts(peerKey, ans.Streams[0].Crypto[0])
	if err != nil {
		t.Fatal(err)
	}
	vc.peer.mu.Lock()
	vc.peer.keys = keys
	vc.peer.mu.Unlock()
	vc.peer.reset()
	got := waitHeard(t, vc.peer, audio.Rate)
	if s := toneWindowShare(got, 1000); s < 0.7 {
		t.Errorf("decrypted audio from the UA: share %.2f", s)
	}
	// What went over the wire is not G.711 of that tone.
	vc.peer.mu.Lock()
	var wire []int16
	for _, p := range vc.peer.payloads {
		pcm := make([]int16, len(p))
		pcmu.decode(pcm, p)
		wire = append(wire, pcm...)
	}
	vc.peer.mu.Unlock()
	if s := audio.ToneShare(wire, audio.Rate, 1000); s > 0.1 {
		t.Errorf("the wire payload decodes to the tone (share %.2f): not encrypted", s)
	}
	// What played before the peer had its keys was concealment of
	// packets the UA rightly refused.
	vc.snd.ResetPlayed("earpiece")
	deadline := time.Now().Add(5 * time.Second)
	for len(nonSilent(vc.snd.Played("earpiece"))) < audio.Rate {
		if time.Now().After(deadline) {
			t.Fatal("nothing decrypted reached the earpiece")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if s := toneWindowShare(nonSilent(vc.snd.Played("earpiece")), 440); s < 0.7 {
		t.Errorf("earpiece holds the caller's tone in %.0f%% of 200 ms windows", 100*s)
	}

	// The caller re-keys in a re-INVITE: the UA keeps its own key (its
	// send side's rollover state stays right) and takes the new one.
	newKey, _ := newCrypto(3, "AES_CM_128_HMAC_SHA1_80")
	target := vc.dialog.InviteResponse.Contact().Address
	req := sip.NewRequest(sip.INVITE, target)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(offerSDPWith("127.0.0.1", vc.peer.port(), 7, 2, dirSendRecv, &newKey))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := vc.dialog.Do(ctx, req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("re-invite: %v %v", res, err)
	}
	if err := vc.dialog.WriteRequest(sip.NewRequest(sip.ACK, target)); err != nil {
		t.Fatal(err)
	}
	re, err := ParseSDP(res.Body())
	if err != nil || len(re.Streams[0].Crypto) != 1 || string(re.Streams[0].Crypto[0].Key) != string(ans.Streams[0].Crypto[0].Key) {
		t.Fatalf("the UA re-keyed its send side:\n%s", res.Body())
	}
	rekeyed, err := newSRTPContexts(newKey, ans.Streams[0].Crypto[0])
	if err != nil {
		t.Fatal(err)
	}
	vc.peer.mu.Lock()
	vc.peer.keys = &srtpContexts{tx: rekeyed.tx, rx: keys.rx}
	vc.peer.freq = 700
	vc.peer.mu.Unlock()
	vc.snd.ResetPlayed("earpiece")
	deadline = time.Now().Add(5 * time.Second)
	for len(nonSilent(vc.snd.Played("earpiece"))) < audio.Rate {
		if time.Now().After(deadline) {
			t.Fatal("nothing reached the earpiece after the re-key")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if s := toneWindowShare(nonSilent(vc.snd.Played("earpiece")), 700); s < 0.6 {
		t.Errorf("after the re-key the earpiece holds the caller's new tone in %.0f%% of windows", 100*s)
	}
}

func TestUA_SRTP_PlainOfferRefusedWhenRequired(t *testing.T) {
	pbx := startFakePBX(t, "pw", "MD5")
	_, ev := startUA(t, pbx, Config{SRTP: SRTPRequired})
	pbx.waitRegister(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d := pbx.invite(t, ctx, "<sip:13800138000@pbx.test>")
	err := d.WaitAnswer(ctx, sipgo.AnswerOptions{})
	var de *sipgo.ErrDialogResponse
	if !errors.As(err, &de) || de.Res.StatusCode != 488 {
		t.Fatalf("plain offer to an SRTP-only UA: %v, want 488", err)
	}
	if n := ev.count(EventRinging); n != 0 {
		t.Errorf("rang %d times", n)
	}
}

// nonSilent trims the silence before and after what was played.
func nonSilent(p []int16) []int16 {
	first, last := -1, -1
	for i, v := range p {
		if v != 0 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return nil
	}
	return p[first : last+1]
}

// TestUA_Strangers_NoGhostCalls: requests sent straight to the UA from an
// address that is not its PBX never ring; the PBX's still do.
func TestUA_Strangers_NoGhostCalls(t *testing.T) {
	for _, direct := range []bool{false, true} {
		t.Run(fmt.Sprintf("allow direct %v", direct), func(t *testing.T) {
			pbx := startFakePBX(t, "pw", "MD5")
			ua, ev := startUA(t, pbx, Config{AllowDirect: direct})
			pbx.waitRegister(t)
			stranger, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)})
			if err != nil {
				t.Fatal(err)
			}
			defer stranger.Close()
			to := mustUDPAddr(t, ua.Addr())
			from := stranger.LocalAddr().String()
			for i := range 5 {
				msg := fmt.Sprintf("INVITE sip:1001@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-ghost%d\r\n"+
					"From: \"ghost\" <sip:100@%s>;tag=g%d\r\nTo: <sip:1001@%s>\r\nCall-ID: ghost-%d\r\nCSeq: 1 INVITE\r\n"+
					"Contact: <sip:100@%s>\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: 0\r\n\r\n",
					ua.Addr(), from, i, from, i, ua.Addr(), i, from)
				if _, err := stranger.WriteToUDP([]byte(msg), to); err != nil {
					t.Fatal(err)
				}
			}
			_ = stranger.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
			buf := make([]byte, 4096)
			n, _, rerr := stranger.ReadFromUDP(buf)
			if direct {
				ev.wait(t, EventRinging, 5*time.Second)
				return
			}
			if rerr == nil {
				t.Errorf("the UA answered a stranger: %q", bytes.SplitN(buf[:n], []byte("\r\n"), 2)[0])
			}
			if got := ua.Strays(); got.Dropped != 5 || !strings.HasPrefix(got.Last, "127.0.0.2:") {
				t.Errorf("strays %+v, want 5 from 127.0.0.2", got)
			}
			if n := ev.count(EventRinging); n != 0 {
				t.Fatalf("a stranger rang the desk %d times", n)
			}
			if !ua.Registered() {
				t.Error("not registered after the strangers")
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			answerDialog(t, ctx, pbx.invite(t, ctx, "<sip:13800138000@pbx.test>"), ua, ev)
		})
	}
}
