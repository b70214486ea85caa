package upstream_test

import (
	"encoding/json"
	"strings"
	"testing"

	"agentdesk/agent/upstream"
)

func TestMaskNumber(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"+8613800138000", "138****8000"},
		{"13800138000", "138****8000"},
		{"138-0013-8000", "138****8000"},
		{"+86 138 0013 8000", "138****8000"},
		{"008613800138000", "138****8000"},
		{"+861062345678", "106****678"}, // Beijing landline: 10 national digits
		{"010-62345678", "106****678"},
		{"+8675512345678", "755****5678"}, // Shenzhen: 11 national digits
		{"4008123123", "400****123"},      // service number, national
		{"62345678", "62****78"},          // 8 digits, no area code
		{"1234567", "1****67"},
		{"95588", "****8"},
		{"110", "***"},
		{"12", "**"},
		{"(0)12", "***"},
		{"+442079460958", "+44 207****958"},
		{"+12025550123", "+1 202****123"},
		{"", ""},
		{"anonymous", "anonymous"},
		{"sip:13800138000@pbx.local", "sip:138****8000@pbx.local"},
		{"sip:8001@pbx", "sip:****@pbx"},
	} {
		if got := upstream.MaskNumber(tt.in); got != tt.want {
			t.Errorf("MaskNumber(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMaskText(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"客户13800138000投诉冰箱", "客户138****8000投诉冰箱"},
		{"回电 138-0013-8000 或 010-62345678", "回电 138****8000 或 106****678"},
		{"金额 1200 元，3 台", "金额 1200 元，3 台"},
		{"no digits", "no digits"},
	} {
		if got := upstream.MaskText(tt.in, 7); got != tt.want {
			t.Errorf("MaskText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMaskBoard_CallersAndAlertTextNotIDsOrTimes(t *testing.T) {
	id := "0b6f1f0e-2d2c-4a57-9a8e-426614174000"
	b := upstream.Board{
		Calls: []upstream.BoardCall{{Desk: "d1", CallID: "c1", Caller: "+8613800138000", State: "ringing"}, {Desk: "d2", CallID: "c2", Caller: "anonymous"}},
		Alerts: []upstream.BoardAlert{{ID: id, Body: json.RawMessage(`{"id":"` + id + `","customer_id":"` + id +
			`","at":"2026-11-23T09:30:00+08:00","summary":"客户13800138000说冰箱冒烟","version":3}`), Note: "客户13800138000说冰箱冒烟", To: "supervisor"}},
	}
	orig, _ := json.Marshal(b)
	m := upstream.MaskBoard(b)
	if m.Calls[0].Caller != "138****8000" || m.Calls[1].Caller != "anonymous" {
		t.Errorf("masked callers = %q, %q", m.Calls[0].Caller, m.Calls[1].Caller)
	}
	var body map[string]any
	if err := json.Unmarshal(m.Alerts[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if body["summary"] != "客户138****8000说冰箱冒烟" || body["id"] != id || body["customer_id"] != id || body["at"] != "2026-11-23T09:30:00+08:00" || body["version"] != 3.0 {
		t.Errorf("masked alert body = %s", m.Alerts[0].Body)
	}
	if m.Alerts[0].Note != "客户138****8000说冰箱冒烟" || m.Alerts[0].To != "supervisor" {
		t.Errorf("masked alert note = %q, to %q", m.Alerts[0].Note, m.Alerts[0].To)
	}
	if after, _ := json.Marshal(b); string(after) != string(orig) {
		t.Errorf("MaskBoard changed its argument")
	}
	full, _ := json.Marshal(m)
	if strings.Contains(string(full), "13800138000") {
		t.Errorf("a full number is left: %s", full)
	}
}
