package store

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"agentdesk/agent"
)

// TestReindexRemote checks that a case or call arriving from the hub (not
// through PutComplaint or PutCall) lands in, moves in, and leaves the
// deadline and call-time indexes.
func TestReindexRemote(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "desk.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := time.Date(2026, 5, 6, 10, 0, 0, 0, time.UTC)
	c, err := agent.NewComplaint(agent.NewID(), "a", agent.ChannelPhone, at)
	if err != nil {
		t.Fatal(err)
	}
	c.ID = agent.NewID()
	if err := c.Listen("s", at); err != nil {
		t.Fatal(err)
	}
	if err := c.Ask(agent.Facts{What: "a", When: "b", Where: "c", Subject: "d", Wants: "e"}, true, at); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Follow(agent.FollowInput{Severity: agent.SeveritySimple}, at, agent.DefaultReplyPolicy()); err != nil {
		t.Fatal(err)
	}
	v1, _ := json.Marshal(c)
	if err := c.Reply(agent.ReplyInput{How: "电话", Said: "好", Accepted: true}, at); err != nil {
		t.Fatal(err)
	}
	v2, _ := json.Marshal(c)
	call := agent.Call{Meta: agent.Meta{ID: agent.NewID()}, At: at, Agent: "a"}
	k1, _ := json.Marshal(call)
	call.At = at.Add(48 * time.Hour)
	k2, _ := json.Marshal(call)

	apply := func(kind agent.Kind, id string, old, new []byte) {
		t.Helper()
		if err := s.update(func(t txn) error { return reindexRemote(t, kind, id, old, new) }); err != nil {
			t.Fatal(err)
		}
	}
	dueCount := func() int {
		t.Helper()
		d, err := s.DueCases(at.Add(100 * time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return len(d)
	}
	apply(agent.KindComplaint, c.ID, nil, v1)
	if n := dueCount(); n != 1 {
		t.Fatalf("after a remote awaiting case: %d due", n)
	}
	apply(agent.KindComplaint, c.ID, v1, v2)
	if n := dueCount(); n != 0 {
		t.Fatalf("after the remote reply: %d due", n)
	}
	apply(agent.KindComplaint, c.ID, v2, nil)

	callCount := func() int {
		t.Helper()
		var n int
		err := s.view(func(t txn) error { n = t.tx.Bucket(bucketCallAt).Stats().KeyN; return nil })
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	apply(agent.KindCall, call.ID, nil, k1)
	apply(agent.KindCall, call.ID, k1, k2)
	if n := callCount(); n != 1 {
		t.Errorf("call index holds %d keys after a move, want 1", n)
	}
	apply(agent.KindCall, call.ID, k2, nil)
	if n := callCount(); n != 0 {
		t.Errorf("call index holds %d keys after removal, want 0", n)
	}
}

// reindexRemote keeps this file's own indexes (complaints, calls,
// callbacks) right when a record arrives from the hub rather than through
// PutComplaint, PutCall or PutCallback: oldRaw is the desk's copy (nil if
// none), newRaw the new JSON (nil when the record is removed). Other kinds
// are ignored.
func reindexRemote(t txn, kind agent.Kind, id string, oldRaw, newRaw []byte) error {
	for i, raw := range [][]byte{oldRaw, newRaw} {
		if raw == nil {
			continue
		}
		del := i == 0
		var err error
		switch kind {
		case agent.KindComplaint:
			var c agent.Complaint
			if err = json.Unmarshal(raw, &c); err == nil {
				c.ID = id
				err = indexComplaint(t, &c, del)
			}
		case agent.KindCall:
			var c agent.Call
			if err = json.Unmarshal(raw, &c); err == nil {
				c.ID = id
				err = indexCall(t, &c, del)
			}
		case agent.KindCallback:
			var cb agent.Callback
			if err = json.Unmarshal(raw, &cb); err == nil {
				cb.ID = id
				err = indexCallback(t, &cb, del)
			}
		default:
			return nil
		}
		if err != nil {
			return fmt.Errorf("reindex %s %s: %w", kind, id, err)
		}
	}
	return nil
}
