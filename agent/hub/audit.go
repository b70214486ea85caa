package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/upstream"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// The audit: who did what to what, when, from where (upstream.AuditEntry),
// written in the same transaction as what it records, so nothing it
// records can happen without it. Reads of personal data by a supervisor
// (a customer record, a page of customers, a recording) are audited
// before the data is sent; a read whose audit cannot be written is
// refused. The table is append-only.

// execer is a transaction or the pool.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// WithAdmin names who runs administrative calls (IssueToken, RevokeTokens,
// AddAgent, SetPIN, DisableAgent) in the audit: the hub command passes
// "hub cli" and the system user (default "hub admin").
func WithAdmin(name string) Option { return func(db *DB) { db.admin = name } }

func (db *DB) adminPrincipal() upstream.Principal {
	if db.admin == "" {
		return upstream.Principal{Name: "hub admin"}
	}
	return upstream.Principal{Name: db.admin}
}

// audit writes one entry: p did action to subject (of kind) at at, with
// detail (a JSON object; nil for none). It never holds a secret: callers
// pass none.
func (db *DB) audit(ctx context.Context, q execer, at time.Time, p upstream.Principal, action upstream.AuditAction, kind, subject string, detail any) error {
	d := []byte("{}")
	if detail != nil {
		var err error
		if d, err = json.Marshal(detail); err != nil {
			return fmt.Errorf("audit %s: %w", action, err)
		}
	}
	var tok *int64
	if p.TokenID != 0 {
		tok = &p.TokenID
	}
	_, err := q.Exec(ctx, `INSERT INTO audit (at, action, actor, role, agent, token_id, desk, addr, subject_kind, subject, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		at, string(action), p.Name, string(p.Role), p.Agent, tok, p.Desk, p.Addr, kind, subject, d)
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// ReadAudited runs read in a transaction and records that p did action to
// subject (of kind), with detail, in the same transaction; only when it
// returns nil may the caller hand out what read found. This is the hook
// for reads of personal data: a recordings endpoint fetches a recording as
//
//	err := db.ReadAudited(ctx, p, upstream.AuditRecordingRead, "recording", id,
//		map[string]any{"call_id": callID}, func(ctx context.Context, tx pgx.Tx) error {
//			return tx.QueryRow(ctx, `SELECT … FROM recordings WHERE id = $1`, id).Scan(…)
//		})
//
// read returning an error (upstream.ErrNotFound…) aborts it all, and
// nothing is recorded.
func (db *DB) ReadAudited(ctx context.Context, p upstream.Principal, action upstream.AuditAction, kind, subject string, detail any,
	read func(ctx context.Context, tx pgx.Tx) error) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("audited read: %w", err)
	}
	defer tx.Rollback(ctx)
	if err := read(ctx, tx); err != nil {
		return err
	}
	if err := db.audit(ctx, tx, db.clock.Now(), p, action, kind, subject, detail); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("audited read: commit: %w", err)
	}
	return nil
}

// Customer returns the newest version of a customer record, audited as
// customer.read for p (the handler lets only supervisors ask).
func (db *DB) Customer(ctx context.Context, p upstream.Principal, id string) (upstream.Record, error) {
	r := upstream.Record{Kind: agent.KindCustomer, ID: id}
	err := db.ReadAudited(ctx, p, upstream.AuditCustomerRead, "customer", id, nil, func(ctx context.Context, tx pgx.Tx) error {
		var rev int64
		var body []byte
		err := tx.QueryRow(ctx, `SELECT rev, version, body, coalesce(at, received_at) FROM records WHERE kind = 'customer' AND id = $1 AND NOT deleted`, id).
			Scan(&rev, &r.Version, &body, &r.At)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: no customer %s", upstream.ErrNotFound, id)
		}
		if err != nil {
			return fmt.Errorf("customer %s: %w", id, err)
		}
		r.Seq, r.Body = uint64(rev), body
		return nil
	})
	return r, err
}

// Audit returns a page of the audit, oldest first: after q.AfterID, at or
// after q.Since.
func (db *DB) Audit(ctx context.Context, q upstream.AuditQuery) (upstream.AuditPage, error) {
	page := upstream.AuditPage{Next: q.AfterID}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	since := q.Since
	if since.IsZero() {
		since = time.Unix(0, 0)
	}
	rows, err := db.pool.Query(ctx, `SELECT id, at, action, actor, role, agent, desk, addr, subject_kind, subject, detail FROM audit
		WHERE id > $1 AND at >= $2 ORDER BY id LIMIT $3`, q.AfterID, since, limit+1)
	if err != nil {
		return page, fmt.Errorf("audit: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e upstream.AuditEntry
		var action, role string
		var detail []byte
		if err := rows.Scan(&e.ID, &e.At, &action, &e.Actor, &role, &e.Agent, &e.Desk, &e.Addr, &e.SubjectKind, &e.Subject, &detail); err != nil {
			return page, fmt.Errorf("audit: %w", err)
		}
		if len(page.Entries) == limit {
			page.More = true
			break
		}
		e.Action, e.Role = upstream.AuditAction(action), upstream.Role(role)
		if string(detail) != "{}" {
			e.Detail = detail
		}
		page.Entries = append(page.Entries, e)
		page.Next = e.ID
	}
	return page, rows.Err()
}
