package upstream

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"agentdesk/agent"
)

// acceptAll is a Backend that accepts every request the handler lets
// through, so the fuzz target sees only the handler's own checks.
type acceptAll struct{}

func (acceptAll) Authenticate(_ context.Context, token string) (Principal, error) {
	if token == "trainer" {
		return Principal{TokenID: 2, Name: "reviewer", Role: RoleTrainer}, nil
	}
	if token == "supervisor" {
		return Principal{TokenID: 3, Name: "班长", Role: RoleSupervisor}, nil
	}
	return Principal{TokenID: 1, Name: "fuzz", Role: RoleAgent, Desk: "desk-1"}, nil
}
func (acceptAll) Push(_ context.Context, _ Principal, req PushRequest) (PushResponse, error) {
	return PushResponse{Stored: len(req.Records)}, nil
}
func (acceptAll) Live(context.Context, Principal, LiveReport) error { return nil }
func (acceptAll) Customers(context.Context, Principal, int64, int) (CustomerPage, error) {
	return CustomerPage{}, nil
}
func (acceptAll) Customer(context.Context, Principal, string) (Record, error) {
	return Record{}, ErrNotFound
}
func (acceptAll) TokenEnded(context.Context, Principal) <-chan string { return nil }
func (acceptAll) SignIn(context.Context, Principal, SignInRequest) (SignInResult, error) {
	return SignInResult{}, ErrWrongPIN
}
func (acceptAll) SignOut(context.Context, Principal) error { return nil }
func (acceptAll) RotateToken(context.Context, Principal) (TokenRotation, error) {
	return TokenRotation{Token: "new"}, nil
}
func (acceptAll) Audit(context.Context, AuditQuery) (AuditPage, error) { return AuditPage{}, nil }
func (acceptAll) LatestPack(context.Context, string) (Pack, error)     { return Pack{}, ErrNotFound }
func (acceptAll) PublishPack(_ context.Context, _ Principal, p Pack) (PackVersion, error) {
	return PackVersion{Version: 1, Lang: p.Lang, State: PackPending}, nil
}
func (acceptAll) Pack(_ context.Context, id int64) (PackVersion, error) {
	return PackVersion{Version: id, Lang: "en", State: PackApproved, Author: "author", Data: []byte("x")}, nil
}
func (acceptAll) PackHistory(context.Context, string) ([]PackVersion, error) { return nil, nil }
func (acceptAll) ReviewPack(_ context.Context, p Principal, id int64, r PackReview, _ time.Time) (PackVersion, error) {
	v := PackVersion{Version: id, Lang: "en", State: PackPending, Author: "author"}
	return v, CheckReview(v, 0, p.Name, r)
}
func (acceptAll) RollbackPack(_ context.Context, _ Principal, id int64, reason string, _ time.Time) (PackVersion, error) {
	v := PackVersion{Version: id, Lang: "en", State: PackApproved, Author: "author"}
	return v, CheckRollback(v, 0, reason)
}
func (acceptAll) Callbacks(context.Context, Principal, string, int64, int) (CallbackPage, error) {
	return CallbackPage{}, nil
}
func (acceptAll) CallbackReport(context.Context, CallbackReportQuery, time.Time) (agent.CallbackReport, error) {
	return agent.CallbackReport{}, nil
}
func (acceptAll) Settings(context.Context) (Settings, error)      { return Settings{}, ErrNotFound }
func (acceptAll) Board(context.Context, time.Time) (Board, error) { return Board{}, nil }
func (acceptAll) Watch(context.Context) <-chan Change             { return nil }
func (acceptAll) Ping(context.Context) error                      { return nil }
func (acceptAll) AuditRefused(context.Context, Principal, AuditAction, string, string, map[string]any) error {
	return nil
}
func (acceptAll) StartMonitor(_ context.Context, _ Principal, req MonitorRequest, at time.Time) (MonitorGrant, error) {
	return MonitorGrant{Session: "s", Agent: req.Agent, Mode: req.Mode, Expires: at}, nil
}
func (acceptAll) MonitorSession(context.Context, string, time.Time) (MonitorSession, error) {
	return MonitorSession{}, ErrNotFound
}
func (acceptAll) SetMonitorMode(_ context.Context, _ Principal, id string, mode MonitorMode, _ time.Time) (MonitorSession, error) {
	return MonitorSession{ID: id, Mode: mode}, nil
}
func (acceptAll) EndMonitor(_ context.Context, _ Principal, id, reason string, _ time.Time) (MonitorSession, error) {
	return MonitorSession{ID: id, EndReason: reason}, nil
}
func (acceptAll) ReportMonitor(_ context.Context, _ Principal, id string, _ MonitorReport, _ time.Time) (MonitorSession, error) {
	return MonitorSession{ID: id}, nil
}
func (acceptAll) DeskEvents(context.Context, string, int64, time.Time) ([]DeskEvent, error) {
	return nil, nil
}
func (acceptAll) AddCoaching(_ context.Context, _ Principal, n agent.CoachingNote, _ time.Time) (Record, error) {
	return Record{Kind: agent.KindCoaching, ID: n.ID}, nil
}
func (acceptAll) Coaching(context.Context, Principal, string, int64, int) (CoachingPage, error) {
	return CoachingPage{}, nil
}
func (acceptAll) PutRecording(_ context.Context, _ Principal, id string, audio io.Reader, _ time.Time) (RecordingAudio, error) {
	n, err := io.Copy(io.Discard, audio)
	return RecordingAudio{ID: id, Size: n}, err
}
func (acceptAll) Recording(context.Context, Principal, string, func(RecordingAudio, io.Reader) error) error {
	return ErrNotFound
}
func (acceptAll) Recordings(context.Context, RecordingQuery, string) (RecordingList, error) {
	return RecordingList{}, nil
}

// FuzzServer_Push feeds arbitrary bodies to /v1/push, /v1/live and
// /v1/signin, to a pack version's review and rollback, to monitoring
// requests, coaching notes and a recording's upload: the handler must
// answer 2xx or a 4xx with a JSON reason, never panic or 500.
func FuzzServer_Push(f *testing.F) {
	f.Add([]byte(`{"desk":"desk-1","records":[{"seq":1,"kind":"customer","id":"a","version":1,"body":{"id":"a","version":1}}]}`))
	f.Add([]byte(`{"desk":"desk-1","records":[{"seq":1,"kind":"call","id":"a","version":1,"deleted":true}]}`))
	f.Add([]byte(`{"desk":"desk-1","status":{"agent":"王","state":"ready"},"events":[{"kind":"ringing","call_id":"x"}]}`))
	f.Add([]byte(`{"desk":"desk-2","records":[{"seq":1,"kind":"customer","id":"a","version":1,"body":{"desk":"other"}}]}`))
	f.Add([]byte(`[`))
	f.Add([]byte(`{"approve":false,"reason":"错别字"}`))
	f.Add([]byte(`{"approve":true}`))
	f.Add([]byte(`{"reason":"a\u0000b"}`))
	f.Add([]byte(`{"number":"8001","pin":"1234","desk":"desk-1"}`))
	f.Add([]byte(`{"agent":"8001","mode":"whisper"}`))
	f.Add([]byte(`{"kind":"ended","mode":"barge","reason":"bye","at":"2026-11-23T09:30:00Z"}`))
	f.Add([]byte(`{"call_id":"c1","text":"语速放慢"}`))
	f.Add([]byte("RIFF$\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00@\x1f\x00\x00\x80>\x00\x00\x02\x00\x10\x00data\x00\x00\x00\x00"))
	s := NewServer(acceptAll{}, WithServerLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	f.Fuzz(func(t *testing.T, body []byte) {
		for path, token := range map[string]string{"/v1/push": "x", "/v1/live": "x", "/v1/signin": "x", "/v1/packs/1/review": "trainer",
			"/v1/packs/1/rollback": "trainer", "/v1/monitor": "supervisor", "/v1/monitor/s/mode": "supervisor", "/v1/monitor/s/end": "supervisor",
			"/v1/monitor/s/event": "x", "/v1/coaching": "supervisor", "PUT /v1/recordings/r/audio": "x"} {
			method := "POST"
			if m, p, ok := strings.Cut(path, " "); ok {
				method, path = m, p
			}
			req := httptest.NewRequest(method, path, bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			w := httptest.NewRecorder()
			s.ServeHTTP(w, req)
			if w.Code/100 != 2 && (w.Code < 400 || w.Code >= 500 || !bytes.Contains(w.Body.Bytes(), []byte(`"error"`))) {
				t.Fatalf("%s %q = %d %s", path, body, w.Code, w.Body)
			}
		}
	})
}
