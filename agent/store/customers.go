package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"agentdesk/agent"

	"github.com/google/uuid"
)

// ErrBadID is returned (wrapped) when a customer's ID is not a UUID.
var ErrBadID = errors.New("record id is not a UUID")

var bucketCustomers = []byte(agent.KindCustomer)

// checkID accepts an empty ID (one will be made) or a UUID.
func checkID(id string) error {
	if id == "" {
		return nil
	}
	if _, err := uuid.Parse(id); err != nil {
		return fmt.Errorf("%w: %q", ErrBadID, id)
	}
	return nil
}

// PutCustomer validates c (normalising its phone numbers in place), stamps
// it for instant now (ID if new, version bump, this desk) and stores it with
// its phone-index entries and an outbox entry, all in one transaction. On
// success c holds what was stored; on error c's Meta is left as it was.
//
// Saving a customer whose stored version is newer than c's (edited since c was
// read) still succeeds, with a version above both: the last save wins locally
// and sync sees a strictly growing version.
func (s *Store) PutCustomer(c *agent.Customer, now time.Time) error {
	if err := checkID(c.ID); err != nil {
		return fmt.Errorf("put customer: %w", err)
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("put customer %s: %w", c.ID, err)
	}
	next := *c
	var oldPhones []string
	err := s.update(func(t txn) error {
		var old agent.Customer
		found := false
		if next.ID != "" {
			switch err := getRecord(t, agent.KindCustomer, next.ID, &old); {
			case err == nil:
				found = true
			case !errors.Is(err, ErrNotFound):
				return err
			}
		}
		if found {
			next.CreatedAt = old.CreatedAt
			next.Version = max(next.Version, old.Version)
		}
		next.Desk = s.DeskID()
		next.Touch(now)
		if err := t.reindex(next.ID, old.Phones, next.Phones); err != nil {
			return err
		}
		oldPhones = old.Phones
		return putRecord(t, agent.KindCustomer, next.Meta, &next, now)
	})
	if err != nil {
		return fmt.Errorf("put customer %s: %w", next.ID, err)
	}
	s.nums.change(next.ID, oldPhones, next.Phones)
	*c = next
	return nil
}

// Customer returns the customer with the given ID, or an error wrapping
// ErrNotFound.
func (s *Store) Customer(id string) (agent.Customer, error) {
	var c agent.Customer
	err := s.view(func(t txn) error { return getRecord(t, agent.KindCustomer, id, &c) })
	return c, err
}

// LookupPhone returns every customer with the number (in any form
// NormalizePhone understands), in ID order; none is an empty result, not an
// error. A text that is not a phone number is an error wrapping
// agent.ErrBadPhone.
func (s *Store) LookupPhone(number string) ([]agent.Customer, error) {
	n, err := agent.NormalizePhone(number)
	if err != nil {
		return nil, fmt.Errorf("lookup phone: %w", err)
	}
	var out []agent.Customer
	err = s.view(func(t txn) error {
		recs := t.bucket(bucketCustomers)
		prefix := t.phonePrefix(n)
		c := t.tx.Bucket(bucketPhoneIndex).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			id := k[len(prefix):]
			raw, err := recs.get(id)
			if err != nil {
				return err
			}
			if raw == nil {
				return fmt.Errorf("phone index names missing customer %s", id)
			}
			var cu agent.Customer
			if err := json.Unmarshal(raw, &cu); err != nil {
				return fmt.Errorf("decode customer %s: %w", id, err)
			}
			if t.k != nil && !slices.Contains(cu.Phones, n) {
				continue // another number with the same cut hash
			}
			out = append(out, cu)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("lookup phone: %w", err)
	}
	return out, nil
}

// DefaultSearchLimit is used by SearchCustomers when limit <= 0.
const DefaultSearchLimit = 50

// SearchCustomers finds up to limit customers for what an agent types in a
// search box. A query made only of digits and the usual separators (at least
// three digits) is a number prefix: "138 0013" finds +8613800138xxx, "0755"
// finds Shenzhen landlines, "400" finds 400 numbers. Any other query is a
// case-insensitive substring of the name, the surname or surname+name. An
// empty query finds nothing. Results are in index (number) order for number
// queries and in ID order for names.
//
// A name search reads every customer; on a million records it takes a
// fraction of a second, fine for a search box but not for the call pop,
// which uses LookupPhone. In a sealed file, whose index holds hashes of
// whole numbers, the first number search reads every customer's numbers
// into memory (a sorted directory the Store's writes keep up to date).
func (s *Store) SearchCustomers(query string, limit int) ([]agent.Customer, error) {
	q := strings.TrimSpace(query)
	if q == "" {
		return nil, nil
	}
	if limit <= 0 {
		limit = DefaultSearchLimit
	}
	var out []agent.Customer
	var err error
	if prefixes := numberPrefixes(q); prefixes != nil {
		out, err = s.searchNumber(prefixes, limit)
	} else {
		out, err = s.searchName(q, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("search customers %q: %w", q, err)
	}
	return out, nil
}

// numberPrefixes returns the index-key prefixes a partly typed number may
// start with, or nil if q is not a number.
func numberPrefixes(q string) []string {
	var digits strings.Builder
	plus := false
	for i, r := range q {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r >= '０' && r <= '９':
			digits.WriteRune('0' + (r - '０'))
		case (r == '+' || r == '＋') && i == 0:
			plus = true
		case strings.ContainsRune(" -.()（）－\u3000", r):
		default:
			return nil
		}
	}
	d := digits.String()
	if len(d) < 3 {
		return nil
	}
	if plus {
		return []string{"+" + d}
	}
	if strings.HasPrefix(d, "00") {
		return []string{"+" + d[2:]}
	}
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	switch {
	case strings.HasPrefix(d, "0"): // national trunk prefix: landline area code
		add("+86" + d[1:])
	case strings.HasPrefix(d, "86") && len(d) > 4:
		add("+" + d)
		add("+86" + d)
	default:
		add("+86" + d)
	}
	add(d) // 400/800 numbers and short codes are stored as dialled
	return out
}

func (s *Store) searchNumber(prefixes []string, limit int) ([]agent.Customer, error) {
	if s.k != nil {
		return s.searchSealedNumber(prefixes, limit)
	}
	var out []agent.Customer
	err := s.view(func(t txn) error {
		recs := t.bucket(bucketCustomers)
		c := t.tx.Bucket(bucketPhoneIndex).Cursor()
		seen := map[string]bool{}
		for _, p := range prefixes {
			for k, _ := c.Seek([]byte(p)); k != nil && bytes.HasPrefix(k, []byte(p)) && len(out) < limit; k, _ = c.Next() {
				i := bytes.IndexByte(k, 0)
				if i < 0 {
					continue
				}
				id := string(k[i+1:])
				if seen[id] {
					continue
				}
				seen[id] = true
				raw, err := recs.get([]byte(id))
				if err != nil {
					return err
				}
				if raw == nil {
					return fmt.Errorf("phone index names missing customer %s", id)
				}
				var cu agent.Customer
				if err := json.Unmarshal(raw, &cu); err != nil {
					return fmt.Errorf("decode customer %s: %w", id, err)
				}
				out = append(out, cu)
			}
		}
		return nil
	})
	return out, err
}

// searchSealedNumber finds number prefixes in a sealed file through the
// number directory (built on first use), or, if a write raced the build,
// by opening every customer.
func (s *Store) searchSealedNumber(prefixes []string, limit int) ([]agent.Customer, error) {
	ids, ok := s.nums.find(prefixes, limit)
	if !ok {
		built, err := s.nums.build(s)
		if err != nil {
			return nil, err
		}
		if built {
			ids, ok = s.nums.find(prefixes, limit)
		}
	}
	var out []agent.Customer
	err := s.view(func(t txn) error {
		if !ok {
			return scanNumbers(t, prefixes, limit, &out)
		}
		for _, id := range ids {
			var cu agent.Customer
			switch err := getRecord(t, agent.KindCustomer, id, &cu); {
			case errors.Is(err, ErrNotFound):
				continue // deleted since the directory was read
			case err != nil:
				return err
			}
			out = append(out, cu)
		}
		return nil
	})
	return out, err
}

// scanNumbers finds number prefixes in a sealed file, whose index holds
// hashes of whole numbers only: it opens every customer (in ID order) and
// decodes only those whose JSON holds a prefix as the start of a string.
func scanNumbers(t txn, prefixes []string, limit int, out *[]agent.Customer) error {
	needles := make([][]byte, len(prefixes))
	for i, p := range prefixes {
		needles[i] = []byte(`"` + p)
	}
	recs := t.bucket(bucketCustomers)
	sc := recs.scanner()
	c := recs.cursor()
	for k, raw := c.First(); k != nil && len(*out) < limit; k, raw = c.Next() {
		v, err := sc.open(k, raw)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(needles, func(n []byte) bool { return bytes.Contains(v, n) }) {
			continue
		}
		var cu agent.Customer
		if err := json.Unmarshal(v, &cu); err != nil {
			return fmt.Errorf("decode customer %s: %w", k, err)
		}
		if slices.ContainsFunc(cu.Phones, func(ph string) bool {
			return slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(ph, p) })
		}) {
			*out = append(*out, cu)
		}
	}
	return nil
}

func (s *Store) searchName(q string, limit int) ([]agent.Customer, error) {
	lq := strings.ToLower(q)
	// When the query's first letter has no case, its bytes must appear in
	// the JSON of any match (encoding/json writes CJK as is), which skips
	// decoding most records.
	first, _ := utf8.DecodeRuneInString(q)
	caseless := !unicode.IsUpper(first) && !unicode.IsLower(first)
	needle := []byte(string(first))
	var out []agent.Customer
	err := s.view(func(t txn) error {
		recs := t.bucket(bucketCustomers)
		sc := recs.scanner()
		c := recs.cursor()
		for k, raw := c.First(); k != nil && len(out) < limit; k, raw = c.Next() {
			v, err := sc.open(k, raw)
			if err != nil {
				return err
			}
			if caseless && !bytes.Contains(v, needle) {
				continue
			}
			var cu agent.Customer
			if err := json.Unmarshal(v, &cu); err != nil {
				return fmt.Errorf("decode customer %s: %w", k, err)
			}
			for _, f := range []string{cu.Name, cu.Surname, cu.Surname + cu.Name} {
				if strings.Contains(strings.ToLower(f), lq) {
					out = append(out, cu)
					break
				}
			}
		}
		return nil
	})
	return out, err
}

// DeleteCustomer deletes the customer id at instant now: its record and
// phone-index entries go, and the outbox gets a tombstone (Deleted, version
// one above the last, body = the last content at that version, updated_at
// now, this desk) so sync can delete it upstream; the newer-version-wins rule
// keeps an older copy from resurrecting it there. Deleting a missing customer
// returns an error wrapping ErrNotFound.
func (s *Store) DeleteCustomer(id string, now time.Time) error {
	var oldPhones []string
	err := s.update(func(t txn) error {
		var old agent.Customer
		if err := getRecord(t, agent.KindCustomer, id, &old); err != nil {
			return err
		}
		if err := t.reindex(id, old.Phones, nil); err != nil {
			return err
		}
		oldPhones = old.Phones
		if err := t.bucket(bucketCustomers).delete([]byte(id)); err != nil {
			return err
		}
		old.Desk = s.DeskID()
		old.Touch(now)
		body, err := json.Marshal(&old)
		if err != nil {
			return err
		}
		return appendOutbox(t, OutboxEntry{Kind: agent.KindCustomer, ID: id, Version: old.Version, At: now, Deleted: true, Body: body})
	})
	if err != nil {
		return fmt.Errorf("delete customer %s: %w", id, err)
	}
	s.nums.change(id, oldPhones, nil)
	return nil
}

// CountCustomers returns how many customers are stored.
func (s *Store) CountCustomers() (int, error) {
	var n int
	err := s.view(func(t txn) error {
		n = t.tx.Bucket(bucketCustomers).Stats().KeyN
		return nil
	})
	return n, err
}
