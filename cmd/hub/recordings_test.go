package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/upstream"
	"agentdesk/agent/upstream/pgtest"
	"agentdesk/agent/upstream/upstreamtest"
)

// wavOf is a mono 8 kHz 16-bit PCM WAV file of n samples.
func wavOf(n int) []byte {
	var b bytes.Buffer
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(36+2*n))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(8000), uint32(16000), uint16(2), uint16(16)} {
		binary.Write(&b, binary.LittleEndian, v)
	}
	b.WriteString("data")
	binary.Write(&b, binary.LittleEndian, uint32(2*n))
	for i := range n {
		binary.Write(&b, binary.LittleEndian, int16(i*31))
	}
	return b.Bytes()
}

// The real hub command takes a desk's recordings, serves them to a
// supervisor and its wallboard page; hub recordings purge deletes the
// audio past the center's retention and keeps the rest and every record.
func TestRecordingsPurge_DeletesAudioPastRetention(t *testing.T) {
	dsn := pgtest.New(t)
	addr := freePort(t)
	startChildHub(t, dsn, addr)
	url0 := "http://" + addr
	ctx := context.Background()
	deskID := agent.NewID()
	d := upstreamtest.NewDesk(deskID)
	c, err := upstream.NewClient(url0, newToken(t, dsn, upstream.RoleAgent, "PC 1", deskID), d, d, upstream.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	old, recent := agent.NewID(), agent.NewID()
	for _, r := range []struct {
		id  string
		ago time.Duration
	}{{old, 100 * 24 * time.Hour}, {recent, 10 * 24 * time.Hour}} {
		at := now.Add(-r.ago)
		d.Put(agent.KindRecording, r.id, 1, at, &agent.Recording{Meta: agent.Meta{ID: r.id, Version: 1, Desk: deskID, CreatedAt: at, UpdatedAt: at},
			CallID: "call-" + r.id, Agent: "8001", File: r.id + ".wav", Started: at, Duration: time.Second, Channels: 1})
	}
	if err := c.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{old, recent} {
		if _, err := c.UploadRecording(ctx, id, bytes.NewReader(wavOf(8000))); err != nil {
			t.Fatalf("upload %s: %v", id, err)
		}
	}
	sup, err := upstream.NewClient(url0, newToken(t, dsn, upstream.RoleSupervisor, "张主管", ""), nil, nil, upstream.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if _, err := sup.FetchRecording(ctx, old, &got); err != nil || !bytes.Equal(got.Bytes(), wavOf(8000)) {
		t.Fatalf("fetch from the hub command: %d bytes, %v", got.Len(), err)
	}
	wall := newToken(t, dsn, upstream.RoleWallboard, "大厅电视", "")
	resp, err := http.Get(url0 + "/wallboard?token=" + url.QueryEscape(wall))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "话务大厅实时看板") {
		t.Errorf("the hub command's wallboard: %d %.200s", resp.StatusCode, page)
	}

	if code, _, errs := runHub(t, "recordings", "purge", "--pg", dsn, "--at", "yesterday"); code == 0 || !strings.Contains(errs, "RFC 3339") {
		t.Errorf("purge --at yesterday = %d %q, want refused", code, errs)
	}
	if n := count(t, dsn, "SELECT count(*) FROM recording_audio"); n != 2 {
		t.Fatalf("%d recordings' audio before the purge, want 2", n)
	}
	code, out, errs := runHub(t, "recordings", "purge", "--pg", dsn)
	if code != 0 {
		t.Fatalf("purge = %d %s%s", code, out, errs)
	}
	var res struct {
		Recordings int   `json:"recordings"`
		Bytes      int64 `json:"bytes"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Recordings != 1 || res.Bytes != int64(len(wavOf(8000))) {
		t.Errorf("purge printed %q (%v), want one recording's bytes", out, err)
	}
	if n := count(t, dsn, "SELECT count(*) FROM recording_audio WHERE id = $1", recent); n != 1 {
		t.Error("the recent recording's audio was purged")
	}
	if n := count(t, dsn, "SELECT count(*) FROM pg_largeobject_metadata"); n != 1 {
		t.Errorf("%d large objects after the purge, want 1", n)
	}
	if n := count(t, dsn, "SELECT count(*) FROM records WHERE kind = 'recording'"); n != 2 {
		t.Errorf("%d recording records after the purge, want both kept", n)
	}
	if n := count(t, dsn, "SELECT count(*) FROM audit WHERE action = 'recording.purge' AND detail->'ids' ? $1", old); n != 1 {
		t.Errorf("%d recording.purge audit entries naming the old recording, want 1", n)
	}
	if _, err := sup.FetchRecording(ctx, old, io.Discard); err == nil {
		t.Error("the purged recording is still served")
	}
	// Again: nothing more to purge.
	if code, out, _ := runHub(t, "recordings", "purge", "--pg", dsn); code != 0 || !strings.Contains(out, `"recordings": 0`) {
		t.Errorf("second purge = %d %q", code, out)
	}
}
