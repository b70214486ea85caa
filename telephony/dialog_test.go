package telephony

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

const dialogInfoEarly = `<?xml version="1.0"?>
<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="1" state="full" entity="sip:1001@pbx">
  <dialog id="d1" call-id="c-abc" local-tag="lt" remote-tag="rt" direction="recipient">
    <state>early</state>
    <remote><identity display="王小明">sip:+8613800138000@pbx</identity></remote>
  </dialog>
</dialog-info>`

func TestParseDialogInfo(t *testing.T) {
	d, err := ParseDialogInfo([]byte(dialogInfoEarly))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Dialogs) != 1 {
		t.Fatalf("dialogs %d", len(d.Dialogs))
	}
	got := d.Dialogs[0]
	if got.CallID != "c-abc" || got.State.Value != "early" || got.Direction != "recipient" ||
		got.Remote.Identity.Display != "王小明" || got.Remote.Identity.URI != "sip:+8613800138000@pbx" {
		t.Errorf("parsed %+v", got)
	}
	if _, err := ParseDialogInfo([]byte("<dialog-info><dialog>")); err == nil {
		t.Error("truncated document parsed")
	}
}

func FuzzDialogInfo(f *testing.F) {
	f.Add([]byte(dialogInfoEarly))
	f.Add([]byte(`<dialog-info><dialog id="x"><state event="cancelled">terminated</state></dialog></dialog-info>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := ParseDialogInfo(body)
		if err != nil {
			return
		}
		c := &companion{u: &UA{emit: EmitterFunc(func(Event) {}), now: time.Now, log: quietLogger()}, dialogs: map[string]string{}}
		for _, e := range d.Dialogs {
			c.apply(e)
		}
	})
}

func ExampleParseDialogInfo() {
	d, err := ParseDialogInfo([]byte(dialogInfoEarly))
	if err != nil {
		fmt.Println(err)
		return
	}
	e := d.Dialogs[0]
	fmt.Println(e.State.Value, e.Remote.Identity.Display, e.Remote.Identity.URI)
	// Output: early 王小明 sip:+8613800138000@pbx
}

// notify sends a dialog-info NOTIFY for the UA's subscription sub.
func (f *fakePBX) notify(t *testing.T, sub *sip.Request, cseq uint32, state, body string) {
	t.Helper()
	c := sub.Contact()
	req := sip.NewRequest(sip.NOTIFY, c.Address)
	from := sip.FromHeader{Address: sub.To().Address}
	from.Params.Add("tag", "notifier")
	req.AppendHeader(&from)
	to := sip.ToHeader{Address: sub.From().Address, Params: sub.From().Params.Clone()}
	req.AppendHeader(&to)
	req.AppendHeader(sip.HeaderClone(sub.CallID()))
	req.AppendHeader(&sip.CSeqHeader{SeqNo: cseq, MethodName: sip.NOTIFY})
	host, port, _ := net.SplitHostPort(f.addr)
	p, _ := strconv.Atoi(port)
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", Host: host, Port: p}})
	req.AppendHeader(sip.NewHeader("Event", "dialog"))
	req.AppendHeader(sip.NewHeader("Subscription-State", state))
	req.AppendHeader(sip.NewHeader("Content-Type", "application/dialog-info+xml"))
	req.SetBody([]byte(body))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := f.cli.Do(ctx, req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("notify: %v %v", res, err)
	}
}

func dialogDoc(version int, id, callID, state, event string) string {
	ev := ""
	if event != "" {
		ev = ` event="` + event + `"`
	}
	return fmt.Sprintf(`<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="%d" state="partial" entity="sip:1001@pbx">
<dialog id="%s" call-id="%s" direction="recipient"><state%s>%s</state>
<remote><identity display="Caller &quot;%s&quot;">sip:0203456789@pbx</identity></remote></dialog></dialog-info>`, version, id, callID, ev, state, id)
}

func TestUA_Companion(t *testing.T) {
	pbx := startFakePBX(t, "pw", "SHA-256")
	_, ev := startUA(t, pbx, Config{Companion: true, Expires: 60 * time.Second})
	var sub *sip.Request
	select {
	case sub = <-pbx.subCh:
	case <-time.After(5 * time.Second):
		t.Fatal("no authenticated SUBSCRIBE")
	}
	if headerValue(sub, "Event") != "dialog" || headerValue(sub, "Accept") != "application/dialog-info+xml" {
		t.Errorf("subscribe headers: Event %q Accept %q", headerValue(sub, "Event"), headerValue(sub, "Accept"))
	}
	pbx.notify(t, sub, 1, "active;expires=60", dialogDoc(1, "d1", "call-1", "early", ""))
	ring := ev.wait(t, EventRinging, 5*time.Second)
	if ring.CallID != "call-1" || ring.Caller.Number != "0203456789" || ring.Caller.DisplayName != `Caller "d1"` {
		t.Errorf("ringing %+v", ring)
	}
	pbx.notify(t, sub, 2, "active;expires=60", dialogDoc(2, "d1", "call-1", "confirmed", ""))
	ev.wait(t, EventAnswered, 5*time.Second)
	pbx.notify(t, sub, 3, "active;expires=60", dialogDoc(3, "d1", "call-1", "terminated", "remote-bye"))
	if end := ev.wait(t, EventEnded, 5*time.Second); end.CallID != "call-1" || end.Reason != "remote-bye" {
		t.Errorf("ended %+v", end)
	}
	// A second call that rings and stops without being answered is missed.
	pbx.notify(t, sub, 4, "active;expires=60", dialogDoc(4, "d2", "call-2", "early", ""))
	pbx.notify(t, sub, 5, "active;expires=60", dialogDoc(5, "d2", "call-2", "terminated", "cancelled"))
	if m := ev.wait(t, EventMissed, 5*time.Second); m.CallID != "call-2" || m.Reason != "cancelled" {
		t.Errorf("missed %+v", m)
	}
	// The notifier ends the subscription: the UA subscribes again.
	pbx.notify(t, sub, 6, "terminated;reason=timeout", "")
	select {
	case <-pbx.subCh:
	case <-time.After(5 * time.Second):
		t.Fatal("no new SUBSCRIBE after the subscription was terminated")
	}
}
