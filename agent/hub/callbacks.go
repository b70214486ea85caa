package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/upstream"

	"github.com/jackc/pgx/v5"
)

// Callbacks planned once for the whole center. The hub holds every
// desk's customers and callback tasks, so it alone can plan "must call
// back 100% of member customers" without calling anyone twice: every
// member no task covers gets one task (agent.PlanMemberCallbacks, the one
// rule desks without a hub use too), assigned by load to one of the
// hub's agents (role agent, not disabled). Tasks are records of kind
// callback made by the hub (desk upstream.HubDesk, version 1); the desk of
// the agent pulls them (GET /v1/callbacks) and pushes the outcome as a
// newer version. Plans of every hub are serialised by an advisory lock,
// which pushes of callbacks take too, so tasks' change numbers commit in
// order and a desk's pull cursor never skips one.

// PlanAgent is one agent's part of a plan: the tasks it got, and its
// pending tasks once they are stored.
type PlanAgent struct {
	Agent   string `json:"agent"`
	Created int    `json:"created"`
	Pending int    `json:"pending"`
}

// PlanResult is what a member callback plan did: at which instant and
// for which center day, since when a task covers a member, the members on
// the hub, how many are covered once the new tasks are stored, how many
// tasks it made, and per agent.
type PlanResult struct {
	At          time.Time   `json:"at"`
	Day         string      `json:"day"`
	Since       time.Time   `json:"since"`
	Members     int         `json:"members"`
	Covered     int         `json:"covered"`
	CoveragePct float64     `json:"coverage_pct"`
	Created     int         `json:"created"`
	Agents      []PlanAgent `json:"agents"`
}

// errPlannedToday is returned by a once-a-day plan when the center day
// has one already.
var errPlannedToday = errors.New("member callbacks already planned for this center day")

// WithPlanCheck sets how often RunCallbackPlan looks whether the center
// day changed (default one minute).
func WithPlanCheck(d time.Duration) Option { return func(db *DB) { db.planEvery = d } }

// PlanCallbacks plans member callbacks at instant at for the
// administrator (WithAdmin): one task for every member customer on the
// hub that no pending task, nor one made in the last
// agent.CallbackLookbackDays, covers; each assigned by load to one agent
// (agent.ErrNoAgents when tasks are needed and the hub has none). Planning
// again makes nothing new. Audited as callbacks.plan.
func (db *DB) PlanCallbacks(ctx context.Context, at time.Time) (PlanResult, error) {
	return db.plan(ctx, at, db.adminPrincipal(), false)
}

// RunCallbackPlan plans member callbacks by the hub itself until ctx
// ends: at once, and then whenever the center day (in the center's zone)
// changes, unless that day has a plan already (another hub on the
// database made it). A plan that fails is tried again at the next check.
func (db *DB) RunCallbackPlan(ctx context.Context) {
	log := db.log.With("component", "callback_plan")
	var done agent.Day
	first, warned := true, agent.Day{}
	for {
		now := db.clock.Now()
		c, err := db.center(ctx, db.pool)
		if err == nil {
			day := dayOf(c, now)
			if first || day != done {
				res, perr := db.plan(ctx, now, upstream.Principal{Name: "hub"}, !first)
				switch {
				case perr == nil:
					log.Info("member callbacks planned", "day", res.Day, "members", res.Members, "covered", res.Covered, "created", res.Created)
					done, first = day, false
				case errors.Is(perr, errPlannedToday):
					done, first = day, false
				case ctx.Err() != nil:
					return
				case warned != day:
					warned = day
					log.Warn("member callbacks not planned; trying again", "day", day.String(), "error", perr)
				}
			}
		} else if ctx.Err() == nil {
			log.Warn("member callbacks: center settings", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(db.planEvery):
		}
	}
}

// plan runs one member callback plan at at for who, in one transaction
// under lockCallbacks; with onceADay it does nothing (errPlannedToday)
// when the center day of at has a plan already.
func (db *DB) plan(ctx context.Context, at time.Time, who upstream.Principal, onceADay bool) (PlanResult, error) {
	now := db.clock.Now()
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return PlanResult{}, fmt.Errorf("plan callbacks: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockCallbacks); err != nil {
		return PlanResult{}, fmt.Errorf("plan callbacks: %w", err)
	}
	c, err := db.center(ctx, tx)
	if err != nil {
		return PlanResult{}, fmt.Errorf("plan callbacks: %w", err)
	}
	day := dayOf(c, at)
	if onceADay {
		var planned bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM callback_plans WHERE day = $1::date)`, day.String()).Scan(&planned); err != nil {
			return PlanResult{}, fmt.Errorf("plan callbacks: %w", err)
		}
		if planned {
			return PlanResult{}, errPlannedToday
		}
	}
	agents, err := planAgents(ctx, tx)
	if err != nil {
		return PlanResult{}, err
	}
	members, err := db.members(ctx, tx)
	if err != nil {
		return PlanResult{}, err
	}
	// The domain decides what covers a member; the query only leaves out
	// tasks it cannot count (done, and made well before the look-back).
	since := at.AddDate(0, 0, -agent.CallbackLookbackDays)
	existing, err := db.coveringTasks(ctx, tx, since.Add(-48*time.Hour))
	if err != nil {
		return PlanResult{}, err
	}
	p, err := agent.PlanMemberCallbacks(c, members, existing, agent.MemberCallbackRequest{Agents: agents, Mode: agent.AssignByLoad, Since: since}, at)
	if err != nil {
		return PlanResult{}, fmt.Errorf("plan callbacks for %d agents (role agent, not disabled): %w", len(agents), err)
	}
	recs := make([]upstream.Record, len(p.Tasks))
	for i := range p.Tasks {
		t := &p.Tasks[i]
		t.Meta = agent.Meta{ID: agent.NewID(), Version: 1, Desk: upstream.HubDesk, CreatedAt: at, UpdatedAt: at}
		body, err := json.Marshal(t)
		if err != nil {
			return PlanResult{}, fmt.Errorf("plan callbacks: %w", err)
		}
		recs[i] = upstream.Record{Kind: agent.KindCallback, ID: t.ID, Version: 1, At: at, Body: body}
	}
	if len(recs) > 0 {
		written, err := db.insertRecords(ctx, tx, upstream.HubDesk, recs, now, c, false)
		if err != nil {
			return PlanResult{}, fmt.Errorf("plan callbacks: %w", err)
		}
		if len(written) != len(recs) {
			return PlanResult{}, fmt.Errorf("plan callbacks: %d of %d new tasks written", len(written), len(recs))
		}
	}
	res := PlanResult{At: at, Day: day.String(), Since: p.Since, Members: p.Members, Covered: p.Covered, CoveragePct: p.CoveragePct,
		Created: len(p.Tasks), Agents: perAgent(agents, existing, p.Tasks)}
	if _, err := tx.Exec(ctx, `INSERT INTO callback_plans (day, at, ran_at, ran_by, members, covered, created) VALUES ($1::date, $2, $3, $4, $5, $6, $7)`,
		day.String(), at, now, who.Name, res.Members, res.Covered, res.Created); err != nil {
		return PlanResult{}, fmt.Errorf("plan callbacks: %w", err)
	}
	if err := db.audit(ctx, tx, now, who, upstream.AuditCallbackPlan, "callbacks", day.String(),
		map[string]any{"at": at, "members": res.Members, "covered": res.Covered, "created": res.Created}); err != nil {
		return PlanResult{}, err
	}
	if err := tx.Commit(ctx); err != nil {
		return PlanResult{}, fmt.Errorf("plan callbacks: commit: %w", err)
	}
	return res, nil
}

// planAgents are who takes callbacks: the hub's agents of role agent that
// are not disabled, by number.
func planAgents(ctx context.Context, tx pgx.Tx) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT number FROM agents WHERE role = 'agent' AND disabled_at IS NULL ORDER BY number`)
	if err != nil {
		return nil, fmt.Errorf("plan callbacks: agents: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("plan callbacks: agents: %w", err)
	}
	return out, nil
}

// members are the member customers on the hub (newest versions, no
// tombstones); a body the domain cannot read is left out, with a warning.
func (db *DB) members(ctx context.Context, tx pgx.Tx) ([]agent.Customer, error) {
	rows, err := tx.Query(ctx, `SELECT id, body FROM records WHERE kind = 'customer' AND NOT deleted AND doc->>'member' = 'true' ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("plan callbacks: members: %w", err)
	}
	defer rows.Close()
	var out []agent.Customer
	for rows.Next() {
		var id string
		var body []byte
		if err := rows.Scan(&id, &body); err != nil {
			return nil, fmt.Errorf("plan callbacks: members: %w", err)
		}
		var c agent.Customer
		if err := json.Unmarshal(body, &c); err != nil {
			db.log.Warn("customer the domain cannot read; no callback planned for it", "record_id", id, "error", err)
			continue
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("plan callbacks: members: %w", err)
	}
	return out, nil
}

// coveringTasks are the callback tasks that may cover a member: pending,
// or made at or after from.
func (db *DB) coveringTasks(ctx context.Context, tx pgx.Tx, from time.Time) ([]agent.Callback, error) {
	// Kinds are written out, not parameters, so the partial indexes apply.
	rows, err := tx.Query(ctx, `SELECT body FROM records WHERE kind = 'callback' AND NOT deleted AND (cb_pending OR cb_created >= $1)`, from)
	if err != nil {
		return nil, fmt.Errorf("plan callbacks: tasks: %w", err)
	}
	defer rows.Close()
	var out []agent.Callback
	for rows.Next() {
		var body []byte
		if err := rows.Scan(&body); err != nil {
			return nil, fmt.Errorf("plan callbacks: tasks: %w", err)
		}
		var cb agent.Callback
		if err := json.Unmarshal(body, &cb); err != nil {
			continue // stored without columns, so the query left it out already
		}
		out = append(out, cb)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("plan callbacks: tasks: %w", err)
	}
	return out, nil
}

// perAgent counts each planning agent's new tasks and pending tasks after
// the plan.
func perAgent(agents []string, existing, created []agent.Callback) []PlanAgent {
	idx := make(map[string]int, len(agents))
	out := make([]PlanAgent, len(agents))
	for i, a := range agents {
		idx[a], out[i] = i, PlanAgent{Agent: a}
	}
	for _, cb := range existing {
		if i, ok := idx[cb.Agent]; ok && cb.State == agent.CallbackPending {
			out[i].Pending++
		}
	}
	for _, cb := range created {
		if i, ok := idx[cb.Agent]; ok {
			out[i].Created++
			out[i].Pending++
		}
	}
	return out
}

// Callbacks returns who's callback tasks changed after since, in change
// order: for p's session of who, or for p's desk token while who is
// signed in at that desk (a live session there).
func (db *DB) Callbacks(ctx context.Context, p upstream.Principal, who string, since int64, limit int) (upstream.CallbackPage, error) {
	recs, next, more, err := db.agentRecords(ctx, p, agent.KindCallback, who, since, limit)
	return upstream.CallbackPage{Callbacks: recs, Next: next, More: more}, err
}

// agentRecords returns who's records of kind (callbacks, coaching notes:
// their agent column says whose) changed after since, in change order,
// for p as Callbacks says; next and more as CallbackPage's.
func (db *DB) agentRecords(ctx context.Context, p upstream.Principal, kind agent.Kind, who string, since int64, limit int) ([]upstream.Record, int64, bool, error) {
	switch {
	case p.Kind == upstream.TokenSession:
		if p.Agent != who {
			return nil, since, false, fmt.Errorf("%w: a session pulls its own agent's %s records only", upstream.ErrForbidden, kind)
		}
	case p.Desk == "":
		return nil, since, false, fmt.Errorf("%w: the token belongs to no desk yet", upstream.ErrForbidden)
	default:
		var here bool
		if err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tokens t JOIN agents a ON a.id = t.agent_id
			WHERE t.kind = 'session' AND t.desk = $1 AND a.number = $2 AND t.revoked_at IS NULL AND t.expires_at > $3)`,
			p.Desk, who, db.clock.Now()).Scan(&here); err != nil {
			return nil, since, false, fmt.Errorf("%s records: %w", kind, err)
		}
		if !here {
			return nil, since, false, fmt.Errorf("%w: agent %s is not signed in at desk %s", upstream.ErrForbidden, who, p.Desk)
		}
	}
	// The kind is written out, not a parameter, so the partial indexes apply.
	q := `SELECT rev, id, version, deleted, body, coalesce(at, received_at) FROM records
		WHERE kind = 'callback' AND agent = $1 AND rev > $2 ORDER BY rev LIMIT $3`
	if kind == agent.KindCoaching {
		q = strings.Replace(q, "'callback'", "'coaching'", 1)
	}
	rows, err := db.pool.Query(ctx, q, who, since, limit+1)
	if err != nil {
		return nil, since, false, fmt.Errorf("%s records: %w", kind, err)
	}
	defer rows.Close()
	var out []upstream.Record
	next, more := since, false
	for rows.Next() {
		var r upstream.Record
		var rev int64
		var body []byte
		if err := rows.Scan(&rev, &r.ID, &r.Version, &r.Deleted, &body, &r.At); err != nil {
			return nil, since, false, fmt.Errorf("%s records: %w", kind, err)
		}
		if len(out) == limit {
			more = true
			break
		}
		r.Kind, r.Seq = kind, uint64(rev)
		if len(body) > 0 {
			r.Body = body
		}
		out = append(out, r)
		next = rev
	}
	if err := rows.Err(); err != nil {
		return nil, since, false, fmt.Errorf("%s records: %w", kind, err)
	}
	return out, next, more, nil
}

// CallbackReport is the 《回访总结报告》 of the tasks made from q.From to the
// end of q.To in the center's zone (agent.ReportCallbacks), judged at at.
func (db *DB) CallbackReport(ctx context.Context, q upstream.CallbackReportQuery, at time.Time) (agent.CallbackReport, error) {
	c, err := db.center(ctx, db.pool)
	if err != nil {
		return agent.CallbackReport{}, fmt.Errorf("callback report: %w", err)
	}
	from, _ := q.From.Bounds(c.Zone)
	_, to := q.To.Bounds(c.Zone)
	rows, err := db.pool.Query(ctx, `SELECT body FROM records WHERE kind = 'callback' AND NOT deleted AND cb_created >= $1 AND cb_created < $2
		AND ($3 = '' OR agent = $3)`, from, to, q.Agent)
	if err != nil {
		return agent.CallbackReport{}, fmt.Errorf("callback report: %w", err)
	}
	defer rows.Close()
	var cbs []agent.Callback
	for rows.Next() {
		var body []byte
		if err := rows.Scan(&body); err != nil {
			return agent.CallbackReport{}, fmt.Errorf("callback report: %w", err)
		}
		var cb agent.Callback
		if err := json.Unmarshal(body, &cb); err == nil {
			cbs = append(cbs, cb)
		}
	}
	if err := rows.Err(); err != nil {
		return agent.CallbackReport{}, fmt.Errorf("callback report: %w", err)
	}
	return agent.ReportCallbacks(cbs, from, to, at, q.Agent), nil
}
