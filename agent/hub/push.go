package hub

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/upstream"

	"github.com/jackc/pgx/v5"
)

type key struct {
	kind agent.Kind
	id   string
}

// Push stores a batch in one transaction. Each record is judged against
// the stored copy (and what this batch has already decided) by
// upstream.Decide: stored, duplicate, stale, or a conflict kept in the
// conflicts table. The upsert itself refuses to lower a version, so even
// racing hubs cannot go backwards; a record that lost such a race inside
// PostgreSQL is judged again against the winner.
func (db *DB) Push(ctx context.Context, p upstream.Principal, req upstream.PushRequest) (upstream.PushResponse, error) {
	var resp upstream.PushResponse
	now := db.clock.Now()
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return resp, fmt.Errorf("push: %w", err)
	}
	defer tx.Rollback(ctx)
	if err := bindDesk(ctx, tx, p, req.Desk); err != nil {
		return resp, err
	}
	hasCustomer, hasAlert, hasCallback, needCenter := false, false, false, false
	var keys []key
	seen := map[key]bool{}
	for _, r := range req.Records {
		hasCustomer = hasCustomer || r.Kind == agent.KindCustomer
		hasAlert = hasAlert || r.Kind == agent.KindAlert
		hasCallback = hasCallback || r.Kind == agent.KindCallback
		needCenter = needCenter || r.Kind == agent.KindComplaint || r.Kind == agent.KindCall
		if k := (key{r.Kind, r.ID}); !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	// Customers, then callbacks: every taker of both locks takes them in
	// this order.
	if hasCustomer {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockCustomers); err != nil {
			return resp, fmt.Errorf("push: %w", err)
		}
	}
	if hasCallback {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockCallbacks); err != nil {
			return resp, fmt.Errorf("push: %w", err)
		}
	}
	var center agent.Center
	if needCenter {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock_shared($1)", lockSettings); err != nil {
			return resp, fmt.Errorf("push: %w", err)
		}
		if center, err = db.center(ctx, tx); err != nil {
			return resp, fmt.Errorf("push: %w", err)
		}
	}
	have, err := readStored(ctx, tx, keys)
	if err != nil {
		return resp, err
	}

	write := map[key]upstream.Record{}
	var order []key
	var conflicts []conflictRow
	for _, r := range req.Records {
		k := key{r.Kind, r.ID}
		in := upstream.CopyOf(r, req.Desk)
		cur, ok := have[k]
		outcome, reason := upstream.Decide(in, storedOrNil(cur, ok))
		if outcome == upstream.OutcomeStored {
			if _, pending := write[k]; !pending {
				order = append(order, k)
			}
			write[k] = r
			have[k] = in
			resp.Stored++
		} else {
			conflicts = tally(&resp, r, outcome, reason, cur, conflicts)
		}
		resp.AckSeq = max(resp.AckSeq, r.Seq)
	}
	if len(order) > 0 {
		written, err := db.upsertRecords(ctx, tx, req.Desk, order, write, now, center)
		if err != nil {
			return resp, err
		}
		// A key missing from written lost a race: another hub committed the
		// same record after our read. Judge the record again against that.
		var lost []key
		for _, k := range order {
			if !written[k] {
				lost = append(lost, k)
			}
		}
		if len(lost) > 0 {
			again, err := readStored(ctx, tx, lost)
			if err != nil {
				return resp, err
			}
			for _, k := range lost {
				r := write[k]
				cur, ok := again[k]
				outcome, reason := upstream.Decide(upstream.CopyOf(r, req.Desk), storedOrNil(cur, ok))
				if outcome == upstream.OutcomeStored {
					return resp, fmt.Errorf("push: %s %s version %d was neither written nor outdone", k.kind, k.id, r.Version)
				}
				resp.Stored--
				conflicts = tally(&resp, r, outcome, reason, cur, conflicts)
			}
		}
		var notes []agent.CoachingNote
		for _, k := range order {
			var n agent.CoachingNote
			if k.kind == agent.KindCoaching && written[k] && !write[k].Deleted && json.Unmarshal(write[k].Body, &n) == nil && n.Agent != "" {
				notes = append(notes, n)
			}
		}
		if err := db.announceNotes(ctx, tx, notes, now); err != nil {
			return resp, err
		}
	}
	batch := &pgx.Batch{}
	for _, c := range conflicts {
		h := sha256.New()
		h.Write(bodyOf(c.r))
		h.Write([]byte{boolByte(c.r.Deleted)})
		batch.Queue(`INSERT INTO conflicts (kind, id, version, desk, body, body_hash, stored_desk, stored_body, reason, received_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
			string(c.r.Kind), c.r.ID, c.r.Version, req.Desk, bodyOf(c.r), h.Sum(nil), c.stored.Desk, nonNil(c.stored.Body), c.reason, now)
	}
	batch.Queue(`INSERT INTO desks (desk, pending, oldest_pending, last_seen) VALUES ($1, $2, $3, $4)
		ON CONFLICT (desk) DO UPDATE SET pending = EXCLUDED.pending, oldest_pending = EXCLUDED.oldest_pending, last_seen = EXCLUDED.last_seen`,
		req.Desk, max(0, req.Pending-len(req.Records)), nullTime(toHubClock(oldestAfter(req), req.SentAt, now)), now)
	what := "push"
	if hasAlert {
		what = "alert"
	}
	batch.Queue("SELECT pg_notify($1, $2)", notifyChannel, what)
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return resp, fmt.Errorf("push: write: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return resp, fmt.Errorf("push: commit: %w", err)
	}
	return resp, nil
}

func storedOrNil(c upstream.Copy, ok bool) *upstream.Copy {
	if !ok {
		return nil
	}
	return &c
}

type conflictRow struct {
	r      upstream.Record
	stored upstream.Copy
	reason string
}

// tally counts a record that was not stored under its outcome; a conflict
// is reported to the desk and kept for the conflicts table.
func tally(resp *upstream.PushResponse, r upstream.Record, o upstream.Outcome, reason string, stored upstream.Copy, conflicts []conflictRow) []conflictRow {
	switch o {
	case upstream.OutcomeStale:
		resp.Stale++
	case upstream.OutcomeDuplicate:
		resp.Duplicates++
	case upstream.OutcomeConflict:
		conflicts = append(conflicts, conflictRow{r: r, stored: stored, reason: reason})
		resp.Conflicts = append(resp.Conflicts, upstream.Conflict{Seq: r.Seq, Kind: r.Kind, ID: r.ID, Version: r.Version, Reason: reason})
	}
	return conflicts
}

func bodyOf(r upstream.Record) []byte { return nonNil(r.Body) }

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// readStored reads and locks the stored copies of keys, in key order so
// concurrent pushes lock rows in the same order.
func readStored(ctx context.Context, tx pgx.Tx, keys []key) (map[key]upstream.Copy, error) {
	kinds, ids := make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		kinds[i], ids[i] = string(k.kind), k.id
	}
	have := map[key]upstream.Copy{}
	rows, err := tx.Query(ctx, `SELECT r.kind, r.id, r.version, r.desk, r.deleted, r.body FROM records r
		JOIN unnest($1::text[], $2::text[]) AS k(kind, id) ON r.kind = k.kind AND r.id = k.id
		ORDER BY r.kind, r.id FOR UPDATE OF r`, kinds, ids)
	if err != nil {
		return nil, fmt.Errorf("push: read stored versions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k key
		var c upstream.Copy
		if err := rows.Scan(&k.kind, &k.id, &c.Version, &c.Desk, &c.Deleted, &c.Body); err != nil {
			return nil, fmt.Errorf("push: read stored versions: %w", err)
		}
		have[k] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("push: read stored versions: %w", err)
	}
	return have, nil
}

// upsertRecords writes the batch's winning versions in one statement, with
// the columns derived from their bodies under the center's rules c, and
// returns the keys it wrote. The statement itself never lowers a version.
func (db *DB) upsertRecords(ctx context.Context, tx pgx.Tx, desk string, order []key, write map[key]upstream.Record, now time.Time, c agent.Center) (map[key]bool, error) {
	n := len(order)
	rs := make([]upstream.Record, n)
	for i, k := range order {
		rs[i] = write[k]
	}
	return db.insertRecords(ctx, tx, desk, rs, now, c, true)
}

// insertRecords writes rs as desk's at hub instant now, each with its
// derived columns and a new change number, and returns the keys it wrote:
// with replace, over an older stored version (never a newer or the same
// one); without, only records the hub does not have.
func (db *DB) insertRecords(ctx context.Context, tx pgx.Tx, desk string, rs []upstream.Record, now time.Time, c agent.Center, replace bool) (map[key]bool, error) {
	n := len(rs)
	wk, wi, wd, wdoc := make([]string, n), make([]string, n), make([]string, n), make([]*string, n)
	wv, wat, wdue := make([]int64, n), make([]time.Time, n), make([]*time.Time, n)
	wdel, wbody := make([]bool, n), make([][]byte, n)
	wagent, wtype, wday := make([]*string, n), make([]*string, n), make([]*string, n)
	wcall, wcreated := make([]*time.Time, n), make([]*time.Time, n)
	wpending, wopen := make([]*bool, n), make([]*bool, n)
	for i, r := range rs {
		wk[i], wi[i], wv[i], wd[i], wdel[i], wat[i] = string(r.Kind), r.ID, r.Version, desk, r.Deleted, r.At
		wbody[i] = bodyOf(r)
		if len(r.Body) > 0 {
			d := jsonbSafe(r.Body)
			wdoc[i] = &d
		}
		d, err := derive(r.Kind, r.Deleted, r.Body, c)
		if err != nil {
			db.log.Warn("record the domain cannot read; it is kept but the board and the plan do not count it", "kind", r.Kind, "record_id", r.ID, "desk", desk, "error", err)
		}
		wdue[i], wagent[i], wcall[i], wtype[i], wday[i] = d.replyDue, d.agent, d.callAt, d.callType, d.callDay
		wpending[i], wcreated[i], wopen[i] = d.cbPending, d.cbCreated, d.warningOpen
	}
	onConflict := `ON CONFLICT (kind, id) DO NOTHING`
	if replace {
		onConflict = `ON CONFLICT (kind, id) DO UPDATE SET version = EXCLUDED.version, desk = EXCLUDED.desk, deleted = EXCLUDED.deleted,
			body = EXCLUDED.body, doc = EXCLUDED.doc, at = EXCLUDED.at, received_at = EXCLUDED.received_at, rev = EXCLUDED.rev,
			reply_due = EXCLUDED.reply_due, agent = EXCLUDED.agent, call_at = EXCLUDED.call_at, call_day = EXCLUDED.call_day, call_type = EXCLUDED.call_type,
			cb_pending = EXCLUDED.cb_pending, cb_created = EXCLUDED.cb_created, warning_open = EXCLUDED.warning_open
		WHERE records.version < EXCLUDED.version`
	}
	rows, err := tx.Query(ctx, `INSERT INTO records (kind, id, version, desk, deleted, body, doc, at, received_at, rev, reply_due,
			agent, call_at, call_day, call_type, cb_pending, cb_created, warning_open)
		SELECT k, i, v, d, del, b, doc::jsonb, at, $9, nextval('record_rev'), due, ag, ca, cd::date, ct, pe, cr, wo
		FROM unnest($1::text[], $2::text[], $3::int8[], $4::text[], $5::bool[], $6::bytea[], $7::text[], $8::timestamptz[], $10::timestamptz[],
				$11::text[], $12::timestamptz[], $13::text[], $14::bool[], $15::timestamptz[], $16::bool[], $17::text[])
			AS t(k, i, v, d, del, b, doc, at, due, ag, ca, ct, pe, cr, wo, cd)
		`+onConflict+`
		RETURNING kind, id`,
		wk, wi, wv, wd, wdel, wbody, wdoc, wat, now, wdue, wagent, wcall, wtype, wpending, wcreated, wopen, wday)
	if err != nil {
		return nil, fmt.Errorf("push: write records: %w", err)
	}
	defer rows.Close()
	written := make(map[key]bool, n)
	for rows.Next() {
		var k key
		if err := rows.Scan(&k.kind, &k.id); err != nil {
			return nil, fmt.Errorf("push: write records: %w", err)
		}
		written[k] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("push: write records: %w", err)
	}
	return written, nil
}

// replyDue is the reply deadline of a record by the domain's own rule:
// for a complaint, (*agent.Complaint).ReplyDue of its body; nil when the
// record is no complaint, a tombstone, or a case that awaits no reply
// (replied, closed, solved on the call, still in intake). A complaint body
// the domain cannot decode gets nil and the error.
func replyDue(kind agent.Kind, deleted bool, body []byte) (*time.Time, error) {
	if kind != agent.KindComplaint || deleted || len(body) == 0 {
		return nil, nil
	}
	var c agent.Complaint
	if err := json.Unmarshal(body, &c); err != nil {
		return nil, fmt.Errorf("decode complaint: %w", err)
	}
	due := c.ReplyDue()
	if due.IsZero() {
		return nil, nil
	}
	return &due, nil
}

// backfillReplyDue fills reply_due, added by migration 0002, for the
// complaints stored before it, with the same rule Push uses.
func backfillReplyDue(ctx context.Context, tx pgx.Tx, log *slog.Logger) error {
	rows, err := tx.Query(ctx, `SELECT id, body FROM records WHERE kind = $1 AND NOT deleted`, string(agent.KindComplaint))
	if err != nil {
		return fmt.Errorf("backfill reply_due: %w", err)
	}
	var ids []string
	var dues []time.Time
	unreadable := 0
	for rows.Next() {
		var id string
		var body []byte
		if err := rows.Scan(&id, &body); err != nil {
			rows.Close()
			return fmt.Errorf("backfill reply_due: %w", err)
		}
		due, err := replyDue(agent.KindComplaint, false, body)
		if err != nil {
			unreadable++
			continue
		}
		if due != nil {
			ids, dues = append(ids, id), append(dues, *due)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("backfill reply_due: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE records r SET reply_due = u.due FROM unnest($1::text[], $2::timestamptz[]) AS u(id, due)
		WHERE r.kind = $3 AND r.id = u.id`, ids, dues, string(agent.KindComplaint)); err != nil {
		return fmt.Errorf("backfill reply_due: %w", err)
	}
	log.Info("reply deadlines computed for stored complaints", "awaiting_reply", len(ids), "unreadable", unreadable)
	return nil
}

// oldestAfter is the desk's oldest pending instant once this batch is
// stored: unknown (zero) if the batch empties the outbox, else as reported
// (the desk reports the oldest of the whole outbox, batch included, which
// errs on the side of showing a desk as behind).
func oldestAfter(req upstream.PushRequest) time.Time {
	if req.Pending <= len(req.Records) {
		return time.Time{}
	}
	return req.OldestPending
}

// toHubClock moves a desk-clock instant t onto the hub's clock, using the
// desk's SentAt and the hub's receipt instant to measure the desk's skew
// (network delay is small beside a wrong clock). Zero stays zero.
func toHubClock(t, sentAt, now time.Time) time.Time {
	if t.IsZero() || sentAt.IsZero() {
		return t
	}
	return t.Add(now.Sub(sentAt))
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// jsonbSafe returns body as text PostgreSQL's jsonb accepts: jsonb refuses
// the \u0000 escape, so it becomes U+FFFD in the queryable copy only (the
// body column keeps the original bytes).
func jsonbSafe(body []byte) string {
	s := string(body)
	if !strings.Contains(s, `\u0000`) {
		return s
	}
	// An escaped backslash followed by "u0000" is text, not a NUL: decode
	// and re-encode instead of replacing bytes.
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return "null"
	}
	b, _ := json.Marshal(replaceNUL(v))
	return string(b)
}

func replaceNUL(v any) any {
	switch x := v.(type) {
	case string:
		return strings.ReplaceAll(x, "\x00", "\uFFFD")
	case []any:
		for i := range x {
			x[i] = replaceNUL(x[i])
		}
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[strings.ReplaceAll(k, "\x00", "\uFFFD")] = replaceNUL(e)
		}
		return out
	}
	return v
}
