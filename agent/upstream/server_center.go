package upstream

import (
	"fmt"
	"net/http"

	"agentdesk/agent"
)

// The handlers of what the hub keeps for the whole center: the callback
// tasks it planned, which each desk pulls for its own agents, their
// report, and the center's settings.

// callbackPuller reports whether p may pull callback tasks at all: a
// session (its own agent's), or a desk's own token (role agent, not a
// session: the agents signed in at its desk). Which agent, handler and
// backend decide.
func (p Principal) callbackPuller() bool {
	if p.Kind == TokenSession {
		return p.Agent != ""
	}
	return p.Role == RoleAgent
}

// callbacks serves GET /v1/callbacks?agent=N&since=REV&limit=M: agent N's
// tasks changed after REV. A session pulls its own agent's (agent= may be
// left out, and naming another agent is refused); a desk's token must name
// the agent, who must be signed in at that desk (the backend checks).
func (s *Server) callbacks(w http.ResponseWriter, r *http.Request, p Principal) {
	who, since, limit, ok := s.pullParams(w, r, p)
	if !ok {
		return
	}
	page, err := s.b.Callbacks(r.Context(), p, who, since, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if page.Callbacks == nil {
		page.Callbacks = []Record{}
	}
	writeJSON(w, http.StatusOK, page)
}

// pullParams reads the agent, since and limit of a pull of one agent's
// records (callbacks, coaching notes), answering a refusal itself.
func (s *Server) pullParams(w http.ResponseWriter, r *http.Request, p Principal) (who string, since int64, limit int, ok bool) {
	who = r.URL.Query().Get("agent")
	switch {
	case p.Kind == TokenSession && who == "":
		who = p.Agent
	case p.Kind == TokenSession && who != p.Agent:
		s.fail(w, r, fmt.Errorf("%w: a session pulls its own agent's records only", ErrForbidden))
		return "", 0, 0, false
	case p.Kind != TokenSession && who == "":
		s.fail(w, r, fmt.Errorf("%w: agent= is required with a desk's token", ErrInvalid))
		return "", 0, 0, false
	case p.Kind != TokenSession && p.Desk == "":
		s.fail(w, r, fmt.Errorf("%w: the token belongs to no desk yet (push or sign in first)", ErrForbidden))
		return "", 0, 0, false
	}
	if err := checkText("agent", who, true); err != nil {
		s.fail(w, r, err)
		return "", 0, 0, false
	}
	since, err := queryInt(r, "since", 0)
	if err != nil {
		s.fail(w, r, err)
		return "", 0, 0, false
	}
	n, err := queryInt(r, "limit", 500)
	if err != nil {
		s.fail(w, r, err)
		return "", 0, 0, false
	}
	if n < 1 || n > 5000 {
		writeError(w, http.StatusBadRequest, "limit must be between 1 and 5000")
		return "", 0, 0, false
	}
	return who, since, int(n), true
}

// callbackReport serves GET /v1/callbacks/report?from=DAY&to=DAY[&agent=N]
// to supervisors: the 《回访总结报告》 of the center's tasks.
func (s *Server) callbackReport(w http.ResponseWriter, r *http.Request, _ Principal) {
	q := r.URL.Query()
	from, err := agent.ParseDay(q.Get("from"))
	if err != nil {
		s.fail(w, r, fmt.Errorf("%w: from: %v", ErrInvalid, err))
		return
	}
	to, err := agent.ParseDay(q.Get("to"))
	if err != nil {
		s.fail(w, r, fmt.Errorf("%w: to: %v", ErrInvalid, err))
		return
	}
	if to.String() < from.String() {
		s.fail(w, r, fmt.Errorf("%w: to %s is before from %s", ErrInvalid, to, from))
		return
	}
	who := q.Get("agent")
	if err := checkText("agent", who, false); err != nil {
		s.fail(w, r, err)
		return
	}
	rep, err := s.b.CallbackReport(r.Context(), CallbackReportQuery{From: from, To: to, Agent: who}, s.clock.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// settings serves GET /v1/settings to every role: the center's settings
// on the hub, 404 when none are stored (desks then keep their own).
func (s *Server) settings(w http.ResponseWriter, r *http.Request, _ Principal) {
	st, err := s.b.Settings(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}
