package store_test

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/store"
)

func coachingNote(t *testing.T, who, text string, at time.Time) (string, []byte) {
	t.Helper()
	n := agent.CoachingNote{Meta: agent.Meta{ID: agent.NewID(), Version: 1, Desk: "hub", CreatedAt: at, UpdatedAt: at},
		Agent: who, CallID: "call-" + who, By: "王主管", Text: text, At: at}
	raw, err := json.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	return n.ID, raw
}

// Coaching notes come from the hub: kept when they check, listed per
// agent newest first, marked seen once; a note that fails its checks is
// refused and nothing is kept; a deletion from the hub removes it.
func TestStore_CoachingNotes(t *testing.T) {
	s := openWith(t, filepath.Join(t.TempDir(), "desk.db"))
	defer s.Close()
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	if got, err := s.CoachingNotes("1001", time.Time{}); err != nil || len(got) != 0 {
		t.Fatalf("a fresh file: %v, %v", got, err)
	}
	older, rawOlder := coachingNote(t, "1001", "开场白语速可以再慢一点。", t0)
	newer, rawNewer := coachingNote(t, "1001", "复述投诉内容做得很好。", t0.Add(time.Hour))
	_, rawOther := coachingNote(t, "1002", "别人的点评", t0)
	for _, r := range []struct {
		id  string
		raw []byte
	}{{older, rawOlder}, {newer, rawNewer}} {
		if ok, err := s.ApplyRemote(agent.KindCoaching, r.id, 1, r.raw); err != nil || !ok {
			t.Fatalf("apply %s: %v, %v", r.id, ok, err)
		}
	}
	var other agent.CoachingNote
	_ = json.Unmarshal(rawOther, &other)
	if _, err := s.ApplyRemote(agent.KindCoaching, other.ID, 1, rawOther); err != nil {
		t.Fatal(err)
	}
	bad := other
	bad.ID, bad.Text = agent.NewID(), "  "
	rawBad, _ := json.Marshal(bad)
	if _, err := s.ApplyRemote(agent.KindCoaching, bad.ID, 1, rawBad); !errors.Is(err, agent.ErrEmpty) {
		t.Errorf("a note without text: %v, want agent.ErrEmpty", err)
	}
	got, err := s.CoachingNotes("1001", time.Time{})
	if err != nil || len(got) != 2 || got[0].ID != newer || got[1].ID != older || !got[0].Seen.IsZero() {
		t.Fatalf("notes of 1001 = %+v, %v; want the two, newest first, unseen", got, err)
	}
	if got, _ := s.CoachingNotes("1001", t0.Add(time.Minute)); len(got) != 1 || got[0].ID != newer {
		t.Errorf("since an hour: %+v", got)
	}
	seenAt := t0.Add(2 * time.Hour)
	if err := s.MarkCoachingSeen(newer, seenAt); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkCoachingSeen(newer, seenAt.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkCoachingSeen(agent.NewID(), seenAt); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("marking an unknown note: %v, want store.ErrNotFound", err)
	}
	got, _ = s.CoachingNotes("1001", time.Time{})
	if !got[0].Seen.Equal(seenAt) || !got[1].Seen.IsZero() {
		t.Errorf("seen = %v, %v; want the first time for the newer only", got[0].Seen, got[1].Seen)
	}
	if ok, err := s.RemoveRemote(agent.KindCoaching, older, 2); err != nil || !ok {
		t.Fatalf("remove: %v, %v", ok, err)
	}
	if got, _ := s.CoachingNotes("1001", time.Time{}); len(got) != 1 {
		t.Errorf("after the hub deleted one: %d notes", len(got))
	}
}
