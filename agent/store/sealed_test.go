package store_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/store"
	"agentdesk/agent/store/seal"
	"agentdesk/agent/store/storetest"

	bolt "go.etcd.io/bbolt"
)

// fastKDF keeps agent slots cheap in tests; the cost is stored per slot.
var fastKDF = seal.KDF{Time: 1, MemoryKiB: 64, Threads: 1}

func agentKey(id, pin string) seal.Agent {
	return seal.Agent{ID: id, Secret: seal.Secret(pin), KDF: fastKDF}
}

var hubKey = seal.Hub{KeyID: "hub-1", Key: bytes.Repeat([]byte{7}, seal.KeySize)}

func openWith(t *testing.T, path string, opts ...store.Option) *store.Store {
	t.Helper()
	s, err := store.Open(path, append([]store.Option{quiet()}, opts...)...)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	return s
}

// leakCSV is imported by the leak tests: names, numbers in several
// spellings (the E.164 form and the digits are scanned for as well),
// addresses and notes.
const leakCSV = "姓名,姓,称谓,电话,会员,等级,地址,地区,标签,备注\n" +
	"张伟民,张,先生,138-0013-8000;(010) 8765-4321,是,金卡,北京市朝阳区建国路八十八号,北京,vip,常打电话问售后\n" +
	"李秀英,李,女士,+86 139 0013 9000,是,,上海市浦东新区世纪大道一百号,上海,,喜欢短信联系\n" +
	"Margaret Thornbury,Thornbury,Ms,0086 137 0013 7000|0755-2345 6789,否,,Shenzhen Futian Road 12,深圳,,prefers email\n" +
	"欧阳娜娜,欧阳,女士,１３６００１３６０００,否,,广州市天河区体育西路一号,广州,,\n"

// leakNeedles are the texts that must not appear in a sealed file.
var leakNeedles = []string{
	"张伟民", "李秀英", "Margaret Thornbury", "Thornbury", "欧阳娜娜",
	"138-0013-8000", "13800138000", "+8613800138000", "(010) 8765-4321", "8765-4321", "87654321", "+861087654321", "01087654321",
	"+86 139 0013 9000", "13900139000", "+8613900139000",
	"0086 137 0013 7000", "13700137000", "+8613700137000", "0755-2345 6789", "23456789", "+8675523456789",
	"１３６００１３６０００", "13600136000", "+8613600136000",
	"北京市朝阳区建国路八十八号", "上海市浦东新区世纪大道一百号", "Shenzhen Futian Road", "广州市天河区体育西路一号",
	"常打电话问售后", "喜欢短信联系", "prefers email",
	// Complaint, callback and call texts written by fillLeakRecords.
	"我买的热水器装好第二天就漏水了", "热水器漏水", "厨房地板泡坏了", "订单 SO-20260501", "赔偿地板损失",
	"师傅已上门更换了密封圈", "安排师傅上门更换密封圈", "客户很满意服务态度", "下次请提前电话预约",
}

// fillLeakRecords imports leakCSV and writes a complaint through every
// step, a call, callbacks with notes, an alert, an edit and a deletion.
func fillLeakRecords(t *testing.T, s *store.Store) {
	t.Helper()
	at := time.Date(2026, 5, 6, 9, 0, 0, 0, time.UTC)
	if _, err := s.ImportCSV(strings.NewReader(leakCSV), "leak.csv", at); err != nil {
		t.Fatal(err)
	}
	zhang := lookup1(t, s, "13800138000")
	li := lookup1(t, s, "13900139000")
	c, err := agent.NewComplaint(zhang.ID, "8001", agent.ChannelPhone, at)
	if err != nil {
		t.Fatal(err)
	}
	c.ID = agent.NewID()
	steps := []error{
		c.Listen("我买的热水器装好第二天就漏水了，厨房地板泡坏了", at),
		c.Ask(agent.Facts{What: "热水器漏水", When: "昨天晚上", Where: "厨房地板泡坏了", Subject: "订单 SO-20260501", Wants: "赔偿地板损失"}, true, at),
	}
	alert, err := c.Follow(agent.FollowInput{Severity: agent.SeverityMajor}, at, agent.DefaultReplyPolicy())
	steps = append(steps, err)
	for _, err := range steps {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutComplaint(c, at, alert); err != nil {
		t.Fatal(err)
	}
	if err := c.Reply(agent.ReplyInput{How: "电话", Said: "师傅已上门更换了密封圈", Accepted: true}, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := c.Record("热水器漏水", "安排师傅上门更换密封圈", "已修好", at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutComplaint(c, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	call := &agent.Call{At: at, Number: "138-0013-8000", CustomerID: zhang.ID, Agent: "8001", Direction: agent.Inbound,
		RingSeconds: 3, Answered: true, Result: "热水器漏水"}
	if err := s.PutCall(call, at); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCall(&agent.Call{At: at, Number: "0755-2345 6789", Agent: "8001", Direction: agent.Inbound}, at); err != nil {
		t.Fatal(err)
	}
	yes := true
	cb := &agent.Callback{CustomerID: li.ID, Agent: "8002", Purpose: "回访", Due: at}
	if err := s.PutCallback(cb, at); err != nil {
		t.Fatal(err)
	}
	if err := cb.Record(agent.CallbackOutcome{At: at, Reached: &yes, Satisfied: &yes, Suggestions: "下次请提前电话预约",
		NoNextContact: true, Note: "客户很满意服务态度"}, agent.QuietHours{Zone: time.UTC}, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCallback(cb, at); err != nil {
		t.Fatal(err)
	}
	// An edit (the old version goes to the outbox too) and a tombstone.
	ou := lookup1(t, s, "13600136000")
	ou.Notes = "喜欢短信联系"
	if err := s.PutCustomer(&ou, at); err != nil {
		t.Fatal(err)
	}
	m := lookup1(t, s, "13700137000")
	if err := s.DeleteCustomer(m.ID, at); err != nil {
		t.Fatal(err)
	}
}

// scan returns the needles found in data.
func scan(data []byte) []string {
	var found []string
	for _, n := range leakNeedles {
		if bytes.Contains(data, []byte(n)) {
			found = append(found, n)
		}
	}
	return found
}

func fileAndBackup(t *testing.T, s *store.Store) (file, backup []byte) {
	t.Helper()
	var b bytes.Buffer
	if _, err := s.Backup(&b); err != nil {
		t.Fatal(err)
	}
	path := s.Path()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return raw, b.Bytes()
}

// TestSealed_NoPlaintextInFileOrBackup imports customers and writes
// complaints, calls, callbacks and alerts, then scans the raw bytes of the
// data file and of a backup for every name, number (as the CSV spelled
// it, its digits, E.164), address, note and complaint text: in a sealed
// file none is found, whether it was sealed from the start or sealed from a
// plain file. The same records in a plain file show them (the scan works).
func TestSealed_NoPlaintextInFileOrBackup(t *testing.T) {
	dir := t.TempDir()

	plain := openWith(t, filepath.Join(dir, "plain.db"))
	fillLeakRecords(t, plain)
	pf, pb := fileAndBackup(t, plain)
	for _, data := range [][]byte{pf, pb} {
		if found := scan(data); len(found) < 20 {
			t.Fatalf("the plain file shows only %d of the texts (%q): the scan would prove nothing", len(found), found)
		}
	}

	fresh := openWith(t, filepath.Join(dir, "sealed.db"), store.WithUnlock(seal.Any(agentKey("8001", "2468"), hubKey)))
	fillLeakRecords(t, fresh)
	if !fresh.Sealed() {
		t.Fatal("store opened WithUnlock is not sealed")
	}
	sf, sb := fileAndBackup(t, fresh)

	migrated := openWith(t, filepath.Join(dir, "plain.db"), store.WithUnlock(hubKey))
	if n, _ := migrated.CountCustomers(); n != 3 {
		t.Fatalf("the sealed copy of the plain file holds %d customers, want 3", n)
	}
	mf, mb := fileAndBackup(t, migrated)

	for name, data := range map[string][]byte{"sealed file": sf, "its backup": sb, "sealed plain file": mf, "its backup ": mb} {
		if found := scan(data); len(found) > 0 {
			t.Errorf("%s shows %q", name, found)
		}
	}
}

func TestOpen_SealedFileNeedsItsKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "desk.db")
	s := openWith(t, path, store.WithUnlock(seal.Any(agentKey("8001", "2468"), hubKey)))
	c := put(t, s, agent.Customer{Name: "张伟", Phones: []string{"13800138000"}})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		opts    []store.Option
		want    []error
		notWant error
	}{
		{"no key", nil, []error{store.ErrSealed}, store.ErrWrongSecret},
		{"wrong PIN", []store.Option{store.WithUnlock(agentKey("8001", "1357"))}, []error{store.ErrSealed, store.ErrWrongSecret}, nil},
		{"agent never signed in here", []store.Option{store.WithUnlock(agentKey("8009", "2468"))}, []error{store.ErrSealed, seal.ErrNoSlot}, store.ErrWrongSecret},
		{"wrong hub key", []store.Option{store.WithUnlock(seal.Hub{KeyID: "hub-1", Key: make([]byte, 32)})}, []error{store.ErrSealed, store.ErrWrongSecret}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := store.Open(path, append([]store.Option{quiet()}, tt.opts...)...)
			if err == nil {
				s.Close()
				t.Fatal("opened")
			}
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("error %v does not wrap %v", err, w)
				}
			}
			if tt.notWant != nil && errors.Is(err, tt.notWant) {
				t.Errorf("error %v wraps %v", err, tt.notWant)
			}
		})
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("refused opens changed the file")
	}
	for _, u := range []seal.Unlocker{agentKey("8001", "2468"), hubKey} {
		s := openWith(t, path, store.WithUnlock(u))
		if got, err := s.Customer(c.ID); err != nil || got.Name != "张伟" {
			t.Errorf("open with %v: customer %+v, %v", u, got, err)
		}
		s.Close()
	}
}

func TestOpen_PlainStaysPlain(t *testing.T) {
	if storetest.Sealed() {
		t.Skip("the sealed run opens sealed")
	}
	s := storetest.Open(t)
	if s.Sealed() {
		t.Fatal("a store opened without a key is sealed")
	}
	if err := s.AddSlot(hubKey); !errors.Is(err, store.ErrNotSealed) {
		t.Errorf("AddSlot on a plain file: %v", err)
	}
	if _, err := s.Slots(); !errors.Is(err, store.ErrNotSealed) {
		t.Errorf("Slots on a plain file: %v", err)
	}
}

func TestSlots_AddRemoveCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "desk.db")
	s := openWith(t, path, store.WithUnlock(hubKey))
	now := time.Date(2026, 5, 6, 9, 0, 0, 0, time.UTC)
	// The sign-in adds the agent's slot at an online sign-in, with a life.
	a := agentKey("8001", "2468")
	a.NotAfter = now.Add(72 * time.Hour)
	if err := s.AddSlot(a); err != nil {
		t.Fatal(err)
	}
	slots, err := s.Slots()
	if err != nil || len(slots) != 2 {
		t.Fatalf("Slots = %+v, %v", slots, err)
	}
	if err := s.CheckUnlock(seal.Agent{ID: "8001", Secret: "2468", Now: now}); err != nil {
		t.Errorf("CheckUnlock with the PIN: %v", err)
	}
	if err := s.CheckUnlock(seal.Agent{ID: "8001", Secret: "0000", Now: now}); !errors.Is(err, store.ErrWrongSecret) {
		t.Errorf("CheckUnlock with a wrong PIN: %v", err)
	}
	if err := s.CheckUnlock(seal.Agent{ID: "8001", Secret: "2468", Now: now.Add(73 * time.Hour)}); !errors.Is(err, seal.ErrExpired) {
		t.Errorf("CheckUnlock after the slot's life: %v", err)
	}
	// A slot of the same agent replaces the old one (a new PIN).
	if err := s.AddSlot(agentKey("8001", "9999")); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckUnlock(seal.Agent{ID: "8001", Secret: "2468", Now: now}); !errors.Is(err, store.ErrWrongSecret) {
		t.Errorf("old PIN after the change: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openWith(t, path, store.WithUnlock(agentKey("8001", "9999")))
	if err := s.RemoveSlot(seal.KindHub, "hub-1"); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveSlot(seal.KindHub, "hub-1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("removing a missing slot: %v", err)
	}
	if err := s.RemoveSlot(seal.KindAgent, "8001"); !errors.Is(err, store.ErrLastSlot) {
		t.Errorf("removing the last slot: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Open(path, quiet(), store.WithUnlock(hubKey)); !errors.Is(err, seal.ErrNoSlot) {
		t.Errorf("open with a removed slot: %v", err)
	}
}

// TestBackup_SealedCarriesSlots: a backup of a sealed store is sealed and
// opens elsewhere with the hub's key (a new PC), not without it.
func TestBackup_SealedCarriesSlots(t *testing.T) {
	dir := t.TempDir()
	s := openWith(t, filepath.Join(dir, "desk.db"), store.WithUnlock(seal.Any(agentKey("8001", "2468"), hubKey)))
	c := put(t, s, agent.Customer{Name: "张伟", Phones: []string{"13800138000"}})
	backup := filepath.Join(dir, "elsewhere", "copy.db")
	if err := os.MkdirAll(filepath.Dir(backup), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := s.BackupTo(backup); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := store.Open(backup, quiet()); !errors.Is(err, store.ErrSealed) {
		t.Fatalf("backup opened without a key: %v", err)
	}
	b := openWith(t, backup, store.WithUnlock(hubKey))
	defer b.Close()
	if got := lookup1(t, b, "138 0013 8000"); got.ID != c.ID {
		t.Errorf("backup finds %+v", got)
	}
}

// TestSealed_ValueMovedToAnotherRecordRefused: someone with the file copies
// one customer's sealed value over another's; reading it fails instead of
// showing the wrong customer.
func TestSealed_ValueMovedToAnotherRecordRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "desk.db")
	s := openWith(t, path, store.WithUnlock(hubKey))
	a := put(t, s, agent.Customer{Name: "甲", Phones: []string{"13800138000"}})
	b := put(t, s, agent.Customer{Name: "乙", Phones: []string{"13900139000"}})
	s.Close()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket([]byte(agent.KindCustomer))
		return bk.Put([]byte(b.ID), bytes.Clone(bk.Get([]byte(a.ID))))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s = openWith(t, path, store.WithUnlock(hubKey))
	defer s.Close()
	if got, err := s.Customer(b.ID); !errors.Is(err, seal.ErrCorrupt) {
		t.Errorf("moved value read as %+v, %v; want ErrCorrupt", got, err)
	}
	if _, err := s.LookupPhone("13800138000"); err != nil {
		t.Errorf("the untouched customer: %v", err)
	}
}

// snapshot is everything a store holds, through its API.
type snapshot struct {
	Desk       string
	Customers  []agent.Customer
	Lookups    map[string][]string
	Complaints []agent.Complaint
	Summaries  []store.CaseSummary
	Calls      []agent.Call
	Callbacks  []agent.Callback
	Alerts     []agent.Alert
	Outbox     []store.OutboxEntry
	Cursor     int64
}

func snap(t *testing.T, s *store.Store) snapshot {
	t.Helper()
	var sn snapshot
	var err error
	sn.Desk = s.DeskID()
	if sn.Customers, err = s.SearchCustomers("+861", 1_000_000); err != nil {
		t.Fatal(err)
	}
	// In ID order: the snapshot compares sets.
	slices.SortFunc(sn.Customers, func(a, b agent.Customer) int { return strings.Compare(a.ID, b.ID) })
	sn.Lookups = map[string][]string{}
	for _, n := range []string{"13800138000", "13900139000", "13700137000", "01088887777"} {
		cs, err := s.LookupPhone(n)
		if err != nil {
			t.Fatal(err)
		}
		sn.Lookups[n] = ids(cs)
	}
	if sn.Complaints, err = s.Complaints(store.ComplaintFilter{}); err != nil {
		t.Fatal(err)
	}
	if sn.Summaries, err = s.ComplaintSummaries(store.ComplaintFilter{}); err != nil {
		t.Fatal(err)
	}
	if sn.Calls, err = s.Calls(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if sn.Callbacks, err = s.Callbacks(store.CallbackFilter{}); err != nil {
		t.Fatal(err)
	}
	if sn.Alerts, err = s.Alerts(time.Time{}); err != nil {
		t.Fatal(err)
	}
	if sn.Outbox, err = s.Outbox(10_000); err != nil {
		t.Fatal(err)
	}
	if sn.Cursor, err = s.SyncCursor("customers"); err != nil {
		t.Fatal(err)
	}
	return sn
}

// fixtureCopy copies testdata/schema1.db, a file written by the schema-1
// code (agentdesk 1435d2c; testdata/schema1_gen.go.txt made it), to a
// temporary path.
func fixtureCopy(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "schema1.db"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "desk.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSchema1_MigratesAndSeals opens a file written by the schema-1 code:
// plain, it is migrated to schema 2 with every index built from its
// records; opened with a key, it is migrated and sealed, and holds exactly
// what the plain migration holds.
func TestSchema1_MigratesAndSeals(t *testing.T) {
	plain := storetest.OpenPath(t, fixtureCopy(t), store.WithLogger(slog.New(slog.DiscardHandler)))
	if storetest.Sealed() != plain.Sealed() {
		t.Fatalf("Sealed() = %v in a run where storetest seals = %v", plain.Sealed(), storetest.Sealed())
	}
	if v, err := plain.Schema(); err != nil || v != store.SchemaVersion {
		t.Fatalf("schema after open = %d, %v", v, err)
	}
	if err := plain.CheckIndexes(); err != nil {
		t.Fatalf("indexes after the migration: %v", err)
	}
	want := snap(t, plain)
	if len(want.Customers) != 3 || len(want.Complaints) != 4 || len(want.Calls) != 3 || len(want.Callbacks) != 3 ||
		len(want.Alerts) != 1 || len(want.Outbox) == 0 || want.Cursor != 42 || len(want.Lookups["13800138000"]) != 2 {
		t.Fatalf("the fixture holds %d customers, %d complaints, %d calls, %d callbacks, %d alerts, %d outbox entries, cursor %d, lookups %v",
			len(want.Customers), len(want.Complaints), len(want.Calls), len(want.Callbacks), len(want.Alerts), len(want.Outbox), want.Cursor, want.Lookups)
	}
	// The new indexes answer what the records say.
	loc, _ := time.LoadLocation("Asia/Shanghai")
	from, to := agent.Day{Year: 2026, Month: 5, Day: 6}.Bounds(loc)
	day, err := plain.ComplaintsBetween(from, to)
	if err != nil {
		t.Fatal(err)
	}
	if len(day) != 3 { // opened that day (2), and the one replied and closed that day
		t.Errorf("cases with events on 2026-05-06: %d, want 3", len(day))
	}
	cbs, err := plain.CallbacksBetween(from, to)
	if err != nil || len(cbs) != 2 {
		t.Errorf("callbacks with a try or outcome that day: %d, %v; want 2", len(cbs), err)
	}
	of8001, err := plain.ComplaintSummaries(store.ComplaintFilter{Owner: "8001"})
	if err != nil || len(of8001) != 2 {
		t.Errorf("cases of 8001: %+v, %v", of8001, err)
	}

	sealedPath := fixtureCopy(t)
	sealed := openWith(t, sealedPath, store.WithUnlock(hubKey))
	defer sealed.Close()
	if !sealed.Sealed() {
		t.Fatal("opened with a key but not sealed")
	}
	if err := sealed.CheckIndexes(); err != nil {
		t.Fatalf("indexes of the sealed copy: %v", err)
	}
	got := snap(t, sealed)
	gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
	for i := range gv.NumField() {
		if !reflect.DeepEqual(gv.Field(i).Interface(), wv.Field(i).Interface()) {
			t.Errorf("the sealed copy's %s differ from the plain migration's:\n got %+v\nwant %+v",
				gv.Type().Field(i).Name, gv.Field(i).Interface(), wv.Field(i).Interface())
		}
	}
}

// TestSeal_LeavesNoCopyBehind: a copy a killed sealing left beside the file
// is removed by the next open; the file is as it was.
func TestSeal_LeavesNoCopyBehind(t *testing.T) {
	path := fixtureCopy(t)
	stale := filepath.Join(filepath.Dir(path), ".desk.db.sealing-0123456789abcdef")
	if err := os.WriteFile(stale, []byte("half a file"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := openWith(t, path, store.WithUnlock(hubKey))
	defer s.Close()
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*"))
	if len(left) != 0 {
		t.Errorf("files left beside the data file: %v", left)
	}
}

// TestSeal_WaiterReopensTheSealedFile: two desks start on one plain file
// with a key; the first to get the lock seals it (a new file renamed over
// the old), the other, which was waiting for the old file's lock, opens the
// new one instead of writing into the replaced file.
func TestSeal_WaiterReopensTheSealedFile(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("waits for the openers through /proc/self/fd")
	}
	path := fixtureCopy(t)
	holder := openWith(t, path)
	var logs [2]syncBuffer
	type opened struct {
		i int
		s *store.Store
		e error
	}
	results := make(chan opened, 2)
	for i := range 2 {
		go func() {
			s, err := store.Open(path, store.WithUnlock(hubKey), store.WithLockTimeout(20*time.Second),
				store.WithLogger(slog.New(slog.NewTextHandler(&logs[i], &slog.HandlerOptions{Level: slog.LevelDebug}))))
			results <- opened{i, s, err}
		}()
	}
	// Both have the old file open and wait for its lock.
	deadline := time.Now().Add(10 * time.Second)
	for openFDs(t, path) < 3 {
		if time.Now().After(deadline) {
			t.Fatal("the two openers did not open the file in 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	holder.Close()
	first := <-results
	if first.e != nil {
		t.Fatal(first.e)
	}
	c := put(t, first.s, agent.Customer{Name: "先到", Phones: []string{"13500135000"}})
	first.s.Close()
	second := <-results
	if second.e != nil {
		t.Fatal(second.e)
	}
	if !second.s.Sealed() {
		t.Fatal("the waiter opened a plain file")
	}
	if got, err := second.s.Customer(c.ID); err != nil {
		t.Fatalf("the waiter does not see the first's customer: %v", err)
	} else if got.Name != "先到" {
		t.Errorf("customer = %+v", got)
	}
	d := put(t, second.s, agent.Customer{Name: "后到", Phones: []string{"13400134000"}})
	second.s.Close()
	s := openWith(t, path, store.WithUnlock(hubKey))
	defer s.Close()
	if _, err := s.Customer(d.ID); err != nil {
		t.Errorf("the waiter's write is not in the file at the path: %v", err)
	}
	if !strings.Contains(logs[second.i].String(), "replaced") {
		t.Errorf("the waiter did not notice the replaced file:\n%s", logs[second.i].String())
	}
}

// openFDs counts this process's open descriptors of path.
func openFDs(t *testing.T, path string) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && target == path {
			n++
		}
	}
	return n
}

// syncBuffer is a bytes.Buffer safe for a logger and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestSealed_OutboxBodiesOpen: the outbox of a sealed file gives the
// records' JSON back in the clear to the sync (import entries filled from
// the sealed record).
func TestSealed_OutboxBodiesOpen(t *testing.T) {
	s := openWith(t, filepath.Join(t.TempDir(), "desk.db"), store.WithUnlock(hubKey))
	defer s.Close()
	if _, err := importString(t, s, "name,phones\n张伟,13800138000\n"); err != nil {
		t.Fatal(err)
	}
	c := put(t, s, agent.Customer{Name: "李娜", Phones: []string{"13900139000"}})
	out, err := s.Outbox(10)
	if err != nil || len(out) != 2 {
		t.Fatalf("outbox = %d, %v", len(out), err)
	}
	for i, name := range []string{"张伟", "李娜"} {
		var got agent.Customer
		if err := json.Unmarshal(out[i].Body, &got); err != nil || got.Name != name {
			t.Errorf("entry %d body %s: %v", i, out[i].Body, err)
		}
	}
	if out[1].ID != c.ID {
		t.Errorf("entry 1 is %s, want %s", out[1].ID, c.ID)
	}
}

func TestPeekDeskID_PlainSealedAndNew(t *testing.T) {
	dir := t.TempDir()
	fresh := filepath.Join(dir, "new", "desk.db")
	id, err := store.PeekDeskID(fresh)
	if err != nil || id == "" {
		t.Fatalf("new file: %q, %v", id, err)
	}
	s, err := store.Open(fresh, store.WithUnlock(seal.Hub{KeyID: "k", Key: bytes.Repeat([]byte{7}, seal.KeySize)}))
	if err != nil {
		t.Fatal(err)
	}
	if !s.Sealed() || s.DeskID() != id {
		t.Fatalf("sealed %v, desk %q want %q", s.Sealed(), s.DeskID(), id)
	}
	if _, err := store.PeekDeskID(fresh, store.WithLockTimeout(50*time.Millisecond)); !errors.Is(err, store.ErrLocked) {
		t.Errorf("peek while open: %v, want store.ErrLocked", err)
	}
	s.Close()
	if got, err := store.PeekDeskID(fresh); err != nil || got != id {
		t.Errorf("sealed file: %q, %v; want %q", got, err, id)
	}
}

// A sealed file's recordings are sealed with its key: the file on disk
// holds no audio in the clear, reads back whole, and a sealed recording
// renamed (moved onto another call's name) or from another data file is
// refused.
func TestRecordingFile_SealedAndRead(t *testing.T) {
	dir := t.TempDir()
	key := bytes.Repeat([]byte{9}, seal.KeySize)
	s, err := store.Open(filepath.Join(dir, "desk.db"), store.WithUnlock(seal.Hub{KeyID: "k", Key: key}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	wav := append([]byte("RIFF....WAVE"), bytes.Repeat([]byte("客户的声音"), 200)...)
	plain := filepath.Join(dir, "call-a.wav")
	if err := os.WriteFile(plain, wav, 0o600); err != nil {
		t.Fatal(err)
	}
	sealed, err := s.SealRecordingFile(plain)
	if err != nil || sealed != plain+store.SealedExt {
		t.Fatalf("seal: %q, %v", sealed, err)
	}
	raw, _ := os.ReadFile(sealed)
	if bytes.Contains(raw, []byte("客户的声音")) || bytes.Contains(raw, []byte("RIFF")) {
		t.Error("the sealed recording holds audio in the clear")
	}
	if _, err := os.Stat(plain); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the plain recording stays: %v", err)
	}
	if fi, _ := os.Stat(sealed); fi.Mode().Perm() != 0o600 {
		t.Errorf("sealed recording mode %v", fi.Mode().Perm())
	}
	got, err := s.ReadRecordingFile(sealed)
	if err != nil || !bytes.Equal(got, wav) {
		t.Fatalf("read back: %d bytes, %v", len(got), err)
	}
	moved := filepath.Join(dir, "call-b.wav"+store.SealedExt)
	if err := os.Rename(sealed, moved); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReadRecordingFile(moved); !errors.Is(err, seal.ErrCorrupt) {
		t.Errorf("a recording under another call's name: %v, want ErrCorrupt", err)
	}
	other, err := store.Open(filepath.Join(t.TempDir(), "desk.db"), store.WithUnlock(seal.Hub{KeyID: "k", Key: key}))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := os.Rename(moved, sealed); err != nil {
		t.Fatal(err)
	}
	if _, err := other.ReadRecordingFile(sealed); !errors.Is(err, seal.ErrCorrupt) {
		t.Errorf("another data file's recording: %v, want ErrCorrupt", err)
	}
}
