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

// A callback task from the hub is stored as sent, not queued back; an
// older version or a body that is no task is refused; the outcome the
// desk records on it is the next version, from this desk, queued.
func TestStore_CallbackFromHub(t *testing.T) {
	st := storetest.Open(t)
	d := New(st)
	now := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	c := agent.Customer{Name: "周七", Phones: []string{"+8613912345678"}, Member: true}
	if err := st.PutCustomer(&c, now); err != nil {
		t.Fatal(err)
	}
	recs, _ := d.Pending(10)
	if err := d.Ack(recs[len(recs)-1].Seq); err != nil {
		t.Fatal(err)
	}
	cb := agent.Callback{Meta: agent.Meta{ID: agent.NewID(), Version: 1, Desk: upstream.HubDesk, CreatedAt: now, UpdatedAt: now},
		CustomerID: c.ID, Agent: "1001", Purpose: "member", Due: now.AddDate(0, 0, 3), NextTry: now}
	body, _ := json.Marshal(cb)
	if ok, err := d.ApplyRemote(agent.KindCallback, cb.ID, 1, body); !ok || err != nil {
		t.Fatalf("apply remote callback = %v, %v", ok, err)
	}
	if ok, err := d.ApplyRemote(agent.KindCallback, cb.ID, 1, body); ok || err != nil {
		t.Errorf("the same version again = %v, %v; want not applied", ok, err)
	}
	if n, _, _ := d.Stats(); n != 0 {
		t.Errorf("%d records queued after a pull", n)
	}
	bad := agent.NewID()
	if _, err := d.ApplyRemote(agent.KindCallback, bad, 1, []byte(`{"id":"`+bad+`","version":1,"attempts":"many"}`)); err == nil {
		t.Error("a body that is no callback was applied")
	}
	if _, err := st.Callback(bad); err == nil {
		t.Error("the refused body was stored")
	}
	got, err := st.Callback(cb.ID)
	if err != nil || got.Agent != "1001" || got.Desk != upstream.HubDesk {
		t.Fatalf("stored task = %+v, %v", got, err)
	}
	yes := true
	if err := got.Record(agent.CallbackOutcome{At: now.Add(time.Hour), Reached: &yes, Satisfied: &yes, Suggestions: "无", NoNextContact: true},
		agent.DefaultQuietHours(time.UTC), time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := st.PutCallback(&got, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	recs, _ = d.Pending(10)
	if len(recs) != 1 || recs[0].Kind != agent.KindCallback || recs[0].Version != 2 {
		t.Fatalf("outbox after the outcome = %+v, want the task at v2", recs)
	}
	var sent agent.Callback
	if err := json.Unmarshal(recs[0].Body, &sent); err != nil || sent.Desk != st.DeskID() || sent.State != agent.CallbackDone {
		t.Errorf("pushed task = %+v, %v; want done, from this desk", sent, err)
	}
	// The hub's older copy coming back changes nothing.
	if ok, _ := d.ApplyRemote(agent.KindCallback, cb.ID, 1, body); ok {
		t.Error("the hub's v1 replaced the desk's outcome")
	}
	if ok, err := d.RemoveRemote(agent.KindCallback, cb.ID, 3); !ok || err != nil {
		t.Errorf("remove remote v3 = %v, %v", ok, err)
	}
	if _, err := st.Callback(cb.ID); err == nil {
		t.Error("the task is still there after the hub's tombstone")
	}
}
