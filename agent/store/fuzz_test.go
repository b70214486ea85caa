package store_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strings"
	"testing"

	"agentdesk/agent"
	"agentdesk/agent/store"
	"agentdesk/agent/store/storetest"
)

func FuzzImportCSV(f *testing.F) {
	for _, seed := range []string{
		"name,phones\n张伟,13800138000\n",
		"\ufeff姓名,姓,称谓,电话,会员,等级,地址,地区,标签,备注\n张伟,张,先生,138-0013-8000|010-12345678,是,金卡,北京,北京,vip;老客户,备注\n",
		"id,name,phones\n0195a1b2-0000-7000-8000-000000000001,A,+1 415 555 2671\n,B,400-123-4567\n",
		"name,phones\n\"multi\nline\",13800138000\n\"bad\"quote,1\n",
		"name,phones,email\nx,1,y\n",
		"name,phones\n,\n,,\nx\n",
		"surname,phones,member\n王,13800138000;13800138000,maybe\n",
	} {
		f.Add([]byte(seed))
	}
	// One store per fuzzing process, reused by every input (opening a file
	// per input is dominated by fsync); durability is not under test.
	s := storetest.Open(f, store.WithNoSync())
	f.Fuzz(func(t *testing.T, data []byte) {
		before, _, err := s.OutboxStats()
		if err != nil {
			t.Fatal(err)
		}
		n0, err := s.CountCustomers()
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.ImportCSV(bytes.NewReader(data), "fuzz.csv", t0)
		n, cerr := s.CountCustomers()
		if cerr != nil {
			t.Fatal(cerr)
		}
		after, _, oerr := s.OutboxStats()
		if oerr != nil {
			t.Fatal(oerr)
		}
		if err != nil {
			var ie *store.ImportError
			if !errors.As(err, &ie) || len(ie.Rows) == 0 {
				t.Fatalf("error is not an ImportError listing rows: %v", err)
			}
			if n != n0 || after != before {
				t.Fatalf("failed import changed the store: %d→%d customers, %d→%d outbox entries: %v", n0, n, before, after, err)
			}
			return
		}
		if n-n0 != res.Created || after-before != res.Rows {
			t.Fatalf("result %+v, but customers %d→%d and outbox %d→%d", res, n0, n, before, after)
		}
		// Every row is findable by each of its numbers, as the file wrote them.
		for _, phones := range phoneCells(t, data) {
			for _, p := range strings.FieldsFunc(phones, func(r rune) bool { return r == ';' || r == '|' || r == '；' }) {
				if strings.TrimSpace(p) == "" {
					continue
				}
				found, err := s.LookupPhone(p)
				if err != nil || len(found) == 0 {
					t.Fatalf("number %q of an imported row: found %d, %v", p, len(found), err)
				}
				want, _ := agent.NormalizePhone(p)
				for _, c := range found {
					if !containsString(c.Phones, want) {
						t.Fatalf("LookupPhone(%q) returned %+v without %s", p, c, want)
					}
				}
			}
		}
	})
}

// phoneCells re-reads an imported file independently and returns each row's
// phones cell.
func phoneCells(t *testing.T, data []byte) []string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("imported file does not re-read: %v", err)
	}
	col := -1
	for i, h := range recs[0] {
		switch strings.ToLower(strings.TrimSpace(h)) {
		case "phones", "phone", "电话":
			col = i
		}
	}
	var out []string
	for _, rec := range recs[1:] {
		if col < len(rec) {
			out = append(out, rec[col])
		}
	}
	return out
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
