package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/upstream"

	"github.com/BurntSushi/toml"
	"github.com/jackc/pgx/v5"
)

// The center's settings on the hub (agent.CenterSettings): one row, its
// version growing with every change. The hub's own rules come from them —
// the board's after-call-work limit, the warning-complaint stages, the
// center's zone (its day for the board's figures and the callback plan),
// the callback deadline and quiet hours, the offline verifiers' lifetime
// when they name one — and desks pull them (GET /v1/settings) to apply
// them live. With no row the hub applies the
// defaults in its zone (WithZone) and desks keep their own.

// querier is a transaction or the pool.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// ParseSettings reads a settings file as `hub settings set` takes it:
// TOML with the keys of agent.CenterSettings at the top level, or under
// a [center] table as in the desk's config; JSON when name ends in
// ".json". A key it does not know, a value of the wrong type, or a
// setting agent.CenterSettings.Center refuses is an error naming it.
func ParseSettings(name string, data []byte) (agent.CenterSettings, error) {
	var s agent.CenterSettings
	if strings.HasSuffix(strings.ToLower(name), ".json") {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s); err != nil {
			return agent.CenterSettings{}, fmt.Errorf("%s: %w", name, err)
		}
	} else {
		var top map[string]any
		if _, err := toml.Decode(string(data), &top); err != nil {
			return agent.CenterSettings{}, fmt.Errorf("%s: %w", name, err)
		}
		var md toml.MetaData
		var err error
		if _, ok := top["center"]; ok && len(top) == 1 {
			var wrap struct {
				Center agent.CenterSettings `toml:"center"`
			}
			md, err = toml.Decode(string(data), &wrap)
			s = wrap.Center
		} else {
			md, err = toml.Decode(string(data), &s)
		}
		if err != nil {
			return agent.CenterSettings{}, fmt.Errorf("%s: %w", name, err)
		}
		if und := md.Undecoded(); len(und) > 0 {
			keys := make([]string, len(und))
			for i, k := range und {
				keys[i] = k.String()
			}
			sort.Strings(keys)
			return agent.CenterSettings{}, fmt.Errorf("%s: unknown setting %s", name, strings.Join(keys, ", "))
		}
	}
	if _, err := s.Center(); err != nil {
		return agent.CenterSettings{}, fmt.Errorf("%s: %w", name, err)
	}
	return s, nil
}

// centerOf turns settings into the hub's rules; settings that name no
// zone are read in the hub's zone.
func (db *DB) centerOf(s agent.CenterSettings) (agent.Center, error) {
	if s.TimeZone == "" {
		s.TimeZone = db.zone.String()
	}
	return s.Center()
}

// storedSettings reads the settings row; ok is false when there is none.
func storedSettings(ctx context.Context, q querier) (upstream.Settings, bool, error) {
	var st upstream.Settings
	var body []byte
	err := q.QueryRow(ctx, `SELECT version, body, updated_at, updated_by FROM center_settings`).Scan(&st.Version, &body, &st.UpdatedAt, &st.UpdatedBy)
	if errors.Is(err, pgx.ErrNoRows) {
		return st, false, nil
	}
	if err != nil {
		return st, false, fmt.Errorf("read center settings: %w", err)
	}
	if err := json.Unmarshal(body, &st.Settings); err != nil {
		return st, false, fmt.Errorf("decode center settings version %d: %w", st.Version, err)
	}
	return st, true, nil
}

// center returns the center's rules as the hub applies them now, read
// through q: the stored settings (the defaults when none), cached per
// version. Stored settings the domain refuses (they were checked when
// set) fall back to the defaults, with a warning.
func (db *DB) center(ctx context.Context, q querier) (agent.Center, error) {
	var version int64
	err := q.QueryRow(ctx, `SELECT version FROM center_settings`).Scan(&version)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return agent.Center{}, fmt.Errorf("read center settings: %w", err)
	}
	db.centerMu.Lock()
	if db.centerAt == version {
		c := db.cached
		db.centerMu.Unlock()
		return c, nil
	}
	db.centerMu.Unlock()
	var s agent.CenterSettings
	if version > 0 {
		st, ok, err := storedSettings(ctx, q)
		if err != nil {
			return agent.Center{}, err
		}
		if ok {
			s, version = st.Settings, st.Version
		}
	}
	c, err := db.centerOf(s)
	if err != nil {
		db.log.Warn("stored center settings refused; applying the defaults", "version", version, "error", err)
		if c, err = db.centerOf(agent.CenterSettings{}); err != nil {
			return agent.Center{}, fmt.Errorf("center defaults: %w", err)
		}
	}
	db.centerMu.Lock()
	db.centerAt, db.cached = version, c
	db.centerMu.Unlock()
	return c, nil
}

// Settings returns the stored center settings, or upstream.ErrNotFound.
func (db *DB) Settings(ctx context.Context) (upstream.Settings, error) {
	st, ok, err := storedSettings(ctx, db.pool)
	if err != nil {
		return st, err
	}
	if !ok {
		return st, fmt.Errorf("%w: no center settings stored on the hub", upstream.ErrNotFound)
	}
	return st, nil
}

// EffectiveSettings returns the settings the hub applies: the stored
// ones, or version 0 holding the defaults in the hub's zone.
func (db *DB) EffectiveSettings(ctx context.Context) (upstream.Settings, error) {
	st, ok, err := storedSettings(ctx, db.pool)
	if err != nil || ok {
		return st, err
	}
	c, err := db.centerOf(agent.CenterSettings{})
	if err != nil {
		return st, err
	}
	return upstream.Settings{Settings: agent.SettingsOf(c)}, nil
}

// SetSettings checks s with agent.CenterSettings.Center (a
// *agent.SettingsError naming the field, and nothing changed, if it
// refuses) and stores it as the next version, by the administrator
// (WithAdmin), audited as settings.set. Complaints with a warning are
// judged again under the new stages, calls are given their day in a new
// zone, and every hub's board streams refresh.
func (db *DB) SetSettings(ctx context.Context, s agent.CenterSettings) (upstream.Settings, error) {
	c, err := db.centerOf(s)
	if err != nil {
		return upstream.Settings{}, err
	}
	body, err := json.Marshal(s)
	if err != nil {
		return upstream.Settings{}, fmt.Errorf("set center settings: %w", err)
	}
	now := db.clock.Now()
	who := db.adminPrincipal()
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return upstream.Settings{}, fmt.Errorf("set center settings: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockSettings); err != nil {
		return upstream.Settings{}, fmt.Errorf("set center settings: %w", err)
	}
	was, err := db.center(ctx, tx)
	if err != nil {
		return upstream.Settings{}, fmt.Errorf("set center settings: %w", err)
	}
	st := upstream.Settings{Settings: s, UpdatedAt: now, UpdatedBy: who.Name}
	if err := tx.QueryRow(ctx, `INSERT INTO center_settings (version, body, updated_at, updated_by) VALUES (1, $1, $2, $3)
		ON CONFLICT (one) DO UPDATE SET version = center_settings.version + 1, body = EXCLUDED.body,
			updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
		RETURNING version`, body, now, who.Name).Scan(&st.Version); err != nil {
		return upstream.Settings{}, fmt.Errorf("set center settings: %w", err)
	}
	if err := rejudgeWarnings(ctx, tx, c); err != nil {
		return upstream.Settings{}, err
	}
	if was.Zone.String() != c.Zone.String() {
		if err := rezoneCalls(ctx, tx, c.Zone); err != nil {
			return upstream.Settings{}, err
		}
	}
	if err := db.audit(ctx, tx, now, who, upstream.AuditSettingsSet, "settings", fmt.Sprint(st.Version), json.RawMessage(body)); err != nil {
		return upstream.Settings{}, err
	}
	if _, err := tx.Exec(ctx, "SELECT pg_notify($1, 'settings')", notifyChannel); err != nil {
		return upstream.Settings{}, fmt.Errorf("set center settings: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return upstream.Settings{}, fmt.Errorf("set center settings: commit: %w", err)
	}
	return st, nil
}

// rejudgeWarnings recomputes warning_open of every complaint with a
// warning under c's stages, as Push would have with them.
func rejudgeWarnings(ctx context.Context, tx pgx.Tx, c agent.Center) error {
	rows, err := tx.Query(ctx, `SELECT id, body FROM records WHERE kind = 'complaint' AND NOT deleted AND warning_open IS NOT NULL`)
	if err != nil {
		return fmt.Errorf("judge warnings again: %w", err)
	}
	var ids []string
	var open []bool
	for rows.Next() {
		var id string
		var body []byte
		if err := rows.Scan(&id, &body); err != nil {
			rows.Close()
			return fmt.Errorf("judge warnings again: %w", err)
		}
		d, err := derive(agent.KindComplaint, false, body, c)
		if err != nil || d.warningOpen == nil {
			continue
		}
		ids, open = append(ids, id), append(open, *d.warningOpen)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("judge warnings again: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE records r SET warning_open = u.open FROM unnest($1::text[], $2::bool[]) AS u(id, open)
		WHERE r.kind = $3 AND r.id = u.id`, ids, open, string(agent.KindComplaint)); err != nil {
		return fmt.Errorf("judge warnings again: %w", err)
	}
	return nil
}

// rezoneCalls gives every call its day in zone (agent.DayOf of call_at),
// as Push would have; the call counts follow through their triggers.
func rezoneCalls(ctx context.Context, tx pgx.Tx, zone *time.Location) error {
	rows, err := tx.Query(ctx, `SELECT id, call_at FROM records WHERE kind = 'call' AND call_at IS NOT NULL`)
	if err != nil {
		return fmt.Errorf("calls' days in %s: %w", zone, err)
	}
	var ids, days []string
	for rows.Next() {
		var id string
		var at time.Time
		if err := rows.Scan(&id, &at); err != nil {
			rows.Close()
			return fmt.Errorf("calls' days in %s: %w", zone, err)
		}
		ids, days = append(ids, id), append(days, agent.DayOf(at, zone).String())
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("calls' days in %s: %w", zone, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE records r SET call_day = u.day::date FROM unnest($1::text[], $2::text[]) AS u(id, day)
		WHERE r.kind = 'call' AND r.id = u.id AND r.call_day IS DISTINCT FROM u.day::date`, ids, days); err != nil {
		return fmt.Errorf("calls' days in %s: %w", zone, err)
	}
	return nil
}

// offlineTTL is how long an offline verifier made now lasts: the center
// settings' offline_signin_days when they name it, else the hub's own
// (WithOfflineTTL).
func (db *DB) offlineTTL(ctx context.Context, q querier) (time.Duration, error) {
	st, ok, err := storedSettings(ctx, q)
	if err != nil {
		return 0, err
	}
	if ok && st.Settings.OfflineSignInDays > 0 {
		return time.Duration(st.Settings.OfflineSignInDays) * 24 * time.Hour, nil
	}
	return db.offline, nil
}

// dayOf is the center day of instant t.
func dayOf(c agent.Center, t time.Time) agent.Day { return agent.DayOf(t, c.Zone) }
