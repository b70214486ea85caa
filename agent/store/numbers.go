package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"agentdesk/agent"
)

// numberDir is a sealed file's number directory, in memory: every indexed
// number with its customer, sorted, so a number search finds prefixes
// without opening every customer (the file's phone index holds hashes of
// whole numbers, which no prefix finds). It is built by the first number
// search and kept up to date by this Store's writes; the file's lock makes
// them the only writes while the Store is open.
type numberDir struct {
	mu   sync.Mutex
	gen  uint64     // bumped by every change, so a build that raced one is not kept
	list []numEntry // sorted by number, then customer; nil: not built
}

type numEntry struct{ number, id string }

func cmpEntry(a, b numEntry) int {
	if c := strings.Compare(a.number, b.number); c != 0 {
		return c
	}
	return strings.Compare(a.id, b.id)
}

// change moves customer id from the numbers in old to those in new.
func (d *numberDir) change(id string, old, new []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.gen++
	if d.list == nil {
		return
	}
	for _, n := range old {
		if slices.Contains(new, n) {
			continue
		}
		if i, ok := slices.BinarySearchFunc(d.list, numEntry{n, id}, cmpEntry); ok {
			d.list = slices.Delete(d.list, i, i+1)
		}
	}
	for _, n := range new {
		if i, ok := slices.BinarySearchFunc(d.list, numEntry{n, id}, cmpEntry); !ok {
			d.list = slices.Insert(d.list, i, numEntry{n, id})
		}
	}
}

// drop forgets the directory (after a bulk change): the next search
// builds it again.
func (d *numberDir) drop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.gen++
	d.list = nil
}

// find returns the customers of numbers starting with one of prefixes, in
// number order, each once, at most limit; ok is false when the directory is
// not built.
func (d *numberDir) find(prefixes []string, limit int) (ids []string, ok bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.list == nil {
		return nil, false
	}
	seen := map[string]bool{}
	for _, p := range prefixes {
		i, _ := slices.BinarySearchFunc(d.list, numEntry{number: p}, cmpEntry)
		for ; i < len(d.list) && strings.HasPrefix(d.list[i].number, p) && len(ids) < limit; i++ {
			if id := d.list[i].id; !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	return ids, true
}

// build reads every customer's numbers and installs the directory unless
// a change came in meanwhile (then the caller searches the slow way).
func (d *numberDir) build(s *Store) (bool, error) {
	d.mu.Lock()
	gen := d.gen
	d.mu.Unlock()
	var list []numEntry
	err := s.view(func(t txn) error {
		recs := t.bucket(bucketCustomers)
		sc := recs.scanner()
		c := recs.cursor()
		for k, raw := c.First(); k != nil; k, raw = c.Next() {
			v, err := sc.open(k, raw)
			if err != nil {
				return err
			}
			phones, err := phonesOf(v)
			if err != nil {
				return fmt.Errorf("decode customer %s: %w", k, err)
			}
			for _, p := range phones {
				// Numbers the desk saved are E.164 already; normalising a
				// million of them again would be most of the build.
				if !isE164(p) {
					n, err := agent.NormalizePhone(p)
					if err != nil {
						continue // not indexed either
					}
					p = n
				}
				list = append(list, numEntry{p, string(k)})
			}
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	slices.SortFunc(list, cmpEntry)
	list = slices.CompactFunc(list, func(a, b numEntry) bool { return cmpEntry(a, b) == 0 })
	if list == nil {
		list = []numEntry{}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.gen != gen {
		return false, nil
	}
	d.list = list
	return true, nil
}

var phonesKey = []byte(`"phones":`)

// phonesOf reads only the phones of a customer's JSON (decoding the whole
// record costs several times more). Inside a JSON string a quote is
// escaped, so the bytes "phones": can only be the key. Numbers without
// escapes (all the desk writes) are read directly; anything else is left to
// encoding/json.
func phonesOf(v []byte) ([]string, error) {
	i := bytes.Index(v, phonesKey)
	if i < 0 {
		return nil, nil
	}
	rest := v[i+len(phonesKey):]
	var phones []string
	if len(rest) >= 4 && string(rest[:4]) == "null" {
		return nil, nil
	}
	j := 0
	if j >= len(rest) || rest[j] != '[' {
		return slow(rest)
	}
	for j++; j < len(rest); {
		switch rest[j] {
		case ']':
			return phones, nil
		case ',':
			j++
		case '"':
			end := bytes.IndexByte(rest[j+1:], '"')
			if end < 0 {
				return slow(rest)
			}
			p := rest[j+1 : j+1+end]
			if bytes.IndexByte(p, '\\') >= 0 {
				return slow(rest)
			}
			phones = append(phones, string(p))
			j += end + 2
		default:
			return slow(rest)
		}
	}
	return slow(rest)
}

func slow(rest []byte) ([]string, error) {
	var phones []string
	err := json.NewDecoder(bytes.NewReader(rest)).Decode(&phones)
	return phones, err
}

// isE164 reports whether p is written as NormalizePhone writes a number: a
// plus and digits.
func isE164(p string) bool {
	if len(p) < 2 || p[0] != '+' {
		return false
	}
	for i := 1; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
	}
	return true
}
