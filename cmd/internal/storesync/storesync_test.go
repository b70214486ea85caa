package storesync

import (
	"encoding/json"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/store/storetest"
	"agentdesk/agent/upstream"
)

func TestStore_OutboxAndInbox(t *testing.T) {
	st := storetest.Open(t)
	d := New(st)
	now := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	a := agent.Alert{Kind: "major_complaint", Summary: "重大投诉", At: now}
	if err := st.PutAlert(&a, now); err != nil {
		t.Fatal(err)
	}
	if d.Desk() == "" || d.Desk() != st.DeskID() {
		t.Errorf("desk = %q, want the store's %q", d.Desk(), st.DeskID())
	}
	recs, err := d.Pending(10)
	if err != nil || len(recs) != 1 || recs[0].ID != a.ID || recs[0].Kind != agent.KindAlert || recs[0].Version != a.Version {
		t.Fatalf("pending = %+v, %v; want the alert", recs, err)
	}
	var back agent.Alert
	if err := json.Unmarshal(recs[0].Body, &back); err != nil || back.Summary != "重大投诉" {
		t.Errorf("body = %s, %v", recs[0].Body, err)
	}
	if n, oldest, err := d.Stats(); err != nil || n != 1 || oldest.IsZero() {
		t.Errorf("stats = %d %v %v", n, oldest, err)
	}
	if err := d.Ack(recs[0].Seq); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := d.Stats(); n != 0 {
		t.Errorf("%d pending after ack", n)
	}

	c := agent.Customer{Meta: agent.Meta{ID: agent.NewID(), Version: 2, Desk: "other"}, Name: "周七", Phones: []string{"+8613912345678"}}
	body, _ := json.Marshal(c)
	if ok, err := d.ApplyRemote(agent.KindCustomer, c.ID, 2, body); !ok || err != nil {
		t.Fatalf("apply remote = %v, %v", ok, err)
	}
	if ok, _ := d.ApplyRemote(agent.KindCustomer, c.ID, 1, body); ok {
		t.Error("an older version was applied")
	}
	if got, err := st.Customer(c.ID); err != nil || got.Name != "周七" {
		t.Errorf("customer = %+v, %v", got, err)
	}
	if n, _, _ := d.Stats(); n != 0 {
		t.Error("a pulled record was queued back upstream")
	}

	if v, err := d.Cursor("customers"); err != nil || v != 0 {
		t.Errorf("fresh cursor = %d, %v", v, err)
	}
	if err := d.SetCursor("customers", 42); err != nil {
		t.Fatal(err)
	}
	if v, _ := d.Cursor("customers"); v != 42 {
		t.Errorf("cursor = %d, want 42", v)
	}

	if id, err := d.PackID("en"); err != nil || id != 0 {
		t.Errorf("pack id with none = %d, %v", id, err)
	}
	if err := d.SavePack(upstream.Pack{ID: 7, Lang: "en", Name: "p.toml", Data: []byte("x"), PublishedAt: now}); err != nil {
		t.Fatal(err)
	}
	if id, err := d.PackID("en"); err != nil || id != 7 {
		t.Errorf("pack id = %d, %v; want 7", id, err)
	}
}
