package upstream_test

import (
	"strings"
	"testing"

	"agentdesk/agent/upstream"
)

func TestDecide(t *testing.T) {
	body := []byte(`{"id":"c1","version":2,"name":"张三"}`)
	stored := &upstream.Copy{Version: 2, Desk: "desk-a", Body: body}
	tomb := &upstream.Copy{Version: 2, Desk: "desk-a", Deleted: true}
	for _, tt := range []struct {
		name   string
		in     upstream.Copy
		stored *upstream.Copy
		want   upstream.Outcome
		reason string // a part of the conflict's reason
	}{
		{"nothing stored", upstream.Copy{Version: 1, Desk: "desk-a", Body: body}, nil, upstream.OutcomeStored, ""},
		{"nothing stored, a tombstone", upstream.Copy{Version: 3, Desk: "desk-a", Deleted: true}, nil, upstream.OutcomeStored, ""},
		{"newer version", upstream.Copy{Version: 3, Desk: "desk-a", Body: []byte(`{}`)}, stored, upstream.OutcomeStored, ""},
		{"newer version from another desk", upstream.Copy{Version: 3, Desk: "desk-b", Body: body}, stored, upstream.OutcomeStored, ""},
		{"newer tombstone", upstream.Copy{Version: 3, Desk: "desk-a", Deleted: true}, stored, upstream.OutcomeStored, ""},
		{"older version", upstream.Copy{Version: 1, Desk: "desk-a", Body: body}, stored, upstream.OutcomeStale, ""},
		{"older version from another desk, other body", upstream.Copy{Version: 1, Desk: "desk-b", Body: []byte(`{}`)}, stored, upstream.OutcomeStale, ""},
		{"older version below a tombstone", upstream.Copy{Version: 1, Desk: "desk-a", Body: body}, tomb, upstream.OutcomeStale, ""},
		{"same version, same desk, same body", upstream.Copy{Version: 2, Desk: "desk-a", Body: append([]byte(nil), body...)}, stored, upstream.OutcomeDuplicate, ""},
		{"same tombstone resent", upstream.Copy{Version: 2, Desk: "desk-a", Deleted: true, Body: []byte{}}, tomb, upstream.OutcomeDuplicate, ""},
		{"same version, other body", upstream.Copy{Version: 2, Desk: "desk-a", Body: []byte(`{"id":"c1","version":2,"name":"李四"}`)}, stored, upstream.OutcomeConflict, "different content"},
		{"same version, body differs by a space", upstream.Copy{Version: 2, Desk: "desk-a", Body: []byte(`{"id":"c1", "version":2,"name":"张三"}`)}, stored, upstream.OutcomeConflict, "different content"},
		{"same version, deleted here, kept there", upstream.Copy{Version: 2, Desk: "desk-a", Deleted: true, Body: body}, stored, upstream.OutcomeConflict, "different content"},
		{"same version, another desk, same body", upstream.Copy{Version: 2, Desk: "desk-b", Body: body}, stored, upstream.OutcomeConflict, "stored from desk desk-a"},
		{"same version, another desk, other body", upstream.Copy{Version: 2, Desk: "desk-b", Body: []byte(`{}`)}, stored, upstream.OutcomeConflict, "stored from desk desk-a"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, reason := upstream.Decide(tt.in, tt.stored)
			if got != tt.want {
				t.Fatalf("Decide = %s (%q), want %s", got, reason, tt.want)
			}
			if (got == upstream.OutcomeConflict) != (reason != "") || !strings.Contains(reason, tt.reason) {
				t.Errorf("reason = %q, want one naming %q for a conflict and none otherwise", reason, tt.reason)
			}
		})
	}
}

func TestCopyOf(t *testing.T) {
	r := upstream.Record{Seq: 9, Kind: "customer", ID: "c1", Version: 4, Deleted: true, Body: []byte(`{}`)}
	c := upstream.CopyOf(r, "desk-a")
	if c.Version != 4 || c.Desk != "desk-a" || !c.Deleted || string(c.Body) != `{}` {
		t.Errorf("CopyOf = %+v", c)
	}
}
