package upstream_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"slices"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/upstream"
	"agentdesk/agent/upstream/upstreamtest"
)

// The listing of recordings through the handler over the in-memory hub:
// who may list whose (the handler's rule, the same whatever the backend)
// and the in-memory hub's answer. The hub's own is tested on PostgreSQL
// in agent/hub.
func TestClient_Recordings_WhoListsWhat(t *testing.T) {
	h, url := memHub(t)
	ctx := context.Background()
	base := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	push := func(desk, token string, recs ...[2]string) *upstream.Client {
		d := upstreamtest.NewDesk(desk)
		for i, r := range recs {
			at := base.Add(time.Duration(1+i) * time.Minute)
			if r[1] == "1002" {
				at = at.Add(30 * time.Second)
			}
			d.Put(agent.KindRecording, r[0], 1, at, &agent.Recording{Meta: agent.Meta{ID: r[0], Version: 1, Desk: desk},
				CallID: r[0] + "@pbx", Agent: r[1], File: r[0] + ".wav", Started: at, Duration: time.Minute, Channels: 2})
		}
		c, err := upstream.NewClient(url, token, d, d, upstream.WithLogger(quiet), upstream.WithDesk(desk))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		return c
	}
	// Starts: a 09:01, b 09:02:30, c 09:03 (desk d1); d 09:01, e 09:02:30
	// (d2); a and d at one instant are listed by ID, the greater first.
	d1 := push("d1", "desk1", [2]string{"a", "1001"}, [2]string{"b", "1002"}, [2]string{"c", "1001"})
	push("d2", "desk2", [2]string{"d", "1001"}, [2]string{"e", "1002"})
	if _, err := d1.UploadRecording(ctx, "c", bytes.NewReader(pcm(800))); err != nil {
		t.Fatal(err)
	}
	h.AddToken("s1001", upstream.Principal{Name: "小王", Role: upstream.RoleAgent, Desk: "d1", Kind: upstream.TokenSession, Agent: "1001"})
	h.AddToken("trainer-session", upstream.Principal{Name: "老师", Role: upstream.RoleTrainer, Desk: "d1", Kind: upstream.TokenSession, Agent: "3001"})
	h.AddToken("boss-session", upstream.Principal{Name: "班长", Role: upstream.RoleSupervisor, Desk: "d2", Kind: upstream.TokenSession, Agent: "9001"})
	h.AddToken("trainer", upstream.Principal{Name: "老师", Role: upstream.RoleTrainer})
	h.AddToken("new-pc", upstream.Principal{Name: "新机", Role: upstream.RoleAgent, Kind: upstream.TokenDevice})
	as := func(tok string) *upstream.Client {
		c, err := upstream.NewClient(url, tok, nil, nil, upstream.WithLogger(quiet))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, tt := range []struct {
		token string
		q     upstream.RecordingQuery
		want  []string
		more  bool
		err   error
	}{
		{"boss", upstream.RecordingQuery{}, []string{"c", "e", "b", "d", "a"}, false, nil},
		{"boss", upstream.RecordingQuery{Agent: "1002"}, []string{"e", "b"}, false, nil},
		{"boss", upstream.RecordingQuery{Limit: 2}, []string{"c", "e"}, true, nil},
		{"boss", upstream.RecordingQuery{From: base.Add(2 * time.Minute), To: base.Add(3 * time.Minute)}, []string{"e", "b"}, false, nil},
		{"boss-session", upstream.RecordingQuery{Agent: "1001"}, []string{"c", "d", "a"}, false, nil},
		{"s1001", upstream.RecordingQuery{}, []string{"c", "d", "a"}, false, nil},
		{"s1001", upstream.RecordingQuery{Agent: "1002"}, nil, false, upstream.ErrForbidden},
		{"trainer-session", upstream.RecordingQuery{}, nil, false, nil},
		{"desk1", upstream.RecordingQuery{}, []string{"c", "b", "a"}, false, nil},
		{"desk2", upstream.RecordingQuery{Agent: "1002"}, []string{"e"}, false, nil},
		{"new-pc", upstream.RecordingQuery{}, nil, false, upstream.ErrForbidden},
		{"trainer", upstream.RecordingQuery{}, nil, false, upstream.ErrWrongRole},
		{"wall", upstream.RecordingQuery{}, nil, false, upstream.ErrWrongRole},
		{"boss", upstream.RecordingQuery{Limit: upstream.MaxRecordingPage + 1}, nil, false, upstream.ErrInvalid},
		{"boss", upstream.RecordingQuery{From: base.Add(time.Hour), To: base}, nil, false, upstream.ErrInvalid},
	} {
		l, err := as(tt.token).Recordings(ctx, tt.q)
		var got []string
		for _, r := range l.Recordings {
			got = append(got, r.ID)
		}
		if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) || !slices.Equal(got, tt.want) || l.More != tt.more {
			t.Errorf("%s %+v: %v more %v, %v; want %v more %v, %v", tt.token, tt.q, got, l.More, err, tt.want, tt.more, tt.err)
		}
	}
	l, err := as("boss").Recordings(ctx, upstream.RecordingQuery{Agent: "1001", From: base.Add(2 * time.Minute)})
	if err != nil || len(l.Recordings) != 1 {
		t.Fatalf("c alone = %+v, %v", l, err)
	}
	if c := l.Recordings[0]; c.ID != "c" || c.Desk != "d1" || c.CallID != "c@pbx" || c.Duration != 60 || c.Channels != 2 || !c.Audio || c.Size != 44+1600 || len(c.SHA256) != 64 {
		t.Errorf("c = %+v", c)
	}
}

// pcm is a mono 8 kHz 16-bit PCM WAV file of n samples.
func pcm(n int) []byte {
	var b bytes.Buffer
	le := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	le(uint32(36 + 2*n))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(8000), uint32(16000), uint16(2), uint16(16)} {
		le(v)
	}
	b.WriteString("data")
	le(uint32(2 * n))
	b.Write(make([]byte, 2*n))
	return b.Bytes()
}
