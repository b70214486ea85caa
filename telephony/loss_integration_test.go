package telephony_test

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"agentdesk/telephony"
	"agentdesk/telephony/audio"
	"agentdesk/telephony/audio/audiotest"
	"agentdesk/telephony/kamailiotest"
)

// TestIntegration_TenMsPacketsWithLoss: sipp calls the desk through
// Kamailio and sends, from a pcap, 4 s of the caller's tone in 10 ms PCMU
// packets (ptime 10: some gateways send that whatever the answer asks
// for), every 25th packet left out (4 % loss). Each lost packet is half a
// frame of what the desk plays. The desk's recording of the caller, which
// is what its jitter buffer played, must hold the tone with no stretch of
// silence where a packet was lost, and the earpiece must hear it.
func TestIntegration_TenMsPacketsWithLoss(t *testing.T) {
	voiceGate(t)
	const (
		talk  = 4 * time.Second
		every = 25
	)
	pulse := audiotest.StartPulse(t, "desk")
	k := startKamailio(t, "MD5", "")
	rec := &recorder{}
	ua := telephony.StartTestUA(t, telephony.Config{PBX: k.URI(), User: itUser, Password: itPassword, Recordings: t.TempDir()}, rec,
		telephony.WithLogger(testLogger(t)), telephony.WithListenAddr("127.0.0.1:0"))
	rec.wait(t, telephony.EventRegistered, 10*time.Second)

	dir := t.TempDir()
	pcap := filepath.Join(dir, "caller.pcap")
	sent, lost := writeTonePcap(t, pcap, callerHz, talk, every)
	tmpl, err := os.ReadFile("testdata/caller_pcap.xml")
	if err != nil {
		t.Fatal(err)
	}
	scenario := filepath.Join(dir, "caller_pcap.xml")
	body := strings.NewReplacer("PCAP_FILE", pcap, "PAUSE_MS", strconv.Itoa(int((talk + 500*time.Millisecond).Milliseconds()))).Replace(string(tmpl))
	if err := os.WriteFile(scenario, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	ear := pulse.Record("desk.monitor")
	sipp := kamailiotest.StartSipp(t, k.Addr(), scenario, kamailiotest.FreePort(t),
		"-s", itUser, "-key", "from", "<sip:13800138000@127.0.0.1>", "-key", "extra", "X-Test: 1")
	ring := rec.wait(t, telephony.EventRinging, 15*time.Second)
	if err := ua.Answer(ring.CallID); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, telephony.EventEnded, talk+15*time.Second) // sipp's BYE
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sipp.Wait(t, ctx)
	heard := ear.Stop()
	ev := rec.wait(t, telephony.EventRecording, 10*time.Second)
	_, ch, err := audiotest.ReadWAV(ev.Recording.Path)
	if err != nil || len(ch) != 2 {
		t.Fatalf("recording %s: %v", ev.Recording.Path, err)
	}
	caller := ch[0]

	// From the tone's first 5 ms to its last, count the 5 ms windows of
	// silence: a 10 ms hole holds at least one whole.
	const win = audio.Rate / 200
	first, last := -1, -1
	for i := 0; i+win <= len(caller); i += win {
		if audio.RMS(caller[i:i+win]) > 0.05 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		t.Fatalf("the recording holds none of the caller's tone (%d packets sent)", sent)
	}
	holes := 0
	for i := first; i < last; i += win {
		if audio.RMS(caller[i:i+win]) < 0.02 {
			holes++
		}
	}
	span := time.Duration(last-first) * time.Second / audio.Rate
	if span < talk/2 {
		t.Errorf("the caller's tone spans %v of the recording, want most of the %v sent", span, talk)
	}
	if holes > 0 {
		t.Errorf("%d stretches of 5 ms silent in the %v of the caller's tone, with %d of %d packets lost: a lost 10 ms is not concealed", holes, span, lost, sent+lost)
	}
	if share := audio.ToneShare(caller[first:last], audio.Rate, callerHz); share < 0.8 {
		t.Errorf("tone share of the caller's channel %.2f", share)
	}
	if d := toneTime(heard, callerHz); d < talk/2 {
		t.Errorf("the desk's earpiece held the caller's %d Hz for %v of the %v sent", callerHz, d, talk)
	}
	t.Logf("10 ms packets, %d of %d lost: the recording holds the tone for %v with %d silent 5 ms stretches; the earpiece heard it for %v",
		lost, sent+lost, span, holes, toneTime(heard, callerHz))
}

// writeTonePcap writes to path a pcap (Ethernet, IPv4, UDP) of RTP: d of a
// freq Hz tone in PCMU, 10 ms a packet, 10 ms apart, every every-th packet
// left out (its sequence number and timestamp skipped, as a loss on the
// way would). It returns the packets written and those left out.
func writeTonePcap(t *testing.T, path string, freq float64, d time.Duration, every int) (sent, lost int) {
	t.Helper()
	const samples = audio.Rate / 100
	pcm := make([]int16, int(d.Seconds()*audio.Rate))
	audio.Tone(pcm, freq, 0.3, 0)
	le := binary.LittleEndian
	var f []byte
	f = le.AppendUint32(f, 0xa1b2c3d4)
	f = le.AppendUint16(f, 2)
	f = le.AppendUint16(f, 4)
	f = le.AppendUint32(f, 0) // GMT offset
	f = le.AppendUint32(f, 0) // accuracy
	f = le.AppendUint32(f, 65535)
	f = le.AppendUint32(f, 1) // Ethernet
	for n := 0; (n+1)*samples <= len(pcm); n++ {
		if n%every == every-1 {
			lost++
			continue
		}
		rtp := []byte{0x80, 0, 0, 0, 0, 0, 0, 0, 0x0a, 0xde, 0x5c, 0x01}
		if n == 0 {
			rtp[1] |= 0x80 // marker: the talk starts
		}
		binary.BigEndian.PutUint16(rtp[2:], uint16(n))
		binary.BigEndian.PutUint32(rtp[4:], uint32(n*samples))
		for _, s := range pcm[n*samples : (n+1)*samples] {
			rtp = append(rtp, pcmToUlaw(s))
		}
		udp := binary.BigEndian.AppendUint16(nil, 40000)
		udp = binary.BigEndian.AppendUint16(udp, 40002)
		udp = binary.BigEndian.AppendUint16(udp, uint16(8+len(rtp)))
		udp = append(udp, 0, 0) // no checksum
		udp = append(udp, rtp...)
		ip := []byte{0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1}
		binary.BigEndian.PutUint16(ip[2:], uint16(20+len(udp)))
		binary.BigEndian.PutUint16(ip[10:], ipChecksum(ip))
		frame := append(make([]byte, 12), 0x08, 0x00) // no MAC addresses, IPv4
		frame = append(append(frame, ip...), udp...)
		at := time.Duration(n) * 10 * time.Millisecond
		f = le.AppendUint32(f, uint32(at/time.Second))
		f = le.AppendUint32(f, uint32(at%time.Second/time.Microsecond))
		f = le.AppendUint32(f, uint32(len(frame)))
		f = le.AppendUint32(f, uint32(len(frame)))
		f = append(f, frame...)
		sent++
	}
	if err := os.WriteFile(path, f, 0o600); err != nil {
		t.Fatal(err)
	}
	return sent, lost
}

// ipChecksum is the IPv4 header checksum (RFC 791).
func ipChecksum(h []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(h); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(h[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// pcmToUlaw is G.711 µ-law encoding (ITU-T G.711), written out here so
// the caller's packets do not lean on the code under test.
func pcmToUlaw(s int16) byte {
	const bias, clip = 0x84, 32635
	x, sign := int(s), 0
	if x < 0 {
		x, sign = -x, 0x80
	}
	x = min(x, clip) + bias
	exp := 7
	for mask := 0x4000; x&mask == 0 && exp > 0; mask >>= 1 {
		exp--
	}
	return ^byte(sign | exp<<4 | (x>>(exp+3))&0x0f)
}
