package store

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/store/seal"
)

// TestNumberDir_KeptWithConcurrentWrites: on a sealed file, number searches
// running while customers are saved and deleted leave a directory equal to
// one read afresh from the file.
func TestNumberDir_KeptWithConcurrentWrites(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "desk.db"), WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		WithUnlock(seal.Hub{KeyID: "k", Key: make([]byte, seal.KeySize)}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Date(2026, 5, 6, 9, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				c := &agent.Customer{Name: "客户", Phones: []string{fmt.Sprintf("138%d%07d", w, i)}}
				if err := s.PutCustomer(c, now); err != nil {
					t.Error(err)
					return
				}
				if i%3 == 0 {
					c.Phones = []string{fmt.Sprintf("139%d%07d", w, i)}
					if err := s.PutCustomer(c, now); err != nil {
						t.Error(err)
						return
					}
				}
				if i%5 == 0 {
					if err := s.DeleteCustomer(c.ID, now); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 60 {
			if _, err := s.SearchCustomers("1380", 50); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	wg.Wait()
	if _, err := s.SearchCustomers("1380", 50); err != nil {
		t.Fatal(err)
	}
	s.nums.mu.Lock()
	got := slices.Clone(s.nums.list)
	s.nums.mu.Unlock()
	if got == nil {
		t.Fatal("the number directory was never built")
	}
	var fresh numberDir
	if ok, err := fresh.build(s); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if !slices.Equal(got, fresh.list) {
		t.Errorf("directory after concurrent writes has %d entries, the file %d", len(got), len(fresh.list))
	}
	if len(fresh.list) != 3*40-3*8 {
		t.Errorf("the file has %d numbers, want %d", len(fresh.list), 3*40-3*8)
	}
}

func TestPhonesOf(t *testing.T) {
	for _, tt := range []struct {
		json string
		want []string
	}{
		{`{"id":"x","phones":["+8613800138000","+861012345678"],"notes":"a \"phones\":[\"1\"]"}`, []string{"+8613800138000", "+861012345678"}},
		{`{"notes":"he said \"phones\": [\"9\"]","phones":["4001234567"]}`, []string{"4001234567"}},
		{`{"phones":[]}`, nil},
		{`{"phones":null}`, nil},
		{`{"name":"x"}`, nil},
		{`{"phones":["+86 138\u00200013 8000"]}`, []string{"+86 138 0013 8000"}},
		{`{"phones": [ "138" , "139" ]}`, []string{"138", "139"}},
	} {
		got, err := phonesOf([]byte(tt.json))
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("phonesOf(%s) = %q, %v; want %q", tt.json, got, err, tt.want)
		}
	}
}
