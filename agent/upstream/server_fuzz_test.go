package upstream

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// acceptAll is a Backend that accepts every request the handler lets
// through, so the fuzz target sees only the handler's own checks.
type acceptAll struct{}

func (acceptAll) Authenticate(context.Context, string) (Principal, error) {
	return Principal{TokenID: 1, Name: "fuzz", Role: RoleAgent, Desk: "desk-1"}, nil
}
func (acceptAll) Push(_ context.Context, _ Principal, req PushRequest) (PushResponse, error) {
	return PushResponse{Stored: len(req.Records)}, nil
}
func (acceptAll) Live(context.Context, Principal, LiveReport) error { return nil }
func (acceptAll) Customers(context.Context, int64, int) (CustomerPage, error) {
	return CustomerPage{}, nil
}
func (acceptAll) LatestPack(context.Context, string) (Pack, error) { return Pack{}, ErrNotFound }
func (acceptAll) PublishPack(_ context.Context, _ Principal, p Pack) (Pack, error) {
	return p, nil
}
func (acceptAll) Board(context.Context, time.Time) (Board, error) { return Board{}, nil }
func (acceptAll) Watch(context.Context) <-chan Change             { return nil }
func (acceptAll) Ping(context.Context) error                      { return nil }

// FuzzServer_Push feeds arbitrary bodies to /v1/push and /v1/live: the
// handler must answer 200 or a 4xx with a JSON reason, never panic or 500.
func FuzzServer_Push(f *testing.F) {
	f.Add([]byte(`{"desk":"desk-1","records":[{"seq":1,"kind":"customer","id":"a","version":1,"body":{"id":"a","version":1}}]}`))
	f.Add([]byte(`{"desk":"desk-1","records":[{"seq":1,"kind":"call","id":"a","version":1,"deleted":true}]}`))
	f.Add([]byte(`{"desk":"desk-1","status":{"agent":"王","state":"ready"},"events":[{"kind":"ringing","call_id":"x"}]}`))
	f.Add([]byte(`{"desk":"desk-2","records":[{"seq":1,"kind":"customer","id":"a","version":1,"body":{"desk":"other"}}]}`))
	f.Add([]byte(`[`))
	s := NewServer(acceptAll{}, WithServerLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, path := range []string{"/v1/push", "/v1/live"} {
			req := httptest.NewRequest("POST", path, bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer x")
			w := httptest.NewRecorder()
			s.ServeHTTP(w, req)
			if w.Code != http.StatusOK && (w.Code < 400 || w.Code >= 500 || !bytes.Contains(w.Body.Bytes(), []byte(`"error"`))) {
				t.Fatalf("%s %q = %d %s", path, body, w.Code, w.Body)
			}
		}
	})
}
