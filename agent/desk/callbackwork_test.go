package desk

import (
	"context"
	"strings"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/telephony"
	"agentdesk/telephony/practice"
)

// A callback's call opens with the callback script ("您好，我是XX的客服代表，
// 请问您是王先生吗？"), not with the verification opening of other outbound
// calls. The practice phone reports the ring from inside Dial, before the
// desk knows the call's ID: the opening must still be the callback's.
func TestDesk_CallbackCallOpensWithTheCallbackScript(t *testing.T) {
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, shanghai)
	h := newHarness(t, at, Options{PlanCallbacks: true})
	p := practice.New(&practice.Scenario{Callers: []practice.Caller{{Number: "10000", Delay: practice.Duration(time.Hour)}}},
		h.d, practice.WithClock(h.clk))
	p.Start()
	t.Cleanup(func() { p.Close() })
	h.d.SetPhone(p)
	if _, err := h.d.SaveCustomer(CustomerEdit{Name: "王建国", Surname: "王", Title: agent.TitleMr, Phone: "13800138000", Member: true}); err != nil {
		t.Fatal(err)
	}
	v := h.waitView(t, "the task", func(v View) bool { return len(v.Callbacks) == 1 })
	callID, err := h.d.StartCallback(context.Background(), v.Callbacks[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	v = h.waitView(t, "the callback's call", func(v View) bool {
		return v.Call != nil && v.Call.CallID == callID && v.Callback != nil && v.Callback.CallID == callID
	})
	if len(v.CallbackScript) == 0 || v.Opening != v.CallbackScript[0].Say || !strings.Contains(v.Opening, "王先生") {
		t.Errorf("the callback's call opens with %q, want the script's first line (%+v)", v.Opening, v.CallbackScript)
	}
	h.clk.Advance(practice.OutboundAnswerAfter)
	h.waitView(t, "answered", func(v View) bool { return v.Call != nil && v.Call.Status == CallOnCall })
	if err := h.d.Hangup(callID); err != nil {
		t.Fatal(err)
	}
	h.waitView(t, "hung up", func(v View) bool { return v.Call == nil })

	// Any other outbound call is a verification call.
	other, err := h.d.Dial(context.Background(), "13912345678")
	if err != nil {
		t.Fatal(err)
	}
	v = h.waitView(t, "the other call", func(v View) bool { return v.Call != nil && v.Call.CallID == other })
	if !strings.Contains(v.Opening, "核对您的资料") {
		t.Errorf("a dial that is not the callback's opens with %q, want the verification opening", v.Opening)
	}
	if v.Call.Direction != telephony.Outbound {
		t.Errorf("direction %v", v.Call.Direction)
	}
}
