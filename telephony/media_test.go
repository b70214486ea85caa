package telephony

import (
	"context"
	"encoding/binary"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// answeredCall sets up a call from the fake PBX that the UA has answered,
// with the caller's RTP going to media.
func answeredCall(t *testing.T) (*UA, *events, *fakePBX, *sipgo.DialogClientSession, *net.UDPConn, string) {
	t.Helper()
	media, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = media.Close() })
	pbx := startFakePBX(t, "pw", "MD5")
	pbx.mediaPort = media.LocalAddr().(*net.UDPAddr).Port
	ua, ev := startUA(t, pbx, Config{})
	pbx.waitRegister(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	d := pbx.invite(t, ctx, "<sip:13800138000@pbx.test>")
	ring := answerDialog(t, ctx, d, ua, ev)
	return ua, ev, pbx, d, media, ring.CallID
}

// readRTP reads RTP packets until one with payload type pt arrives.
func readRTP(t *testing.T, c *net.UDPConn, pt byte) ([]byte, *net.UDPAddr) {
	t.Helper()
	buf := make([]byte, 1500)
	deadline := time.Now().Add(5 * time.Second)
	_ = c.SetReadDeadline(deadline)
	for {
		n, from, err := c.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("no RTP packet with PT %d: %v", pt, err)
		}
		if n >= 12 && buf[1]&0x7F == pt {
			return append([]byte(nil), buf[:n]...), from
		}
	}
}

func TestUA_Media_SilenceAndDTMF(t *testing.T) {
	ua, ev, _, _, media, callID := answeredCall(t)

	// The UA keeps the media path alive with 20 ms PCMU silence frames.
	pkt, uaRTP := readRTP(t, media, ptPCMU)
	if len(pkt) != 12+160 || pkt[12] != 0xFF {
		t.Errorf("silence frame: %d bytes, first sample %#x", len(pkt), pkt[12])
	}

	// Sending a key goes out as RFC 4733 telephone-event (PT 101, event 11 = #).
	if err := ua.SendDTMF(callID, "#"); err != nil {
		t.Fatal(err)
	}
	ev4733, _ := readRTP(t, media, ptTelephoneEvent)
	if ev4733[12] != 11 {
		t.Errorf("dtmf event %d, want 11", ev4733[12])
	}
	if err := ua.SendDTMF(callID, "x"); err != ErrBadDigit {
		t.Errorf("bad digit: %v", err)
	}

	// Receiving: three packets of one event (same timestamp) are one key;
	// a later event with a new timestamp is the next key.
	send := func(seq uint16, ts uint32, event byte) {
		p := make([]byte, 16)
		p[0], p[1] = 0x80, ptTelephoneEvent
		binary.BigEndian.PutUint16(p[2:], seq)
		binary.BigEndian.PutUint32(p[4:], ts)
		p[12], p[13] = event, 10
		if _, err := media.WriteToUDP(p, uaRTP); err != nil {
			t.Fatal(err)
		}
	}
	send(100, 8000, 7)
	send(101, 8000, 7)
	send(102, 8000, 7)
	send(103, 9600, 8)
	got := ev.wait(t, EventDTMF, 5*time.Second)
	if got.Digit != "7" || got.CallID != callID {
		t.Errorf("dtmf event %+v", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for ev.count(EventDTMF) < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	ev.mu.Lock()
	var digits string
	for _, e := range ev.all {
		if e.Kind == EventDTMF {
			digits += e.Digit
		}
	}
	ev.mu.Unlock()
	if digits != "78" {
		t.Errorf("keys received %q, want 78 (one event per key)", digits)
	}
}

func TestUA_InfoDTMF(t *testing.T) {
	_, ev, _, d, _, callID := answeredCall(t)
	req := sip.NewRequest(sip.INFO, d.InviteResponse.Contact().Address)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/dtmf-relay"))
	req.SetBody([]byte("Signal=5\r\nDuration=160\r\n"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := d.Do(ctx, req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("info: %v %v", res, err)
	}
	if got := ev.wait(t, EventDTMF, 5*time.Second); got.Digit != "5" || got.CallID != callID {
		t.Errorf("dtmf %+v", got)
	}
}

func TestUA_HoldResumeTransfer(t *testing.T) {
	ua, ev, pbx, _, _, callID := answeredCall(t)
	if err := ua.Resume(callID); err != ErrCallState {
		t.Errorf("resume of an unheld call: %v", err)
	}
	if err := ua.Hold(callID); err != nil {
		t.Fatal(err)
	}
	ev.wait(t, EventHeld, time.Second)
	if err := ua.Resume(callID); err != nil {
		t.Fatal(err)
	}
	ev.wait(t, EventResumed, time.Second)
	pbx.mu.Lock()
	var dirs []string
	for _, r := range pbx.reinvites {
		s, err := ParseSDP(r.Body())
		if err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, s.Direction)
	}
	pbx.mu.Unlock()
	if len(dirs) != 2 || dirs[0] != dirSendOnly || dirs[1] != dirSendRecv {
		t.Errorf("re-INVITE directions %v, want [sendonly sendrecv]", dirs)
	}
	if err := ua.Transfer(callID, "2000"); err != nil {
		t.Fatal(err)
	}
	ev.wait(t, EventTransferred, time.Second)
	if end := ev.wait(t, EventEnded, 5*time.Second); end.Reason != "transferred" {
		t.Errorf("end reason %q", end.Reason)
	}
	pbx.mu.Lock()
	defer pbx.mu.Unlock()
	if len(pbx.refers) != 1 || pbx.refers[0].ReferTo().Address.User != "2000" {
		t.Errorf("refers %v", pbx.refers)
	}
	if _, err := ua.lookup(callID); err != ErrNoCall {
		t.Errorf("call still known after transfer: %v", err)
	}
}

// TestUA_RemoteHold: the caller puts us on hold with a re-INVITE
// (a=sendonly); the UA answers a=recvonly and the call goes on.
func TestUA_RemoteHold(t *testing.T) {
	ua, _, _, d, _, callID := answeredCall(t)
	target := d.InviteResponse.Contact().Address
	req := sip.NewRequest(sip.INVITE, target)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(offerSDP("127.0.0.1", 40002, 7, 2, dirSendOnly))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := d.Do(ctx, req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("re-invite: %v %v", res, err)
	}
	ans, err := ParseSDP(res.Body())
	if err != nil || ans.Direction != dirRecvOnly {
		t.Fatalf("answer to hold: %+v %v", ans, err)
	}
	if err := d.WriteRequest(sip.NewRequest(sip.ACK, target)); err != nil {
		t.Fatal(err)
	}
	if err := ua.Hold(callID); err != nil {
		t.Errorf("hold after the peer's re-INVITE: %v", err)
	}
}

// TestUA_LateOffer: an INVITE without SDP gets our offer in the 200 OK and
// the caller's answer in the ACK.
func TestUA_LateOffer(t *testing.T) {
	media, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer media.Close()
	pbx := startFakePBX(t, "pw", "MD5")
	ua, ev := startUA(t, pbx, Config{})
	pbx.waitRegister(t)
	pbx.mu.Lock()
	contact := *pbx.contact
	pbx.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req := sip.NewRequest(sip.INVITE, contact)
	d, err := pbx.dialogs.WriteInvite(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	ring := ev.wait(t, EventRinging, 5*time.Second)
	go func() { _ = ua.Answer(ring.CallID) }()
	if err := d.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		t.Fatal(err)
	}
	offer, err := ParseSDP(d.InviteResponse.Body())
	if err != nil {
		t.Fatalf("our offer: %v", err)
	}
	if te := offer.TelephoneEvent(); te != ptTelephoneEvent {
		t.Errorf("offer telephone-event %d", te)
	}
	answer, _, err := offer.Answer("127.0.0.1", media.LocalAddr().(*net.UDPAddr).Port, 9, 1)
	if err != nil {
		t.Fatal(err)
	}
	ack := sip.NewRequest(sip.ACK, d.InviteResponse.Contact().Address)
	ack.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	ack.SetBody(answer)
	if err := d.WriteAck(ctx, ack); err != nil {
		t.Fatal(err)
	}
	ev.wait(t, EventAnswered, 5*time.Second)
	// Media now flows to the address in the ACK's answer.
	readRTP(t, media, ptPCMU)
}

// TestUA_SendDTMF_InfoFallback: a peer that offered no telephone-event
// gets keys as SIP INFO application/dtmf-relay.
func TestUA_SendDTMF_InfoFallback(t *testing.T) {
	pbx := startFakePBX(t, "pw", "MD5")
	pbx.noTelephoneEvent = true
	ua, ev := startUA(t, pbx, Config{})
	pbx.waitRegister(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ring := answerDialog(t, ctx, pbx.invite(t, ctx, "<sip:13800138000@pbx.test>"), ua, ev)
	if err := ua.SendDTMF(ring.CallID, "9"); err != nil {
		t.Fatal(err)
	}
	pbx.mu.Lock()
	defer pbx.mu.Unlock()
	if len(pbx.infos) != 1 || !strings.Contains(string(pbx.infos[0].Body()), "Signal=9") {
		t.Fatalf("INFOs %v", pbx.infos)
	}
	if ct := pbx.infos[0].ContentType(); ct == nil || ct.Value() != "application/dtmf-relay" {
		t.Errorf("content type %v", ct)
	}
}
