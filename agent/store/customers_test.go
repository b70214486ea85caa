package store_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/store"
	"agentdesk/agent/store/storetest"
)

var t0 = time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)

func put(t *testing.T, s *store.Store, c agent.Customer) agent.Customer {
	t.Helper()
	if err := s.PutCustomer(&c, t0); err != nil {
		t.Fatalf("PutCustomer(%+v): %v", c, err)
	}
	return c
}

func ids(cs []agent.Customer) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	slices.Sort(out)
	return out
}

func TestPutCustomer_StampsAndNormalises(t *testing.T) {
	s := storetest.Open(t)
	c := put(t, s, agent.Customer{Name: "张伟", Surname: "张", Title: agent.TitleMr, Phones: []string{"138-0013-8000", "+86 138 0013 8000", "010-12345678"}})
	if c.ID == "" || c.Version != 1 || c.Desk != s.DeskID() || !c.CreatedAt.Equal(t0) || !c.UpdatedAt.Equal(t0) {
		t.Errorf("stored meta = %+v", c.Meta)
	}
	if want := []string{"+8613800138000", "+861012345678"}; !slices.Equal(c.Phones, want) {
		t.Errorf("phones = %q, want %q", c.Phones, want)
	}
	got, err := s.Customer(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "张伟" || got.Version != 1 || !slices.Equal(got.Phones, c.Phones) {
		t.Errorf("Customer(%s) = %+v", c.ID, got)
	}
	out, err := s.Outbox(10)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0].ID != c.ID || out[0].Version != 1 || out[0].Kind != agent.KindCustomer || len(out[0].Body) == 0 {
		t.Errorf("outbox = %+v", out)
	}
}

func TestPutCustomer_Invalid(t *testing.T) {
	s := storetest.Open(t)
	tests := []struct {
		name string
		c    agent.Customer
		want error
	}{
		{"no phone", agent.Customer{Name: "李娜"}, agent.ErrNoPhone},
		{"bad phone", agent.Customer{Name: "李娜", Phones: []string{"abc"}}, agent.ErrBadPhone},
		{"bad id", agent.Customer{Meta: agent.Meta{ID: "x\x00y"}, Name: "李娜", Phones: []string{"13800138000"}}, store.ErrBadID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c
			if err := s.PutCustomer(&c, t0); !errors.Is(err, tt.want) {
				t.Errorf("PutCustomer error = %v, want %v", err, tt.want)
			}
		})
	}
	if n, err := s.CountCustomers(); err != nil || n != 0 {
		t.Errorf("CountCustomers = %d, %v; want 0", n, err)
	}
	if out, _ := s.Outbox(10); len(out) != 0 {
		t.Errorf("outbox after refused puts = %+v", out)
	}
}

func TestLookupPhone_AllForms(t *testing.T) {
	s := storetest.Open(t)
	zhang := put(t, s, agent.Customer{Name: "张伟", Phones: []string{"13800138000"}})
	wang := put(t, s, agent.Customer{Name: "王芳", Phones: []string{"+86 138 0013 8000", "(0755)8888 9999"}})
	put(t, s, agent.Customer{Name: "刘洋", Phones: []string{"13900139000"}})
	svc := put(t, s, agent.Customer{Name: "客服", Phones: []string{"400-123-4567"}})

	both := ids([]agent.Customer{zhang, wang})
	tests := []struct {
		number string
		want   []string
	}{
		{"13800138000", both},
		{"138-0013-8000", both},
		{"+86 138 0013 8000", both},
		{"008613800138000", both},
		{"0755-88889999", []string{wang.ID}},
		{"+86 400 123 4567", []string{svc.ID}},
		{"13700137000", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.number, func(t *testing.T) {
			got, err := s.LookupPhone(tt.number)
			if err != nil {
				t.Fatal(err)
			}
			if g := ids(got); !slices.Equal(g, tt.want) {
				t.Errorf("LookupPhone(%q) = %q, want %q", tt.number, g, tt.want)
			}
		})
	}
	if _, err := s.LookupPhone("anonymous"); !errors.Is(err, agent.ErrBadPhone) {
		t.Errorf("LookupPhone(anonymous) error = %v, want ErrBadPhone", err)
	}
}

func TestPutCustomer_UpdateMovesIndex(t *testing.T) {
	s := storetest.Open(t)
	c := put(t, s, agent.Customer{Name: "张伟", Phones: []string{"13800138000", "13900139000"}})
	c.Phones = []string{"13900139000", "13700137000"}
	c.Notes = "换号"
	later := t0.Add(time.Hour)
	if err := s.PutCustomer(&c, later); err != nil {
		t.Fatal(err)
	}
	if c.Version != 2 || !c.CreatedAt.Equal(t0) || !c.UpdatedAt.Equal(later) {
		t.Errorf("meta after update = %+v", c.Meta)
	}
	for number, want := range map[string]int{"13800138000": 0, "13900139000": 1, "13700137000": 1} {
		got, err := s.LookupPhone(number)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != want {
			t.Errorf("LookupPhone(%s) found %d, want %d", number, len(got), want)
		}
		if want == 1 && (got[0].Version != 2 || got[0].Notes != "换号") {
			t.Errorf("LookupPhone(%s) = %+v, want the updated record", number, got[0])
		}
	}
	// A stale copy (version 1) saved again still moves the version forward.
	stale := c
	stale.Version = 1
	if err := s.PutCustomer(&stale, later); err != nil {
		t.Fatal(err)
	}
	if stale.Version != 3 {
		t.Errorf("version after stale save = %d, want 3", stale.Version)
	}
	if n, _ := s.CountCustomers(); n != 1 {
		t.Errorf("CountCustomers = %d, want 1", n)
	}
}

func TestDeleteCustomer_Tombstone(t *testing.T) {
	s := storetest.Open(t)
	c := put(t, s, agent.Customer{Name: "张伟", Phones: []string{"13800138000"}})
	other := put(t, s, agent.Customer{Name: "王芳", Phones: []string{"13800138000"}})
	later := t0.Add(time.Hour)
	if err := s.DeleteCustomer(c.ID, later); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Customer(c.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Customer after delete: %v, want ErrNotFound", err)
	}
	got, err := s.LookupPhone("13800138000")
	if err != nil {
		t.Fatal(err)
	}
	if g := ids(got); !slices.Equal(g, []string{other.ID}) {
		t.Errorf("LookupPhone after delete = %q, want only %s", g, other.ID)
	}
	out, _ := s.Outbox(10)
	last := out[len(out)-1]
	if !last.Deleted || last.ID != c.ID || last.Version != 2 || !last.At.Equal(later) {
		t.Errorf("tombstone = %+v", last)
	}
	if err := s.DeleteCustomer(c.ID, later); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}
}

func TestSearchCustomers(t *testing.T) {
	s := storetest.Open(t)
	zhang := put(t, s, agent.Customer{Name: "伟", Surname: "张", Phones: []string{"13800138000"}})
	wang := put(t, s, agent.Customer{Name: "Fang Wang", Phones: []string{"0755-88889999"}})
	svc := put(t, s, agent.Customer{Name: "客服中心", Phones: []string{"400-123-4567"}})
	tests := []struct {
		q    string
		want []string
	}{
		{"张伟", []string{zhang.ID}},
		{"张", []string{zhang.ID}},
		{"fang", []string{wang.ID}},
		{"WANG", []string{wang.ID}},
		{"138 0013", []string{zhang.ID}},
		{"+86138", []string{zhang.ID}},
		{"0755", []string{wang.ID}},
		{"400", []string{svc.ID}},
		{"客服", []string{svc.ID}},
		{"李", []string{}},
		{"", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			got, err := s.SearchCustomers(tt.q, 10)
			if err != nil {
				t.Fatal(err)
			}
			if g := ids(got); !slices.Equal(g, tt.want) {
				t.Errorf("SearchCustomers(%q) = %q, want %q", tt.q, g, tt.want)
			}
		})
	}
	got, err := s.SearchCustomers("1", 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) > 1 {
		t.Errorf("limit 1 returned %d", len(got))
	}
}

// TestSearchCustomers_NumberSearchFollowsWrites: number searches see every
// write made since the first search (on a sealed file they read an
// in-memory directory that the writes keep up to date).
func TestSearchCustomers_NumberSearchFollowsWrites(t *testing.T) {
	s := storetest.Open(t)
	a := put(t, s, agent.Customer{Name: "甲", Phones: []string{"13800138000"}})
	find := func(q string) []string {
		t.Helper()
		got, err := s.SearchCustomers(q, 10)
		if err != nil {
			t.Fatal(err)
		}
		return ids(got)
	}
	if got := find("1380013"); !slices.Equal(got, []string{a.ID}) {
		t.Fatalf("first search = %v", got)
	}
	b := put(t, s, agent.Customer{Name: "乙", Phones: []string{"13800139000"}})
	both := []string{a.ID, b.ID}
	slices.Sort(both) // ids sorts
	if got := find("1380013"); !slices.Equal(got, both) {
		t.Errorf("after a new customer = %v, want %v", got, both)
	}
	a.Phones = []string{"15900159000"}
	a = put(t, s, a)
	if got := find("1380013"); !slices.Equal(got, []string{b.ID}) {
		t.Errorf("after a's number changed = %v", got)
	}
	if got := find("159 0015"); !slices.Equal(got, []string{a.ID}) {
		t.Errorf("a's new number = %v", got)
	}
	if err := s.DeleteCustomer(b.ID, t0); err != nil {
		t.Fatal(err)
	}
	if got := find("1380013"); len(got) != 0 {
		t.Errorf("after the delete = %v", got)
	}
	if _, err := importString(t, s, "name,phones\n丙,13700137000\n"); err != nil {
		t.Fatal(err)
	}
	if got := find("137001"); len(got) != 1 {
		t.Errorf("after an import = %v", got)
	}
	id := agent.NewID()
	if ok, err := s.ApplyRemote(agent.KindCustomer, id, 1, remoteCustomer(t, id, 1, "丁", "136-0013-6000")); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if got := find("1360013"); !slices.Equal(got, []string{id}) {
		t.Errorf("after a customer from the hub = %v", got)
	}
	if ok, err := s.RemoveRemote(agent.KindCustomer, id, 2); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if got := find("1360013"); len(got) != 0 {
		t.Errorf("after the hub removed it = %v", got)
	}
}
