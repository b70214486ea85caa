package hub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/upstream"

	"github.com/jackc/pgx/v5"
)

// Recordings' audio (upstream's recording.go says the protocol), kept as
// PostgreSQL large objects beside the records (migration 0006 says why).
// An upload is spooled to a temporary file (mode 0600) as it arrives and
// checked, then written in one short transaction, so a slow line holds no
// database connection; a fetch is audited first, then read in chunks
// that hold none between them either. Audio older than the center's
// retention period is deleted by the hub (RunRetention).

const (
	// loChunk is how much of a large object one query moves.
	loChunk = 1 << 20
	// lockRecording serialises the uploads of one recording (with its ID).
	lockRecording = 0x61646b07
	// purgeBatch is how many recordings one purge transaction deletes.
	purgeBatch = 1000
)

// WithRetentionCheck sets how often RunRetention deletes what is past its
// keeping (default one hour).
func WithRetentionCheck(d time.Duration) Option { return func(db *DB) { db.retainEvery = d } }

// PutRecording stores recording id's audio for desk writer p: the hub
// must hold the recording's record, and it must be p's desk's.
func (db *DB) PutRecording(ctx context.Context, p upstream.Principal, id string, audio io.Reader, at time.Time) (upstream.RecordingAudio, error) {
	var desk string
	var body []byte
	err := db.pool.QueryRow(ctx, `SELECT desk, body FROM records WHERE kind = 'recording' AND id = $1 AND NOT deleted`, id).Scan(&desk, &body)
	if errors.Is(err, pgx.ErrNoRows) {
		return upstream.RecordingAudio{}, fmt.Errorf("%w: no recording %s on the hub (push its record first)", upstream.ErrNotFound, id)
	}
	if err != nil {
		return upstream.RecordingAudio{}, fmt.Errorf("recording %s: %w", id, err)
	}
	if p.Desk == "" || desk != p.Desk {
		return upstream.RecordingAudio{}, fmt.Errorf("%w: recording %s belongs to desk %s", upstream.ErrForbidden, id, desk)
	}
	var rec agent.Recording
	_ = json.Unmarshal(body, &rec) // a record the domain cannot read still takes its audio
	// The instant as PostgreSQL keeps it, so the answer is what a second
	// upload of the same audio answers.
	at = at.Truncate(time.Microsecond)

	wr, ok := audio.(*upstream.WAVReader)
	if !ok {
		wr = upstream.NewWAVReader(audio)
	}
	f, err := os.CreateTemp("", "agentdesk-recording-*.wav")
	if err != nil {
		return upstream.RecordingAudio{}, fmt.Errorf("recording %s: spool: %w", id, err)
	}
	defer func() { f.Close(); os.Remove(f.Name()) }()
	h := sha256.New()
	size, err := io.Copy(io.MultiWriter(f, h), wr)
	if err != nil {
		return upstream.RecordingAudio{}, fmt.Errorf("recording %s: %w", id, err)
	}
	format, _ := wr.Format()
	sum := h.Sum(nil)
	a := upstream.RecordingAudio{ID: id, Desk: desk, CallID: rec.CallID, Size: size, SHA256: hex.EncodeToString(sum), Format: format,
		Seconds: format.Seconds(), Uploaded: at, UploadedBy: p.Name}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return upstream.RecordingAudio{}, fmt.Errorf("recording %s: spool: %w", id, err)
	}

	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return upstream.RecordingAudio{}, fmt.Errorf("recording %s: %w", id, err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, lockRecording, id); err != nil {
		return upstream.RecordingAudio{}, fmt.Errorf("recording %s: %w", id, err)
	}
	old, found, err := readAudio(ctx, tx, id)
	if err != nil {
		return upstream.RecordingAudio{}, err
	}
	if found {
		if old.SHA256 != a.SHA256 {
			return upstream.RecordingAudio{}, fmt.Errorf("%w: recording %s has other audio on the hub (%d bytes)", upstream.ErrConflict, id, old.Size)
		}
		return old.RecordingAudio, nil
	}
	los := tx.LargeObjects()
	oid, err := los.Create(ctx, 0)
	if err != nil {
		return upstream.RecordingAudio{}, fmt.Errorf("recording %s: %w", id, err)
	}
	lo, err := los.Open(ctx, oid, pgx.LargeObjectModeWrite)
	if err != nil {
		return upstream.RecordingAudio{}, fmt.Errorf("recording %s: %w", id, err)
	}
	if _, err := io.CopyBuffer(lo, f, make([]byte, loChunk)); err != nil {
		return upstream.RecordingAudio{}, fmt.Errorf("recording %s: store audio: %w", id, err)
	}
	if err := lo.Close(); err != nil {
		return upstream.RecordingAudio{}, fmt.Errorf("recording %s: store audio: %w", id, err)
	}
	fj, _ := json.Marshal(format)
	var started *time.Time
	if !rec.Started.IsZero() {
		started = &rec.Started
	}
	if _, err := tx.Exec(ctx, `INSERT INTO recording_audio (id, desk, call_id, oid, size, sha256, format, started_at, uploaded_at, uploaded_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, id, desk, rec.CallID, oid, size, sum, fj, started, at, p.Name); err != nil {
		return upstream.RecordingAudio{}, fmt.Errorf("recording %s: %w", id, err)
	}
	if err := db.audit(ctx, tx, at, p, upstream.AuditRecordingUpload, "recording", id,
		map[string]any{"size": size, "sha256": a.SHA256, "call_id": rec.CallID, "seconds": a.Seconds}); err != nil {
		return upstream.RecordingAudio{}, err
	}
	if err := tx.Commit(ctx); err != nil {
		return upstream.RecordingAudio{}, fmt.Errorf("recording %s: commit: %w", id, err)
	}
	return a, nil
}

// storedAudio is a recording's audio row.
type storedAudio struct {
	upstream.RecordingAudio
	oid uint32
}

func readAudio(ctx context.Context, q querier, id string) (storedAudio, bool, error) {
	var a storedAudio
	var sum, format []byte
	err := q.QueryRow(ctx, `SELECT desk, call_id, oid, size, sha256, format, uploaded_at, uploaded_by FROM recording_audio WHERE id = $1`, id).
		Scan(&a.Desk, &a.CallID, &a.oid, &a.Size, &sum, &format, &a.Uploaded, &a.UploadedBy)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, false, nil
	}
	if err != nil {
		return a, false, fmt.Errorf("recording %s: %w", id, err)
	}
	a.ID, a.SHA256 = id, hex.EncodeToString(sum)
	_ = json.Unmarshal(format, &a.Format)
	a.Seconds = a.Format.Seconds()
	return a, true, nil
}

// Recording audits supervisor p's fetch of recording id (committed before
// anything is sent) and sends its audio, read in chunks.
func (db *DB) Recording(ctx context.Context, p upstream.Principal, id string, send func(upstream.RecordingAudio, io.Reader) error) error {
	a, found, err := readAudio(ctx, db.pool, id)
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("%w: no audio of recording %s on the hub", upstream.ErrNotFound, id)
	}
	if err := db.audit(ctx, db.pool, db.clock.Now(), p, upstream.AuditRecordingRead, "recording", id,
		map[string]any{"call_id": a.CallID, "size": a.Size}); err != nil {
		return err
	}
	return send(a.RecordingAudio, &loReader{ctx: ctx, db: db, oid: a.oid, size: a.Size})
}

// loReader reads a large object chunk by chunk, each its own query.
type loReader struct {
	ctx  context.Context
	db   *DB
	oid  uint32
	size int64
	off  int64
	buf  []byte
}

func (r *loReader) Read(p []byte) (int, error) {
	if len(r.buf) == 0 {
		if r.off >= r.size {
			return 0, io.EOF
		}
		n := min(int64(loChunk), r.size-r.off)
		var chunk []byte
		if err := r.db.pool.QueryRow(r.ctx, `SELECT lo_get($1, $2, $3)`, r.oid, r.off, int32(n)).Scan(&chunk); err != nil {
			return 0, fmt.Errorf("read recording audio: %w", err)
		}
		if len(chunk) == 0 {
			return 0, fmt.Errorf("read recording audio: %w", io.ErrUnexpectedEOF)
		}
		r.buf = chunk
		r.off += int64(len(chunk))
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// PurgeResult is what one retention run deleted.
type PurgeResult struct {
	Before     time.Time `json:"before"`
	Recordings int       `json:"recordings"`
	Bytes      int64     `json:"bytes"`
	DeskEvents int64     `json:"desk_events"`
}

// PurgeRecordings deletes, at instant now, the audio of every recording
// that began (or, not knowing that, was uploaded) longer ago than the
// center's recording_retention_days, audited as recording.purge (one entry
// per batch, with the IDs), and desk events older than a day. The records
// of the recordings stay.
func (db *DB) PurgeRecordings(ctx context.Context, now time.Time) (PurgeResult, error) {
	c, err := db.center(ctx, db.pool)
	if err != nil {
		return PurgeResult{}, fmt.Errorf("purge recordings: %w", err)
	}
	res := PurgeResult{Before: now.Add(-c.RecordingRetention)}
	who := upstream.Principal{Name: "hub"}
	if db.admin != "" {
		who = db.adminPrincipal()
	}
	for {
		var n int
		err := db.inTx(ctx, "purge recordings", func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, `DELETE FROM recording_audio WHERE id IN (
					SELECT id FROM recording_audio WHERE coalesce(started_at, uploaded_at) < $1 ORDER BY id LIMIT $2 FOR UPDATE)
				RETURNING id, oid, size`, res.Before, purgeBatch)
			if err != nil {
				return err
			}
			var ids []string
			var oids []uint32
			var bytes int64
			for rows.Next() {
				var id string
				var oid uint32
				var size int64
				if err := rows.Scan(&id, &oid, &size); err != nil {
					rows.Close()
					return err
				}
				ids, oids, bytes = append(ids, id), append(oids, oid), bytes+size
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			if n = len(ids); n == 0 {
				return nil
			}
			if _, err := tx.Exec(ctx, `SELECT lo_unlink(o) FROM unnest($1::oid[]) AS o`, oids); err != nil {
				return err
			}
			res.Recordings += n
			res.Bytes += bytes
			return db.audit(ctx, tx, now, who, upstream.AuditRecordingPurge, "recording", "",
				map[string]any{"ids": ids, "bytes": bytes, "before": res.Before, "retention_days": int(c.RecordingRetention / (24 * time.Hour))})
		})
		if err != nil {
			return res, err
		}
		if n < purgeBatch {
			break
		}
	}
	tag, err := db.pool.Exec(ctx, `DELETE FROM desk_events WHERE at < $1`, now.Add(-deskEventsKept))
	if err != nil {
		return res, fmt.Errorf("purge desk events: %w", err)
	}
	res.DeskEvents = tag.RowsAffected()
	return res, nil
}

// RunRetention deletes what is past its keeping (PurgeRecordings) at
// once and then every retention check (WithRetentionCheck) until ctx
// ends; a run that fails is tried again at the next.
func (db *DB) RunRetention(ctx context.Context) {
	log := db.log.With("component", "retention")
	for {
		res, err := db.PurgeRecordings(ctx, db.clock.Now())
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case err != nil:
			log.Warn("recordings past their retention not deleted; trying again", "error", err)
		case res.Recordings > 0:
			log.Info("recordings past their retention deleted", "recordings", res.Recordings, "bytes", res.Bytes, "before", res.Before)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(db.retainEvery):
		}
	}
}

// Recordings lists the recordings q asks for (upstream.Backend says
// which), newest first by their start (those without one last), with
// their audio's size and hash when the hub holds it. One row more than
// the limit is read to tell whether there are more.
func (db *DB) Recordings(ctx context.Context, q upstream.RecordingQuery, desk string) (upstream.RecordingList, error) {
	if q.Limit < 1 || q.Limit > upstream.MaxRecordingPage {
		q.Limit = upstream.DefaultRecordingPage
	}
	// Only the conditions asked for, so each shape of listing is planned
	// on its own index.
	where, args := []string{"r.kind = 'recording'", "NOT r.deleted"}, []any{}
	cond := func(sql string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(sql, len(args)))
	}
	if q.Agent != "" {
		cond("r.agent = $%d", q.Agent)
	}
	if desk != "" {
		cond("r.desk = $%d", desk)
	}
	if !q.From.IsZero() {
		cond("r.call_at >= $%d", q.From)
	}
	if !q.To.IsZero() {
		cond("r.call_at < $%d", q.To)
	}
	args = append(args, q.Limit+1)
	rows, err := db.pool.Query(ctx, `SELECT r.id, r.desk, r.body, a.size, a.sha256 FROM records r
			LEFT JOIN recording_audio a ON a.id = r.id
		WHERE `+strings.Join(where, " AND ")+`
		ORDER BY r.call_at DESC NULLS LAST, r.id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return upstream.RecordingList{}, fmt.Errorf("list recordings: %w", err)
	}
	defer rows.Close()
	var l upstream.RecordingList
	for rows.Next() {
		var info upstream.RecordingInfo
		var body, sum []byte
		var size *int64
		if err := rows.Scan(&info.ID, &info.Desk, &body, &size, &sum); err != nil {
			return upstream.RecordingList{}, fmt.Errorf("list recordings: %w", err)
		}
		if len(l.Recordings) == q.Limit {
			l.More = true
			break
		}
		var rec agent.Recording
		_ = json.Unmarshal(body, &rec) // a record the domain cannot read is listed with what it has
		info.Agent, info.CallID, info.Started, info.Channels = rec.Agent, rec.CallID, rec.Started, rec.Channels
		info.Duration, info.Paused = upstream.Seconds(rec.Duration.Seconds()), upstream.Seconds(rec.Paused.Seconds())
		if size != nil {
			info.Audio, info.Size, info.SHA256 = true, *size, hex.EncodeToString(sum)
		}
		l.Recordings = append(l.Recordings, info)
	}
	if err := rows.Err(); err != nil {
		return upstream.RecordingList{}, fmt.Errorf("list recordings: %w", err)
	}
	return l, nil
}
