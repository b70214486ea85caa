package upstream

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// The handlers of the hub as a trust boundary: sign-in and sign-out,
// token rotation, one customer record, the audit.

// Limits of the sign-in.
const (
	maxSignInBody = 16 << 10
	// MaxPINLen is the longest PIN or password accepted, in bytes.
	MaxPINLen = 256
)

func (s *Server) signIn(w http.ResponseWriter, r *http.Request, p Principal) {
	var req SignInRequest
	if !decodeBody(w, r, maxSignInBody, &req) {
		return
	}
	err := checkText("number", req.Number, true)
	if err == nil {
		err = checkText("desk", req.Desk, true)
	}
	if err == nil && (req.PIN == "" || len(req.PIN) > MaxPINLen) {
		err = fmt.Errorf("%w: a PIN of 1 to %d bytes is required", ErrInvalid, MaxPINLen)
	}
	if err == nil && p.Desk != "" && req.Desk != p.Desk {
		err = fmt.Errorf("%w: token is bound to another desk than %q", ErrForbidden, req.Desk)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.b.SignIn(r.Context(), p, req)
	if err != nil {
		s.log.Info("sign-in refused", "agent_number", req.Number, "desk", req.Desk, "addr", p.Addr, "error", err)
		s.fail(w, r, err)
		return
	}
	res.ServerTime = s.clock.Now()
	s.log.Info("agent signed in", "agent_number", res.Agent.Number, "role", res.Agent.Role, "desk", req.Desk, "expires", res.Expires)
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request, p Principal) {
	if err := s.b.SignOut(r.Context(), p); err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("agent signed out", "agent_number", p.Agent, "desk", p.Desk)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) rotate(w http.ResponseWriter, r *http.Request, p Principal) {
	rot, err := s.b.RotateToken(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("token rotated", "token_id", p.TokenID, "name", p.Name, "expires", rot.Expires, "old_until", rot.OldUntil)
	writeJSON(w, http.StatusOK, rot)
}

func (s *Server) customer(w http.ResponseWriter, r *http.Request, p Principal) {
	id := r.PathValue("id")
	if err := checkText("id", id, true); err != nil {
		s.fail(w, r, err)
		return
	}
	rec, err := s.b.Customer(r.Context(), p, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

// audit serves GET /v1/audit?since=&limit=: since is an entry ID (the
// page's Next) or an RFC 3339 instant.
func (s *Server) audit(w http.ResponseWriter, r *http.Request, _ Principal) {
	var q AuditQuery
	if v := r.URL.Query().Get("since"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
			q.AfterID = n
		} else if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			q.Since = t
		} else {
			s.fail(w, r, fmt.Errorf("%w: since must be an audit entry ID or an RFC 3339 instant", ErrInvalid))
			return
		}
	}
	limit, err := queryInt(r, "limit", 100)
	if err == nil && (limit < 1 || limit > MaxAuditPage) {
		err = fmt.Errorf("%w: limit must be between 1 and %d", ErrInvalid, MaxAuditPage)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q.Limit = int(limit)
	page, err := s.b.Audit(r.Context(), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if page.Entries == nil {
		page.Entries = []AuditEntry{}
	}
	writeJSON(w, http.StatusOK, page)
}
