package store_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/store"
	"agentdesk/agent/store/storetest"
)

func importString(t *testing.T, s *store.Store, csv string) (store.ImportResult, error) {
	t.Helper()
	return s.ImportCSV(strings.NewReader(csv), "customers.csv", t0)
}

func mustCount(t *testing.T, s *store.Store, want int) {
	t.Helper()
	n, err := s.CountCustomers()
	if err != nil {
		t.Fatal(err)
	}
	if n != want {
		t.Errorf("CountCustomers = %d, want %d", n, want)
	}
}

func lookup1(t *testing.T, s *store.Store, number string) agent.Customer {
	t.Helper()
	got, err := s.LookupPhone(number)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("LookupPhone(%s) found %d customers, want 1", number, len(got))
	}
	return got[0]
}

func TestImportCSV_Headers(t *testing.T) {
	tests := []struct {
		name, csv string
	}{
		{"english", "name,surname,title,phones,member,level,address,area,tags,notes\n" +
			"张伟,张,先生,13800138000 | 010-12345678,yes,金卡,北京市朝阳区,北京,vip;老客户,常投诉\n" +
			"Fang Wang,Wang,Ms,+86 139 0013 9000,0,,,,,\n"},
		{"chinese with BOM", "\ufeff姓名,姓,称谓,电话,会员,等级,地址,地区,标签,备注\r\n" +
			"张伟,张,先生,13800138000;010-12345678,是,金卡,北京市朝阳区,北京,vip|老客户,常投诉\r\n" +
			"Fang Wang,Wang,女士,+86 139 0013 9000,否,,,,,\r\n"},
		{"columns in another order", " Phones ,NAME,surname,member,title,level,address,area,tags,notes\n" +
			"\"13800138000;010-12345678\",张伟,张,1,Mr,金卡,北京市朝阳区,北京,vip;老客户,常投诉\n" +
			"+86 139 0013 9000,Fang Wang,Wang,no,Ms,,,,,\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := storetest.Open(t)
			res, err := importString(t, s, tt.csv)
			if err != nil {
				t.Fatalf("ImportCSV: %v", err)
			}
			if res.Rows != 2 || res.Created != 2 || res.Updated != 0 {
				t.Errorf("result = %+v", res)
			}
			mustCount(t, s, 2)
			zhang := lookup1(t, s, "0086 138 0013 8000")
			want := agent.Customer{Meta: zhang.Meta, Name: "张伟", Surname: "张", Title: agent.TitleMr,
				Phones: []string{"+8613800138000", "+861012345678"}, Member: true, Level: "金卡",
				Address: "北京市朝阳区", Area: "北京", Tags: []string{"vip", "老客户"}, Notes: "常投诉"}
			if fmt.Sprint(zhang) != fmt.Sprint(want) {
				t.Errorf("imported\n%+v\nwant\n%+v", zhang, want)
			}
			if zhang.Version != 1 || zhang.Desk != s.DeskID() || !zhang.CreatedAt.Equal(t0) {
				t.Errorf("meta = %+v", zhang.Meta)
			}
			if lookup1(t, s, "010-12345678").ID != zhang.ID {
				t.Error("landline does not find the same customer")
			}
			wang := lookup1(t, s, "13900139000")
			if wang.Title != agent.TitleMs || wang.Member {
				t.Errorf("wang = %+v", wang)
			}
			out, err := s.Outbox(10)
			if err != nil {
				t.Fatal(err)
			}
			if len(out) != 2 {
				t.Fatalf("outbox has %d entries, want 2", len(out))
			}
			for _, e := range out {
				if e.Deleted || e.Version != 1 || !strings.Contains(string(e.Body), e.ID) {
					t.Errorf("outbox entry = %+v (body %s)", e, e.Body)
				}
			}
		})
	}
}

func TestImportCSV_BadRowsStoreNothing(t *testing.T) {
	csv := "name,phones,member,title,id\n" +
		"张伟,13800138000,yes,先生,\n" + // line 2: good
		",13800138001,,,\n" + // line 3: no name
		"李娜,,,,\n" + // line 4: no phone
		"王芳,abc,maybe,Dr,\n" + // line 5: three problems
		"\"多行\n备注\",13800138002,,,not-a-uuid\n" + // line 6-7: bad id
		"刘洋,13800138003\n" + // line 8: short row
		"赵敏,13800138004,,,0195a1b2-0000-7000-8000-000000000001\n" + // line 9
		"钱多,13800138005,,,0195A1B2-0000-7000-8000-000000000001\n" // line 10: same id
	s := storetest.Open(t)
	_, err := importString(t, s, csv)
	var ie *store.ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("ImportCSV error = %v, want *ImportError", err)
	}
	var lines []int
	for _, r := range ie.Rows {
		lines = append(lines, r.Line)
	}
	if want := []int{3, 4, 5, 6, 8, 10}; !slices.Equal(lines, want) {
		t.Errorf("bad lines = %v, want %v\n%v", lines, want, err)
	}
	msg := err.Error()
	for _, want := range []string{
		"customers.csv:3: customer has neither name nor surname",
		"customers.csv:4: customer has no phone number",
		`customers.csv:5: member "maybe"`,
		`unknown title "Dr"`,
		"not a phone number",
		`customers.csv:6: id "not-a-uuid" is not a UUID`,
		"customers.csv:8: has 2 fields, the header has 5",
		"customers.csv:10: id 0195a1b2-0000-7000-8000-000000000001 is also on line 9",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	mustCount(t, s, 0)
	if out, _ := s.Outbox(10); len(out) != 0 {
		t.Errorf("outbox after refused import: %+v", out)
	}
}

func TestImportCSV_ErrorCap(t *testing.T) {
	var b strings.Builder
	b.WriteString("name,phones\n")
	for range store.MaxImportErrors + 7 {
		b.WriteString("x,bad\n")
	}
	s := storetest.Open(t)
	_, err := importString(t, s, b.String())
	var ie *store.ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("error = %v", err)
	}
	if len(ie.Rows) != store.MaxImportErrors || ie.More != 7 {
		t.Errorf("listed %d, more %d; want %d, 7", len(ie.Rows), ie.More, store.MaxImportErrors)
	}
	if !strings.Contains(err.Error(), "7 more bad rows") {
		t.Errorf("error does not say how many more: ...%s", err.Error()[len(err.Error())-80:])
	}
}

func TestImportCSV_BadHeader(t *testing.T) {
	tests := []struct{ csv, want string }{
		{"", "customers.csv:1: empty file"},
		{"name,phones,email,生日\nx,13800138000,a,b\n", `customers.csv:1: unknown columns "email", "生日"`},
		{"name,title\n", "customers.csv:1: no phones column"},
		{"电话,notes\n", "customers.csv:1: no name column"},
		{"name,姓名,phones\n", `customers.csv:1: columns "name" and "姓名" both give the name`},
		{"name,\"phones\n", "customers.csv:1: header row"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			s := storetest.Open(t)
			_, err := importString(t, s, tt.csv)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestImportCSV_ReplacesByID(t *testing.T) {
	s := storetest.Open(t)
	c := put(t, s, agent.Customer{Name: "张伟", Phones: []string{"13800138000", "13900139000"}})
	csv := fmt.Sprintf("id,name,phones\n%s,张伟,13900139000;13700137000\n,新客户,13800138000\n", strings.ToUpper(c.ID))
	res, err := importString(t, s, csv)
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 1 || res.Updated != 1 {
		t.Errorf("result = %+v", res)
	}
	got, err := s.Customer(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 2 || !got.CreatedAt.Equal(c.CreatedAt) || !slices.Equal(got.Phones, []string{"+8613900139000", "+8613700137000"}) {
		t.Errorf("replaced = %+v", got)
	}
	old, _ := s.LookupPhone("13800138000")
	if len(old) != 1 || old[0].Name != "新客户" {
		t.Errorf("13800138000 finds %+v, want only the new customer", old)
	}
	mustCount(t, s, 2)
}

// manyRows makes a CSV of n customers, the first replacing id (if any).
func manyRows(n int, id string) string {
	var b strings.Builder
	b.WriteString("id,name,phones\n")
	for i := range n {
		rid := ""
		if i == 0 {
			rid = id
		}
		fmt.Fprintf(&b, "%s,客户%d,1380000%04d\n", rid, i, i)
	}
	return b.String()
}

func TestImportCSV_WriteFailureRollsBack(t *testing.T) {
	for _, failAt := range []int{1, 2, 5, 6} { // record batches 1-4, index batches 5-6
		t.Run(fmt.Sprint(failAt), func(t *testing.T) {
			s := storetest.Open(t)
			c := put(t, s, agent.Customer{Name: "张伟", Phones: []string{"13900139000"}})
			defer store.SetImportBatches(10, 20, func(batch int) error {
				if batch == failAt {
					return errors.New("disk full (simulated)")
				}
				return nil
			})()
			_, err := importString(t, s, manyRows(35, c.ID))
			if err == nil || !strings.Contains(err.Error(), "rolled back") {
				t.Fatalf("error = %v, want a rolled-back failure", err)
			}
			assertUntouched(t, s, c)
		})
	}
}

// assertUntouched checks the store holds only c, as it was, after a failed
// import.
func assertUntouched(t *testing.T, s *store.Store, c agent.Customer) {
	t.Helper()
	mustCount(t, s, 1)
	got, err := s.Customer(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != c.Version || got.Name != c.Name {
		t.Errorf("customer after rollback = %+v, want %+v", got, c)
	}
	if lookup1(t, s, "13900139000").ID != c.ID {
		t.Error("old number no longer finds the customer")
	}
	if found, _ := s.LookupPhone("13800000000"); len(found) != 0 {
		t.Errorf("imported number still finds %+v", found)
	}
	out, _ := s.Outbox(100)
	if len(out) != 1 || out[0].ID != c.ID {
		t.Errorf("outbox after rollback = %+v", out)
	}
	// The store takes a new import afterwards.
	restore := store.SetImportBatches(10, 20, nil)
	defer restore()
	if _, err := s.ImportCSV(strings.NewReader("name,phones\n新,13600136000\n"), "again.csv", t0); err != nil {
		t.Errorf("import after rollback: %v", err)
	}
}

func TestImportCSV_CrashRecoveredOnOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "desk.db")
	s := storetest.OpenPath(t, path)
	c := put(t, s, agent.Customer{Name: "张伟", Phones: []string{"13900139000"}})
	restore := store.SetImportBatches(10, 20, func(batch int) error {
		if batch == 3 {
			panic("process dies")
		}
		return nil
	})
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("hook did not run")
			}
		}()
		importString(t, s, manyRows(35, c.ID))
	}()
	restore()
	if n, _ := s.CountCustomers(); n <= 1 {
		t.Fatalf("the simulated crash left %d customers; the test needs a partial import", n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = storetest.OpenPath(t, path)
	assertUntouched(t, s, c)
}

func TestImportCSV_ManyBatches(t *testing.T) {
	s := storetest.Open(t)
	defer store.SetImportBatches(7, 11, nil)()
	res, err := importString(t, s, manyRows(100, ""))
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 100 {
		t.Errorf("created %d, want 100", res.Created)
	}
	mustCount(t, s, 100)
	for i := range 100 {
		if got := lookup1(t, s, fmt.Sprintf("1380000%04d", i)); got.Name != fmt.Sprintf("客户%d", i) {
			t.Errorf("number %d finds %q", i, got.Name)
		}
	}
	out, _ := s.Outbox(1000)
	if len(out) != 100 {
		t.Errorf("outbox has %d entries, want 100", len(out))
	}
}

func ExampleStore_ImportCSV() {
	dir := exampleDir()
	defer os.RemoveAll(dir)
	s, err := store.Open(filepath.Join(dir, "desk.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	csv := "姓名,姓,称谓,电话,会员\n张伟,张,先生,138-0013-8000,是\n李娜,李,女士,abc,否\n"
	_, err = s.ImportCSV(strings.NewReader(csv), "客户.csv", t0)
	fmt.Println(err)
	csv = "姓名,姓,称谓,电话,会员\n张伟,张,先生,138-0013-8000,是\n"
	res, _ := s.ImportCSV(strings.NewReader(csv), "客户.csv", t0)
	fmt.Println(res.Created)
	found, _ := s.LookupPhone("+86 138 0013 8000")
	fmt.Println(found[0].Surname+string(found[0].Title), found[0].Phones)
	// Output:
	// 客户.csv:3: not a phone number: "abc" has 'a'
	// 1
	// 张先生 [+8613800138000]
}

func exampleDir() string {
	dir, err := os.MkdirTemp("", "agentdesk-example-")
	if err != nil {
		panic(err)
	}
	return dir
}

func TestImportCSV_OneAtATime(t *testing.T) {
	s := storetest.Open(t)
	var inner error
	defer store.SetImportBatches(10, 20, func(batch int) error {
		if batch == 1 { // the first import is half-way: a second one must wait its turn
			_, inner = s.ImportCSV(strings.NewReader("name,phones\n并发,13600136000\n"), "second.csv", t0)
		}
		return nil
	})()
	if _, err := importString(t, s, manyRows(35, "")); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(inner, store.ErrImportInProgress) {
		t.Errorf("second import during the first: %v, want ErrImportInProgress", inner)
	}
	mustCount(t, s, 35)
}

// An import's outbox entries carry no body on disk; Outbox fills in the
// record as it is when read, or reports it deleted.
func TestImportCSV_OutboxFilledOnRead(t *testing.T) {
	s := storetest.Open(t)
	if _, err := importString(t, s, "name,phones\n张伟,13800138000\n王芳,13900139000\n"); err != nil {
		t.Fatal(err)
	}
	zhang := lookup1(t, s, "13800138000")
	zhang.Notes = "改过"
	if err := s.PutCustomer(&zhang, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	wang := lookup1(t, s, "13900139000")
	if err := s.DeleteCustomer(wang.ID, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	out, err := s.Outbox(10)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 4 {
		t.Fatalf("outbox has %d entries, want 4: %+v", len(out), out)
	}
	first := map[string]store.OutboxEntry{out[0].ID: out[0], out[1].ID: out[1]}
	if e := first[zhang.ID]; e.Deleted || e.Version != 2 || !strings.Contains(string(e.Body), "改过") {
		t.Errorf("import entry of the edited customer = %+v (%s), want its current version 2", e, e.Body)
	}
	if e := first[wang.ID]; !e.Deleted || len(e.Body) != 0 {
		t.Errorf("import entry of the deleted customer = %+v, want a tombstone", e)
	}
	if out[2].ID != zhang.ID || out[2].Version != 2 || out[3].ID != wang.ID || !out[3].Deleted || out[3].Version != 2 {
		t.Errorf("later entries = %+v, %+v", out[2], out[3])
	}
}
