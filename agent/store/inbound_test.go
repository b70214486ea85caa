package store_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/store"
	"agentdesk/agent/store/storetest"
)

func remoteCustomer(t *testing.T, id string, version int64, name string, phones ...string) []byte {
	t.Helper()
	b, err := json.Marshal(agent.Customer{Meta: agent.Meta{ID: id, Version: version, Desk: "hub-desk"}, Name: name, Phones: phones})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func lookupNames(t *testing.T, s *store.Store, number string) []string {
	t.Helper()
	cs, err := s.LookupPhone(number)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cs {
		names = append(names, c.Name)
	}
	return names
}

func TestApplyRemote_NewerOnlyIndexedNotQueued(t *testing.T) {
	s := storetest.Open(t)
	id := agent.NewID()
	apply := func(version int64, name string, phones ...string) bool {
		t.Helper()
		ok, err := s.ApplyRemote(agent.KindCustomer, id, version, remoteCustomer(t, id, version, name, phones...))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !apply(2, "吴一", "+8613800000001") {
		t.Fatal("first copy not applied")
	}
	if apply(2, "吴一改", "+8613800000009") || apply(1, "吴旧", "+8613800000008") {
		t.Fatal("same or older version applied")
	}
	if got := lookupNames(t, s, "13800000001"); len(got) != 1 || got[0] != "吴一" {
		t.Fatalf("lookup = %v, want 吴一", got)
	}
	if got := lookupNames(t, s, "13800000009"); len(got) != 0 {
		t.Fatalf("refused copy was indexed: %v", got)
	}
	if !apply(3, "吴二", "+8613800000002") {
		t.Fatal("newer version not applied")
	}
	if got := lookupNames(t, s, "13800000001"); len(got) != 0 {
		t.Errorf("old number still finds %v", got)
	}
	if got := lookupNames(t, s, "13800000002"); len(got) != 1 || got[0] != "吴二" {
		t.Errorf("new number finds %v, want 吴二", got)
	}
	if n, _, _ := s.OutboxStats(); n != 0 {
		t.Errorf("remote records queued %d outbox entries, want none", n)
	}
	if ok, err := s.RemoveRemote(agent.KindCustomer, id, 3); ok || err != nil {
		t.Errorf("tombstone at the same version removed the record (%v)", err)
	}
	if ok, err := s.RemoveRemote(agent.KindCustomer, id, 4); !ok || err != nil {
		t.Fatalf("newer tombstone not applied (%v)", err)
	}
	if got := lookupNames(t, s, "13800000002"); len(got) != 0 {
		t.Errorf("deleted customer still found: %v", got)
	}
	if _, err := s.Customer(id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Customer after removal = %v, want ErrNotFound", err)
	}
}

func TestApplyRemote_RefusesMismatchedBody(t *testing.T) {
	s := storetest.Open(t)
	id := agent.NewID()
	if _, err := s.ApplyRemote(agent.KindCustomer, id, 5, remoteCustomer(t, id, 4, "x", "+8613800000001")); err == nil {
		t.Error("body version 4 applied as version 5")
	}
	if _, err := s.ApplyRemote(agent.KindCustomer, id, 1, []byte("not json")); err == nil {
		t.Error("malformed body applied")
	}
}

func TestSavePack_KeepsNewest(t *testing.T) {
	s := storetest.Open(t)
	if _, err := s.LatestPack("en"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("LatestPack on a new store = %v, want ErrNotFound", err)
	}
	for _, id := range []int64{3, 2, 5, 4} {
		if err := s.SavePack(store.StoredPack{ID: id, Lang: "en", Data: []byte{byte(id)}, PublishedAt: time.Unix(id, 0)}); err != nil {
			t.Fatal(err)
		}
	}
	if p, err := s.LatestPack("en"); err != nil || p.ID != 5 || p.Data[0] != 5 {
		t.Errorf("LatestPack = %+v, %v; want pack 5", p, err)
	}
}

func TestSyncCursor_RoundTrips(t *testing.T) {
	s := storetest.Open(t)
	if v, err := s.SyncCursor("customers"); v != 0 || err != nil {
		t.Fatalf("new cursor = %d, %v", v, err)
	}
	if err := s.SetSyncCursor("customers", 1<<40); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.SyncCursor("customers"); v != 1<<40 {
		t.Errorf("cursor = %d", v)
	}
}

func TestApplyRemote_OnlyCustomers(t *testing.T) {
	s := storetest.Open(t)
	id := agent.NewID()
	body, _ := json.Marshal(agent.Meta{ID: id, Version: 1})
	if _, err := s.ApplyRemote(agent.KindComplaint, id, 1, body); !errors.Is(err, store.ErrNotPulled) {
		t.Errorf("ApplyRemote(complaint) = %v, want ErrNotPulled", err)
	}
	if _, err := s.RemoveRemote(agent.KindCall, id, 1); !errors.Is(err, store.ErrNotPulled) {
		t.Errorf("RemoveRemote(call) = %v, want ErrNotPulled", err)
	}
}
