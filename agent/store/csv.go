package store

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/store/seal"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// CSV import
//
// ImportCSV is all-or-nothing per file, yet a million rows are written in
// batched transactions (one huge bbolt transaction would hold every dirty
// page in memory). It works in three steps:
//
//  1. Validate the whole file while streaming it (workers validate chunks of
//     rows in parallel, collected in file order). Each good row is kept
//     compactly as its final JSON, its ID and its normalised numbers. Any bad row stops the import before anything is
//     written, and every bad row (up to MaxImportErrors) is reported with
//     its line.
//  2. Write the records in batches of importBatch per transaction, each with
//     a body-less outbox entry (Outbox fills the body in when read, so an
//     import does not write every record twice) and an undo entry in the
//     import_undo bucket, committed together: the record's ID, its outbox
//     sequence and, if it replaced a customer, that customer's old JSON.
//     New records get time-ordered UUIDs (v7), so they are appended at the
//     end of the B+tree instead of dirtying pages all over it. The phone
//     index is then written sorted across the whole file, also appending.
//  3. Delete import_undo in a last transaction: that commit is the point
//     where the import takes effect for good.
//
// If a write fails, the undo entries are replayed backwards (in batches) and
// the store is as it was. If the process dies mid-way, import_undo survives
// and Open replays it. Between batches other readers may briefly see part of
// the import; they never see it half-rolled-back after Open returns.

// MaxImportErrors caps how many bad rows an ImportError lists.
const MaxImportErrors = 100

// Batch sizes of an import's write transactions (variables so tests can make
// small files span several batches).
var (
	importBatch      = 10_000 // records per write transaction
	importIndexBatch = 50_000 // phone-index keys per write transaction
)

var bucketImportUndo = []byte("import_undo")

// ErrImportInProgress is returned by ImportCSV while another import is
// writing to the same store.
var ErrImportInProgress = errors.New("another import is in progress")

// ImportResult tells what an import did.
type ImportResult struct {
	File    string // the name given to ImportCSV
	Rows    int    // customers imported (Created + Updated)
	Created int    // new customers
	Updated int    // rows whose id matched a stored customer, which they replaced
}

// RowError is one problem of an import file: its 1-based line (the line a
// row starts on) and what is wrong, in words.
type RowError struct {
	Line int
	Msg  string
}

// ImportError lists the problems that stopped an import; nothing was stored.
type ImportError struct {
	File string
	Rows []RowError // at most MaxImportErrors, in file order
	More int        // how many further bad rows were not listed
}

// Error returns one "file:line: problem" per line.
func (e *ImportError) Error() string {
	var b strings.Builder
	for i, r := range e.Rows {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%s:%d: %s", e.File, r.Line, r.Msg)
	}
	if e.More > 0 {
		fmt.Fprintf(&b, "\n%s: %d more bad rows not listed", e.File, e.More)
	}
	return b.String()
}

// csvColumns maps accepted header names (English, lower case, or Chinese)
// to the field they fill.
var csvColumns = map[string]string{
	"id": "id", "编号": "id",
	"name": "name", "姓名": "name",
	"surname": "surname", "姓": "surname",
	"title": "title", "称谓": "title",
	"phones": "phones", "phone": "phones", "电话": "phones",
	"member": "member", "会员": "member",
	"level": "level", "等级": "level",
	"address": "address", "地址": "address",
	"area": "area", "地区": "area",
	"tags": "tags", "标签": "tags",
	"notes": "notes", "备注": "notes",
}

const knownColumns = "id, name, surname, title, phones, member, level, address, area, tags, notes (or 编号, 姓名, 姓, 称谓, 电话, 会员, 等级, 地址, 地区, 标签, 备注)"

// importRow is one validated row, ready to write.
type importRow struct {
	id    string
	body  []byte   // final JSON, as the file stores it (sealed in a sealed file)
	keys  []string // its phone-index keys
	given bool     // the file gave the id, so it may replace a stored customer
}

// ImportCSV reads customers from a CSV file with a header row and stores them
// all, or none if any row is bad (the error is then an *ImportError listing
// the bad rows by line). name is used in messages. Every imported customer is
// stamped with instant now and this desk and queued in the outbox.
//
// Columns (any order, English or Chinese names): name/姓名, surname/姓,
// title/称谓 (先生, 女士, Mr, Ms…), phones/电话 (several separated by ; or |),
// member/会员 (yes/no, 1/0, 是/否, true/false; empty is no), level/等级,
// address/地址, area/地区, tags/标签 (separated by ; or |), notes/备注 and an
// optional id/编号: a UUID; a row whose id is stored replaces that customer
// (its version grows, its creation time stays). A phones column and a name or
// surname column are required; an unknown column is an error. The file is
// UTF-8, with or without a byte-order mark. Rows whose fields are all empty
// are skipped.
func (s *Store) ImportCSV(r io.Reader, name string, now time.Time) (ImportResult, error) {
	res := ImportResult{File: name}
	rows, err := parseImport(r, name, now, s.DeskID(), s.k)
	if err != nil {
		return res, err
	}
	created, updated, err := s.writeImport(rows, now)
	if err != nil {
		return res, fmt.Errorf("import %s: %w", name, err)
	}
	res.Created, res.Updated, res.Rows = created, updated, created+updated
	s.log.Info("imported customers", "file", name, "created", created, "updated", updated)
	return res, nil
}

// parseImport validates the whole file and returns its rows, or an
// *ImportError. The calling goroutine reads the CSV; workers (one per CPU, at
// most 4) validate and encode chunks of rows; a collector takes the chunks in
// file order, so line numbers, duplicate-id checks and the error cap behave
// exactly as a sequential pass would. The workers also seal the records
// and hash the numbers when k is set (a sealed file).
func parseImport(r io.Reader, name string, now time.Time, desk string, k *seal.Cipher) ([]importRow, error) {
	ie := &ImportError{File: name}
	bad := func(line int, format string, args ...any) {
		if len(ie.Rows) < MaxImportErrors {
			ie.Rows = append(ie.Rows, RowError{Line: line, Msg: fmt.Sprintf(format, args...)})
		} else {
			ie.More++
		}
	}
	br := bufio.NewReaderSize(r, 1<<16)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1

	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			bad(1, "empty file: want a header row naming the columns")
		} else {
			bad(lineOf(err, 1), "header row: %v", csvProblem(err))
		}
		return nil, ie
	}
	cols, ok := parseHeader(header, bad)
	if !ok {
		return nil, ie
	}

	workers := min(runtime.GOMAXPROCS(0), 4)
	jobs := make(chan *parseChunk, workers)
	order := make(chan *parseChunk, 2*workers)
	var failed atomic.Bool // a bad row was seen: stop encoding, only validate
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range jobs {
				c.parse(cols, now, desk, k, &failed)
				close(c.done)
			}
		}()
	}

	var rows []importRow
	idLine := map[string]int{}
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for c := range order {
			<-c.done
			for i := range c.out {
				o := &c.out[i]
				if o.skip {
					continue
				}
				problems := o.problems
				if o.row.given {
					if first, dup := idLine[o.row.id]; dup {
						problems = append(problems, fmt.Sprintf("id %s is also on line %d", o.row.id, first))
					} else {
						idLine[o.row.id] = o.line
					}
				}
				if len(problems) > 0 {
					bad(o.line, "%s", strings.Join(problems, "; "))
					failed.Store(true)
					continue
				}
				if len(ie.Rows) == 0 {
					rows = append(rows, o.row)
				}
			}
		}
	}()

	var readErr error
	chunk := &parseChunk{done: make(chan struct{})}
	flush := func() {
		jobs <- chunk
		order <- chunk
		chunk = &parseChunk{done: make(chan struct{})}
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				readErr = fmt.Errorf("import %s: read: %w", name, err)
				break
			}
			chunk.add(lineOf(err, 0), nil, csvProblem(err))
		} else {
			line, _ := cr.FieldPos(0)
			chunk.add(line, rec, "")
		}
		if len(chunk.out) == parseChunkRows {
			flush()
		}
	}
	flush()
	close(jobs)
	close(order)
	wg.Wait()
	<-collected
	if readErr != nil {
		return nil, readErr
	}
	if len(ie.Rows) > 0 {
		return nil, ie
	}
	return rows, nil
}

const parseChunkRows = 512

// parseChunk is a run of consecutive CSV records validated by one worker.
type parseChunk struct {
	recs [][]string
	out  []parseResult
	done chan struct{}
}

type parseResult struct {
	line     int
	skip     bool // a blank row
	problems []string
	row      importRow
}

func (c *parseChunk) add(line int, rec []string, problem string) {
	r := parseResult{line: line}
	if problem != "" {
		r.problems = []string{problem}
	}
	c.recs = append(c.recs, rec)
	c.out = append(c.out, r)
}

// parse validates and encodes the chunk's records.
func (c *parseChunk) parse(cols []string, now time.Time, desk string, k *seal.Cipher, failed *atomic.Bool) {
	t := txn{k: k}
	for i, rec := range c.recs {
		o := &c.out[i]
		if len(o.problems) > 0 {
			continue
		}
		if blank(rec) {
			o.skip = true
			continue
		}
		if len(rec) != len(cols) {
			o.problems = []string{fmt.Sprintf("has %d fields, the header has %d", len(rec), len(cols))}
			continue
		}
		cu, given, problems := parseRow(rec, cols)
		o.row.given, o.row.id = given, cu.ID
		if len(problems) > 0 {
			o.problems = problems
			failed.Store(true)
			continue
		}
		if failed.Load() {
			continue // nothing will be written: validate only
		}
		if !given {
			u, err := uuid.NewV7()
			if err != nil {
				o.problems = []string{fmt.Sprintf("make id: %v", err)}
				continue
			}
			cu.ID = u.String()
		}
		cu.Desk = desk
		cu.Touch(now)
		body, err := json.Marshal(&cu)
		if err != nil {
			o.problems = []string{fmt.Sprintf("encode: %v", err)}
			continue
		}
		keys := make([]string, len(cu.Phones))
		for i, p := range cu.Phones {
			keys[i] = string(t.phoneKey(p, cu.ID))
		}
		o.row = importRow{id: cu.ID, body: sealAt(k, bucketCustomers, []byte(cu.ID), body), keys: keys, given: given}
	}
	c.recs = nil
}

func parseHeader(header []string, bad func(int, string, ...any)) ([]string, bool) {
	cols := make([]string, len(header))
	seen := map[string]string{}
	var unknown []string
	ok := true
	for i, h := range header {
		key := strings.ToLower(strings.TrimSpace(h))
		f, known := csvColumns[key]
		if !known {
			unknown = append(unknown, fmt.Sprintf("%q", strings.TrimSpace(h)))
			continue
		}
		if prev, dup := seen[f]; dup {
			bad(1, "columns %q and %q both give the %s", prev, strings.TrimSpace(h), f)
			ok = false
		}
		seen[f] = strings.TrimSpace(h)
		cols[i] = f
	}
	if len(unknown) > 0 {
		word := "column"
		if len(unknown) > 1 {
			word = "columns"
		}
		bad(1, "unknown %s %s (known: %s)", word, strings.Join(unknown, ", "), knownColumns)
		ok = false
	}
	if _, has := seen["phones"]; !has {
		bad(1, "no phones column (phones or 电话)")
		ok = false
	}
	_, hasName := seen["name"]
	_, hasSurname := seen["surname"]
	if !hasName && !hasSurname {
		bad(1, "no name column (name/姓名 or surname/姓)")
		ok = false
	}
	return cols, ok
}

// parseRow builds the customer of one row; problems are in words.
func parseRow(rec, cols []string) (c agent.Customer, given bool, problems []string) {
	for i, f := range cols {
		v := strings.TrimSpace(rec[i])
		switch f {
		case "id":
			if v == "" {
				continue
			}
			u, err := uuid.Parse(v)
			if err != nil {
				problems = append(problems, fmt.Sprintf("id %q is not a UUID", v))
				continue
			}
			c.ID, given = u.String(), true
		case "name":
			c.Name = v
		case "surname":
			c.Surname = v
		case "title":
			t, err := agent.ParseTitle(v)
			if err != nil {
				problems = append(problems, err.Error())
			}
			c.Title = t
		case "phones":
			c.Phones = splitList(v)
		case "member":
			m, err := parseMember(v)
			if err != nil {
				problems = append(problems, err.Error())
			}
			c.Member = m
		case "level":
			c.Level = v
		case "address":
			c.Address = v
		case "area":
			c.Area = v
		case "tags":
			c.Tags = splitList(v)
		case "notes":
			c.Notes = v
		}
	}
	if err := c.Validate(); err != nil {
		problems = append(problems, strings.Split(err.Error(), "\n")...)
	}
	return c, given, problems
}

// splitList splits "a; b | c" into its non-empty, trimmed parts.
func splitList(v string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == '|' || r == '；' }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func parseMember(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "", "no", "n", "0", "false", "否":
		return false, nil
	case "yes", "y", "1", "true", "是":
		return true, nil
	}
	return false, fmt.Errorf("member %q: want yes/no, 1/0 or 是/否", v)
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

func lineOf(err error, def int) int {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if pe.StartLine > 0 {
			return pe.StartLine
		}
		return pe.Line
	}
	return def
}

// csvProblem words a CSV syntax error without repeating its line.
func csvProblem(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Sprintf("column %d: %v", pe.Column, pe.Err)
	}
	return err.Error()
}

// importHook, when set (by tests), runs after every committed write batch of
// an import; an error it returns is treated as a failed write.
var importHook func(batch int) error

// writeImport writes validated rows as described at the top of this file.
func (s *Store) writeImport(rows []importRow, now time.Time) (created, updated int, err error) {
	if len(rows) == 0 {
		return 0, 0, nil
	}
	// A bulk change: the number directory is read again when next needed.
	s.nums.drop()
	defer s.nums.drop()
	batch := 0
	after := func() error {
		batch++
		if importHook != nil {
			return importHook(batch)
		}
		return nil
	}
	fail := func(err error) (int, int, error) {
		if rerr := s.rollbackImport(); rerr != nil {
			return 0, 0, fmt.Errorf("%w; rolling back failed too (the next Open retries): %v", err, rerr)
		}
		return 0, 0, fmt.Errorf("%w (rolled back: nothing imported)", err)
	}
	for start := 0; start < len(rows); start += importBatch {
		part := rows[start:min(start+importBatch, len(rows))]
		var c, u int
		err := s.update(func(t txn) error {
			var undo *bolt.Bucket
			if start == 0 {
				var err error
				if undo, err = t.tx.CreateBucket(bucketImportUndo); errors.Is(err, berrors.ErrBucketExists) {
					return ErrImportInProgress
				} else if err != nil {
					return err
				}
			} else if undo = t.tx.Bucket(bucketImportUndo); undo == nil {
				return errors.New("import undo log vanished")
			}
			var err error
			c, u, err = writeRows(t, undo, part, now)
			return err
		})
		if errors.Is(err, ErrImportInProgress) {
			return 0, 0, err // the other import's undo log is not ours to replay
		}
		if err == nil {
			err = after()
		}
		if err != nil {
			return fail(err)
		}
		created, updated = created+c, updated+u
	}

	keys := make([]string, 0, len(rows))
	for _, r := range rows {
		keys = append(keys, r.keys...)
	}
	slices.Sort(keys)
	for start := 0; start < len(keys); start += importIndexBatch {
		part := keys[start:min(start+importIndexBatch, len(keys))]
		err := s.update(func(t txn) error {
			idx := t.tx.Bucket(bucketPhoneIndex)
			idx.FillPercent = 0.9
			for _, k := range part {
				if err := idx.Put([]byte(k), nil); err != nil {
					return fmt.Errorf("index: %w", err)
				}
			}
			return nil
		})
		if err == nil {
			err = after()
		}
		if err != nil {
			return fail(err)
		}
	}
	if err := s.update(func(t txn) error { return t.tx.DeleteBucket(bucketImportUndo) }); err != nil {
		return fail(err)
	}
	return created, updated, nil
}

// writeRows writes one batch of records with their outbox and undo entries.
// Undo entries keep a replaced customer's bytes as stored.
func writeRows(t txn, undo *bolt.Bucket, rows []importRow, now time.Time) (created, updated int, err error) {
	recs := t.bucket(bucketCustomers)
	recs.b.FillPercent = 0.9
	ob := t.bucket(bucketOutbox)
	ob.b.FillPercent = 1
	undo.FillPercent = 1
	for _, r := range rows {
		body, version := r.body, int64(1)
		var old []byte
		if r.given {
			if v := recs.b.Get([]byte(r.id)); v != nil {
				old = bytes.Clone(v)
				if body, version, err = replaceBody(t, recs, r, old); err != nil {
					return 0, 0, err
				}
			}
		}
		if err := recs.b.Put([]byte(r.id), body); err != nil {
			return 0, 0, fmt.Errorf("put customer %s: %w", r.id, err)
		}
		seq, err := ob.b.NextSequence()
		if err != nil {
			return 0, 0, fmt.Errorf("outbox sequence: %w", err)
		}
		entry, err := json.Marshal(OutboxEntry{Seq: seq, Kind: agent.KindCustomer, ID: r.id, Version: version, At: now})
		if err != nil {
			return 0, 0, err
		}
		if err := ob.put(u64(seq), entry); err != nil {
			return 0, 0, fmt.Errorf("outbox: %w", err)
		}
		useq, err := undo.NextSequence()
		if err != nil {
			return 0, 0, err
		}
		if err := undo.Put(u64(useq), encodeUndo(seq, r.id, old)); err != nil {
			return 0, 0, fmt.Errorf("undo log: %w", err)
		}
		if old != nil {
			updated++
		} else {
			created++
		}
	}
	return created, updated, nil
}

// replaceBody makes the stored bytes of a row that replaces stored customer
// old (bytes as stored): the version grows and the creation time stays; old
// numbers the row does not keep leave the index (the new ones are added
// with the rest of the import).
func replaceBody(t txn, recs *bucket, r importRow, old []byte) ([]byte, int64, error) {
	oldJSON, err := recs.open([]byte(r.id), old)
	if err != nil {
		return nil, 0, err
	}
	rowJSON, err := recs.open([]byte(r.id), r.body)
	if err != nil {
		return nil, 0, err
	}
	var prev, next agent.Customer
	if err := json.Unmarshal(oldJSON, &prev); err != nil {
		return nil, 0, fmt.Errorf("decode customer %s: %w", r.id, err)
	}
	if err := json.Unmarshal(rowJSON, &next); err != nil {
		return nil, 0, fmt.Errorf("decode row of %s: %w", r.id, err)
	}
	next.Version = prev.Version + 1
	next.CreatedAt = prev.CreatedAt
	if err := t.reindex(r.id, prev.Phones, nil); err != nil {
		return nil, 0, err
	}
	body, err := json.Marshal(&next)
	if err != nil {
		return nil, 0, err
	}
	return recs.seal([]byte(r.id), body), next.Version, nil
}

// An undo entry: outbox seq (8 bytes), id length (1 byte), id, old JSON
// (empty when the record was new).
func encodeUndo(seq uint64, id string, old []byte) []byte {
	b := make([]byte, 0, 9+len(id)+len(old))
	b = binary.BigEndian.AppendUint64(b, seq)
	b = append(b, byte(len(id)))
	b = append(b, id...)
	return append(b, old...)
}

func decodeUndo(v []byte) (seq uint64, id string, old []byte, err error) {
	if len(v) < 9 || len(v) < 9+int(v[8]) {
		return 0, "", nil, fmt.Errorf("bad undo entry %q", v)
	}
	n := int(v[8])
	return binary.BigEndian.Uint64(v), string(v[9 : 9+n]), v[9+n:], nil
}

// rollbackImport replays the undo log of an unfinished import backwards, in
// batches, then drops it. It is safe to run again after it failed half-way:
// each batch removes the undo entries it replayed.
func (s *Store) rollbackImport() error {
	for {
		done := false
		err := s.update(func(t txn) error {
			undo := t.tx.Bucket(bucketImportUndo)
			if undo == nil {
				done = true
				return nil
			}
			recs, ob := t.bucket(bucketCustomers), t.tx.Bucket(bucketOutbox)
			c := undo.Cursor()
			n := 0
			for k, v := c.Last(); k != nil && n < importBatch; k, v = c.Last() {
				seq, id, old, err := decodeUndo(bytes.Clone(v))
				if err != nil {
					return err
				}
				cur, err := recs.get([]byte(id))
				if err != nil {
					return err
				}
				if cur != nil {
					var now agent.Customer
					if err := json.Unmarshal(cur, &now); err != nil {
						return fmt.Errorf("decode customer %s: %w", id, err)
					}
					if err := t.reindex(id, now.Phones, nil); err != nil {
						return err
					}
				}
				if len(old) > 0 {
					oldJSON, err := recs.open([]byte(id), old)
					if err != nil {
						return err
					}
					var was agent.Customer
					if err := json.Unmarshal(oldJSON, &was); err != nil {
						return fmt.Errorf("decode old customer %s: %w", id, err)
					}
					if err := recs.b.Put([]byte(id), bytes.Clone(old)); err != nil {
						return err
					}
					if err := t.reindex(id, nil, was.Phones); err != nil {
						return err
					}
				} else if err := recs.delete([]byte(id)); err != nil {
					return err
				}
				if err := ob.Delete(u64(seq)); err != nil {
					return err
				}
				if err := c.Delete(); err != nil {
					return err
				}
				n++
			}
			if n == 0 {
				done = true
				return t.tx.DeleteBucket(bucketImportUndo)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("roll back import: %w", err)
		}
		if done {
			return nil
		}
	}
}

// recoverImport rolls back an import the process did not finish (it died
// between batches). Open calls it.
func (s *Store) recoverImport() error {
	var pending bool
	if err := s.db.View(func(tx *bolt.Tx) error {
		pending = tx.Bucket(bucketImportUndo) != nil
		return nil
	}); err != nil || !pending {
		return err
	}
	s.log.Warn("rolling back an unfinished customer import")
	return s.rollbackImport()
}
