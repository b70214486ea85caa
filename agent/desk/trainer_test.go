package desk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/store"
	"agentdesk/agent/store/storetest"
	"agentdesk/scripts"
)

func defaultText(t testing.TB, lang string) string {
	t.Helper()
	b, err := scripts.DefaultPackFile(lang)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func defaultForm(t testing.TB, lang string) *PackForm {
	t.Helper()
	f, probs := ReadPackForm(defaultText(t, lang))
	if probs != nil {
		t.Fatalf("%s: %v", lang, probs)
	}
	return f
}

// Every line of every default pack renders for every kind of caller, with
// no template syntax left, in sections the editor shows.
func TestRenderPackPreview_EveryLine(t *testing.T) {
	for _, lang := range scripts.Langs() {
		for _, kind := range CallerKinds() {
			req := PreviewRequest{Date: Date{Year: 2026, Month: time.October, Day: 1}, Hour: 9, Caller: kind}
			pv := RenderPackPreview(defaultText(t, lang), req, "", "")
			if !pv.Valid() {
				t.Fatalf("%s: %v", lang, pv.Problems)
			}
			ids := []string{}
			lines := 0
			for _, s := range pv.Sections {
				ids = append(ids, s.ID)
				if len(s.Lines) == 0 {
					t.Errorf("%s %v: section %s is empty", lang, kind, s.ID)
				}
				for _, l := range s.Lines {
					lines++
					if strings.Contains(l.Text, "{{") || l.Text == "" || l.Path == "" {
						t.Errorf("%s %v: %s renders %q", lang, kind, l.Path, l.Text)
					}
					if l.Label == "" && l.Kind == "" {
						t.Errorf("%s %v: %s has neither label nor kind", lang, kind, l.Path)
					}
				}
			}
			if got := strings.Join(ids, ","); got != "opening,holidays,phrases,complaint,closing,callback" {
				t.Errorf("sections = %s", got)
			}
			if lines < 30 {
				t.Errorf("%s: only %d lines previewed", lang, lines)
			}
			if pv.At.Hour() != 9 || pv.At.Location().String() != pv.Zone || pv.Year != 2026 || len(pv.Days) != 365 {
				t.Errorf("%s: at %v zone %s year %d days %d", lang, pv.At, pv.Zone, pv.Year, len(pv.Days))
			}
		}
	}
}

// The opening at the instant: 国庆 on 10-01 in zh-Hans, an ordinary morning
// in zh-Hant (Taiwan's 國慶日 is 10-10); silent and outbound win over it.
func TestRenderPackPreview_Opening(t *testing.T) {
	oct1 := Date{Year: 2026, Month: time.October, Day: 1}
	tests := []struct {
		name, lang string
		req        PreviewRequest
		kind, text string
		holiday    string
	}{
		{"national day", "zh-Hans", PreviewRequest{Date: oct1, Hour: 9}, "national_day", "国庆节快乐！XX客服中心，请问有什么可以帮您！", "national_day"},
		{"taiwan ordinary day", "zh-Hant", PreviewRequest{Date: oct1, Hour: 9}, "standard", "早安！XX歡迎您的來電，請問有什麼可以為您服務？", ""},
		{"silent on a holiday", "zh-Hans", PreviewRequest{Date: oct1, Hour: 15, Silent: true}, "silent", "您好，XX客服中心，欢迎您的来电。", "national_day"},
		{"outbound, anonymous", "zh-Hans", PreviewRequest{Date: oct1, Hour: 15, Outbound: true, Caller: CallerAnonymous}, "outbound",
			"您好，我姓李，是XX客服中心打来的，感谢您对我公司的支持和信任，来电与您核对您的资料。", "national_day"},
		{"en afternoon", "en", PreviewRequest{Date: Date{Year: 2026, Month: time.November, Day: 23}, Hour: 15}, "standard", "Hello! Welcome to XX, how may I help you?", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pv := RenderPackPreview(defaultText(t, tt.lang), tt.req, "", "")
			if pv.OpeningKind != tt.kind || pv.Opening.Text != tt.text || !pv.Opening.Chosen {
				t.Errorf("opening = %s %q, want %s %q", pv.OpeningKind, pv.Opening.Text, tt.kind, tt.text)
			}
			got := ""
			if pv.Holiday != nil {
				got = pv.Holiday.ID
			}
			if got != tt.holiday {
				t.Errorf("holiday = %q, want %q", got, tt.holiday)
			}
			chosen := 0
			for _, l := range pv.Sections[0].Lines {
				if l.Chosen {
					chosen++
				}
			}
			want := 1 // one of the four openings, unless a holiday greeting replaces them
			if pv.HolidayIndex(tt.kind) >= 0 {
				want = 0
			}
			if chosen != want {
				t.Errorf("%d opening lines chosen, want %d", chosen, want)
			}
		})
	}
}

// The desk's agent name fills the agent's variables in place of the example.
func TestDesk_PreviewPack_UsesTheAgent(t *testing.T) {
	day := Date{Year: 2026, Month: time.March, Day: 2}
	req := PreviewRequest{Date: day, Hour: 15, Outbound: true}
	if pv := RenderPackPreview(defaultText(t, "zh-Hans"), req, "", ""); !strings.Contains(pv.Opening.Text, "我姓李") {
		t.Errorf("with the example agent (李娜): %q", pv.Opening.Text)
	}
	packs, err := LoadPacks(Config{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := New(Options{Store: storetest.Open(t), Packs: packs.Packs, Config: Config{AgentName: "张伟", AgentNumber: "2048"},
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if pv := d.PreviewPack(defaultText(t, "zh-Hans"), req); !strings.Contains(pv.Opening.Text, "我姓张") {
		t.Errorf("with the desk's agent: %q", pv.Opening.Text)
	}
}

// The editor's calendar agrees with greet (the desk's packs as LoadPacks
// finds them, and Opening) for every day of 2026–2030 in all three packs.
func TestRenderPackPreview_CalendarAgreesWithGreet(t *testing.T) {
	packs, err := LoadPacks(Config{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range scripts.Langs() {
		p := packs.Packs[lang]
		text := defaultText(t, lang)
		for year := 2026; year <= 2030; year++ {
			pv := RenderPackPreview(text, PreviewRequest{Date: Date{Year: year, Month: time.January, Day: 1}, Hour: 12}, "", "")
			if len(pv.Days) < 365 {
				t.Fatalf("%s %d: %d days", lang, year, len(pv.Days))
			}
			holidays := 0
			for _, d := range pv.Days {
				at := time.Date(d.Date.Year, d.Date.Month, d.Date.Day, 12, 0, 0, 0, p.TimeZone())
				_, kind := p.OpeningTemplate(scripts.Request{At: at})
				want := kind
				if kind == "standard" {
					want = ""
				}
				if d.Holiday != want {
					t.Errorf("%s %s: the calendar shows %q, greet says %q", lang, d.Date, d.Holiday, kind)
				}
				line, err := p.Opening(scripts.Request{At: at})
				if err != nil || strings.Contains(line, "{{") {
					t.Errorf("%s %s: greet = %q, %v", lang, d.Date, line, err)
				}
				if d.Holiday != "" {
					holidays++
					if pv.HolidayIndex(d.Holiday) < 0 || d.Source == "" {
						t.Errorf("%s %s: holiday %q not in the legend (source %q)", lang, d.Date, d.Holiday, d.Source)
					}
				}
			}
			if holidays < 8 {
				t.Errorf("%s %d: only %d holiday days", lang, year, holidays)
			}
		}
	}
}

// Problems come back at their fields with their codes and arguments.
func TestRenderPackPreview_ProblemsAtFields(t *testing.T) {
	f := defaultForm(t, "zh-Hans")
	f.Company = ""
	f.Calendar = append(f.Calendar, FormRange{Holiday: "national_day", From: "2026-10-01", To: "2026-13-08"})
	f.Phrases[2].Say = "请稍等{{reply_hour}}"
	pv := RenderPackPreview(string(f.TOML()), PreviewRequest{}, "", "")
	if pv.Valid() || pv.Lang != "zh-Hans" {
		t.Fatalf("valid %v lang %q", pv.Valid(), pv.Lang)
	}
	for path, code := range map[string]string{"company": "required", "calendar[0].to": "bad_date", "phrases[2].say": "unknown_variable"} {
		ps := pv.ProblemsAt(path)
		if len(ps) != 1 || ps[0].Code != code || ps[0].Line == 0 || ps[0].Msg == "" {
			t.Errorf("%s: %+v, want one %s", path, ps, code)
		}
	}
	if a := pv.ProblemsAt("phrases[2].say")[0].Args; a["var"] != "reply_hour" {
		t.Errorf("args = %v", a)
	}
	if len(pv.Days) != 0 || len(pv.Sections) != 0 {
		t.Error("a pack with problems has no calendar or lines")
	}
}

func TestReadPackForm(t *testing.T) {
	f, probs := ReadPackForm(defaultText(t, "en"))
	if probs != nil || f.Lang != "en" || len(f.Phrases) == 0 {
		t.Fatalf("default en: %v", probs)
	}
	if string(f.TOML()) != defaultText(t, "en") {
		t.Error("an unchanged form does not write its text back")
	}
	for name, text := range map[string]string{
		"not toml":        "lang = \"en\"\ncompany = \n",
		"unknown setting": defaultText(t, "en") + "\n[extra]\nfoo = 1\n",
	} {
		f, probs := ReadPackForm(text)
		if f != nil || len(probs) == 0 || probs[0].Line == 0 || probs[0].Code == "" {
			t.Errorf("%s: form %v, problems %+v", name, f != nil, probs)
		}
	}
}

// A period set with the pickers replaces that year's notice of the holiday
// (keeping others), shows in the calendar, and wins over the default.
func TestSetHolidayPeriod(t *testing.T) {
	f := defaultForm(t, "zh-Hans")
	f.Calendar = []FormRange{{Holiday: "spring_festival", From: "2026-02-15", To: "2026-02-23"},
		{Holiday: "national_day", From: "2025-10-01", To: "2025-10-08"}}
	d := func(m time.Month, day int) Date { return Date{Year: 2026, Month: m, Day: day} }
	if err := SetHolidayPeriod(f, "national_day", d(time.October, 1), d(time.October, 8)); err != nil {
		t.Fatal(err)
	}
	if len(f.Calendar) != 3 {
		t.Fatalf("calendar = %+v", f.Calendar)
	}
	// Replacing 2026's keeps one entry for the year.
	if err := SetHolidayPeriod(f, "national_day", d(time.September, 30), d(time.October, 7)); err != nil {
		t.Fatal(err)
	}
	if len(f.Calendar) != 3 || f.Calendar[2].From != "2026-09-30" || f.Calendar[1].From != "2025-10-01" {
		t.Errorf("after replace: %+v", f.Calendar)
	}
	pv := RenderPackPreview(string(f.TOML()), PreviewRequest{Date: d(time.September, 30), Hour: 10}, "", "")
	if !pv.Valid() || pv.OpeningKind != "national_day" {
		t.Fatalf("30 Sept: %s %v", pv.OpeningKind, pv.Problems)
	}
	for _, day := range pv.Days {
		if day.Date == d(time.September, 30) && (day.Holiday != "national_day" || day.Source != "notice") {
			t.Errorf("calendar 09-30 = %+v", day)
		}
		if day.Date == d(time.October, 8) && day.Holiday != "" {
			t.Errorf("calendar 10-08 = %+v, want a standard day again", day)
		}
	}
	if n := RemoveHolidayPeriods(f, "national_day", 2026); n != 1 || len(f.Calendar) != 2 {
		t.Errorf("removed %d, calendar %+v", n, f.Calendar)
	}
	if err := SetHolidayPeriod(f, "national_day", d(time.October, 8), d(time.October, 1)); !errors.Is(err, ErrPeriodInverted) {
		t.Errorf("inverted: %v", err)
	}
	if err := SetHolidayPeriod(f, "dragon_boat", d(time.June, 19), d(time.June, 21)); !errors.Is(err, ErrNoSuchHoliday) {
		t.Errorf("unknown holiday: %v", err)
	}
}

// A holiday added by lunar rule shows on its solar days; removing a
// holiday takes its notices with it.
func TestAddAndRemoveHoliday(t *testing.T) {
	f := defaultForm(t, "zh-Hans")
	if err := AddHoliday(f, "dragon_boat", "端午节", "端午节快乐！{{company}}客服中心，请问有什么可以帮您！"); err != nil {
		t.Fatal(err)
	}
	f.Holidays[len(f.Holidays)-1].Lunar = "05-05"
	f.Holidays[len(f.Holidays)-1].After = 1
	pv := RenderPackPreview(string(f.TOML()), PreviewRequest{Date: Date{Year: 2026, Month: time.June, Day: 20}, Hour: 9}, "", "")
	if !pv.Valid() || pv.OpeningKind != "dragon_boat" || pv.Opening.Text != "端午节快乐！XX客服中心，请问有什么可以帮您！" {
		t.Fatalf("2026-06-20: %s %q %v", pv.OpeningKind, pv.Opening.Text, pv.Problems)
	}
	h := pv.Holidays[pv.HolidayIndex("dragon_boat")]
	// 端午 2026 is lunar 5/5 = 19 June.
	if h.Rule != "lunar 05-05 -0 +1" || len(h.Periods) != 1 || h.Periods[0].From.String() != "2026-06-19" || h.Periods[0].To.String() != "2026-06-20" || h.Builtin {
		t.Errorf("dragon boat = %+v", h)
	}
	for id, want := range map[string]error{"dragon_boat": ErrHolidayExists, "Dragon": ErrHolidayID, "": ErrHolidayID, "9th": ErrHolidayID} {
		if err := AddHoliday(f, id, "x", "y"); !errors.Is(err, want) {
			t.Errorf("AddHoliday(%q) = %v, want %v", id, err, want)
		}
	}
	if err := SetHolidayPeriod(f, "dragon_boat", Date{Year: 2027, Month: time.June, Day: 9}, Date{Year: 2027, Month: time.June, Day: 11}); err != nil {
		t.Fatal(err)
	}
	if !RemoveHoliday(f, "dragon_boat") || len(f.Calendar) != 0 || RemoveHoliday(f, "dragon_boat") {
		t.Errorf("remove: calendar %+v", f.Calendar)
	}
	// Removing a built-in holiday: its days are standard days.
	RemoveHoliday(f, "labour_day")
	pv = RenderPackPreview(string(f.TOML()), PreviewRequest{Date: Date{Year: 2026, Month: time.May, Day: 2}, Hour: 9}, "", "")
	if !pv.Valid() || pv.OpeningKind != "standard" {
		t.Errorf("2 May without 五一: %s %v", pv.OpeningKind, pv.Problems)
	}
}

func TestPackVars(t *testing.T) {
	f := defaultForm(t, "zh-Hans")
	f.Vars = append(f.Vars, FormVar{Name: "hotline", Value: "400-000-0000"})
	vars := PackVars("en", f)
	labels := map[string]string{}
	for _, v := range vars {
		labels[v.Name] = v.Label + "|" + v.From
	}
	if labels["reply_hours"] != "reply hours|complaint" || labels["hotline"] != "hotline|own" || labels["salutation"] != "caller's name|caller" {
		t.Errorf("vars = %v", labels)
	}
	if zh := PackVars("zh-Hant", nil); zh[0].Label == "" || zh[0].Description == "" {
		t.Errorf("zh-Hant vars = %+v", zh[0])
	}
}

// PackText starts the trainer on the pack the desk uses: the published
// one kept in the store, the config's file, else the embedded default.
func TestDesk_PackText(t *testing.T) {
	file := filepath.Join(t.TempDir(), "mine.toml")
	mine := strings.Replace(defaultText(t, "en"), `company = "XX"`, `company = "Mine"`, 1)
	if err := os.WriteFile(file, []byte(mine), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Pack: file}
	h := newHarness(t, time.Date(2026, 3, 2, 9, 0, 0, 0, shanghai), Options{Config: cfg})
	published := strings.Replace(defaultText(t, "zh-Hans"), `company = "XX"`, `company = "已发布物业"`, 1)
	if err := h.st.SavePack(store.StoredPack{ID: 4, Lang: "zh-Hans", Name: "pack.toml", Data: []byte(published)}); err != nil {
		t.Fatal(err)
	}
	packs, err := LoadPacks(cfg, h.st, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range scripts.Langs() {
		if err := h.d.SetPack(packs.Packs[l], packs.Info[l]); err != nil {
			t.Fatal(err)
		}
	}
	for lang, want := range map[string]struct{ path, company string }{
		"zh-Hans": {"", `company = "已发布物业"`},
		"en":      {file, `company = "Mine"`},
		"zh-Hant": {"", `company = "XX"`},
	} {
		path, text, err := h.d.PackText(lang)
		if err != nil || path != want.path || !strings.Contains(text, want.company) {
			t.Errorf("%s: path %q, %v, text has %q: %v", lang, path, err, want.company, strings.Contains(text, want.company))
		}
	}
	if _, _, err := h.d.PackText("fr"); err == nil {
		t.Error("PackText(fr) gave no error")
	}
}

// A save is atomic and validated: a bad pack leaves the old file as it was
// and no temporary file behind.
func TestDesk_SavePackFile(t *testing.T) {
	h := newHarness(t, time.Date(2026, 3, 2, 9, 0, 0, 0, shanghai), Options{})
	dir := t.TempDir()
	path := filepath.Join(dir, "pack.toml")
	good := defaultText(t, "zh-Hans")
	if err := h.d.SavePackFile(path, good); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != good {
		t.Fatalf("saved file: %v", err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", fi.Mode())
	}
	err = h.d.SavePackFile(path, strings.Replace(good, `company = "XX"`, `company = ""`, 1))
	var pe scripts.PackErrors
	if !errors.Is(err, ErrPackInvalid) || !errors.As(err, &pe) || pe[0].Path != "company" {
		t.Errorf("invalid pack: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != good {
		t.Error("an invalid pack replaced the saved one")
	}
	if err := h.d.SavePackFile(" ", good); !errors.Is(err, ErrNoPackFile) {
		t.Errorf("no name: %v", err)
	}
	if err := h.d.SavePackFile(filepath.Join(dir, "missing", "p.toml"), good); err == nil {
		t.Error("saving into a missing folder gave no error")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("files left in the folder: %v", entries)
	}
}

// fakeHub records what the desk sends; err, when set, is every review's
// and rollback's answer.
type fakeHub struct {
	published [][]byte
	sent      []string
	err       error
}

func (f *fakeHub) Publish(_ context.Context, name string, data []byte) (PackVersion, error) {
	f.published = append(f.published, data)
	return PackVersion{Version: int64(len(f.published)), State: PackPending}, nil
}
func (f *fakeHub) PackHistory(_ context.Context, lang string) ([]PackVersion, error) {
	f.sent = append(f.sent, "history "+lang)
	return []PackVersion{{Version: 2, Lang: lang, State: PackPending}, {Version: 1, Lang: lang, State: PackApproved, Live: true}}, nil
}
func (f *fakeHub) PackDiff(_ context.Context, version int64) (PackDiff, error) {
	f.sent = append(f.sent, fmt.Sprint("diff ", version))
	return PackDiff{Version: version, Live: 1, Text: "--- v1\n+++ v2\n@@ -1 +1 @@\n-a\n+b\n"}, nil
}
func (f *fakeHub) ReviewPack(_ context.Context, version int64, approve bool, reason string) (PackVersion, error) {
	f.sent = append(f.sent, fmt.Sprintf("review %d %v %s", version, approve, reason))
	if f.err != nil {
		return PackVersion{}, f.err
	}
	st := PackRejected
	if approve {
		st = PackApproved
	}
	return PackVersion{Version: version, State: st, Live: approve, Reason: reason}, nil
}
func (f *fakeHub) RollbackPack(_ context.Context, version int64, reason string) (PackVersion, error) {
	f.sent = append(f.sent, fmt.Sprintf("rollback %d %s", version, reason))
	if f.err != nil {
		return PackVersion{}, f.err
	}
	return PackVersion{Version: 9, State: PackApproved, Live: true, RollbackOf: version, Reason: reason}, nil
}
func (f *fakeHub) Checks(context.Context) []Check { return nil }

// Review and rollback go to the hub with their reasons; a rejection or a
// rollback without a reason, or any of them without a hub, sends nothing.
func TestDesk_ReviewAndRollback(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, time.Date(2026, 3, 2, 9, 0, 0, 0, shanghai), Options{})
	if _, err := h.d.PackHistory(ctx, "en"); !errors.Is(err, ErrNeedsHub) {
		t.Errorf("history without a hub: %v", err)
	}
	if _, err := h.d.PackDiff(ctx, 2); !errors.Is(err, ErrNeedsHub) {
		t.Errorf("diff without a hub: %v", err)
	}
	if _, err := h.d.ReviewPack(ctx, 2, true, ""); !errors.Is(err, ErrNeedsHub) {
		t.Errorf("review without a hub: %v", err)
	}
	if _, err := h.d.RollbackPack(ctx, 1, "x"); !errors.Is(err, ErrNeedsHub) {
		t.Errorf("rollback without a hub: %v", err)
	}

	hub := &fakeHub{}
	h = newHarness(t, time.Date(2026, 3, 2, 9, 0, 0, 0, shanghai), Options{Hub: hub})
	if vs, err := h.d.PackHistory(ctx, "en"); err != nil || len(vs) != 2 || !vs[1].Live {
		t.Errorf("history: %+v %v", vs, err)
	}
	if d, err := h.d.PackDiff(ctx, 2); err != nil || d.Live != 1 {
		t.Errorf("diff: %+v %v", d, err)
	}
	if _, err := h.d.ReviewPack(ctx, 2, false, "  \n"); !errors.Is(err, ErrReasonRequired) {
		t.Errorf("reject without a reason: %v", err)
	}
	if _, err := h.d.RollbackPack(ctx, 1, ""); !errors.Is(err, ErrReasonRequired) {
		t.Errorf("rollback without a reason: %v", err)
	}
	if pv, err := h.d.ReviewPack(ctx, 2, true, ""); err != nil || pv.State != PackApproved || !pv.Live {
		t.Errorf("approve: %+v %v", pv, err)
	}
	if pv, err := h.d.ReviewPack(ctx, 2, false, " 春节日期不对 "); err != nil || pv.State != PackRejected {
		t.Errorf("reject: %+v %v", pv, err)
	}
	if pv, err := h.d.RollbackPack(ctx, 1, "回到上一版"); err != nil || pv.RollbackOf != 1 || pv.Version != 9 {
		t.Errorf("rollback: %+v %v", pv, err)
	}
	want := []string{"history en", "diff 2", "review 2 true ", "review 2 false 春节日期不对", "rollback 1 回到上一版"}
	if fmt.Sprint(hub.sent) != fmt.Sprint(want) {
		t.Errorf("sent to the hub: %q, want %q", hub.sent, want)
	}
	hub.err = &HubError{Err: ErrHubOwnVersion, Detail: "lin wrote version 2"}
	if _, err := h.d.ReviewPack(ctx, 2, true, ""); !errors.Is(err, ErrHubOwnVersion) {
		t.Errorf("the hub's refusal: %v", err)
	}
}

func TestMayReviewPacks(t *testing.T) {
	for r, want := range map[agent.Role]bool{agent.RoleAgent: false, agent.RoleTeamLead: false,
		agent.RoleSupervisor: true, agent.RoleTrainer: true, "": false} {
		if got := MayReviewPacks(r); got != want {
			t.Errorf("MayReviewPacks(%q) = %v, want %v", r, got, want)
		}
	}
}

// The hub's unified diff, line by line: headers only before the first
// hunk (a removed line reading "-- x" is a removed line), the no-newline
// note, and the counts.
func TestPackDiff_Lines(t *testing.T) {
	d := PackDiff{Text: "--- v1 pack.toml (live)\n+++ v2 pack.toml\n@@ -1,3 +1,3 @@\n a = 1\n--- x\n+b = 2\n+++ y\n\\ No newline at end of file\n"}
	got := d.Lines()
	want := []DiffLine{{DiffHeader, "v1 pack.toml (live)"}, {DiffHeader, "v2 pack.toml"}, {DiffHunk, "@@ -1,3 +1,3 @@"},
		{DiffSame, "a = 1"}, {DiffRemoved, "-- x"}, {DiffAdded, "b = 2"}, {DiffAdded, "++ y"}, {DiffNote, "No newline at end of file"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("lines:\n%q\nwant\n%q", got, want)
	}
	if a, r := d.Counts(); a != 2 || r != 1 {
		t.Errorf("counts: +%d -%d", a, r)
	}
	if (PackDiff{}).Lines() != nil {
		t.Error("an empty diff has lines")
	}
}

func TestDesk_PublishPack(t *testing.T) {
	h := newHarness(t, time.Date(2026, 3, 2, 9, 0, 0, 0, shanghai), Options{})
	if _, err := h.d.PublishPack(context.Background(), defaultText(t, "en")); !errors.Is(err, ErrNeedsHub) {
		t.Errorf("without a hub: %v", err)
	}
	hub := &fakeHub{}
	h = newHarness(t, time.Date(2026, 3, 2, 9, 0, 0, 0, shanghai), Options{Hub: hub})
	if _, err := h.d.PublishPack(context.Background(), "lang = \"en\"\n"); !errors.Is(err, ErrPackInvalid) || len(hub.published) != 0 {
		t.Errorf("invalid: %v, %d sent", err, len(hub.published))
	}
	pv, err := h.d.PublishPack(context.Background(), defaultText(t, "en"))
	if err != nil || pv.Version != 1 || pv.State != "pending" || len(hub.published) != 1 {
		t.Errorf("publish: %+v %v", pv, err)
	}
}

// Without a day the lines render without an instant; the desk fills in
// today by its clock.
func TestPreviewPack_NoDay(t *testing.T) {
	pv := RenderPackPreview(defaultText(t, "zh-Hans"), PreviewRequest{}, "", "")
	if !pv.Valid() || len(pv.Days) != 0 || pv.Year != 0 || pv.Greeting != "" || len(pv.Sections) != 6 {
		t.Errorf("no day: valid %v, %d days, year %d, greeting %q", pv.Valid(), len(pv.Days), pv.Year, pv.Greeting)
	}
	h := newHarness(t, time.Date(2026, 10, 1, 9, 0, 0, 0, shanghai), Options{})
	pv = h.d.PreviewPack(defaultText(t, "zh-Hans"), PreviewRequest{Hour: 9})
	if pv.Year != 2026 || pv.OpeningKind != "national_day" {
		t.Errorf("today by the clock: year %d, opening %s", pv.Year, pv.OpeningKind)
	}
}

// BenchmarkRenderPackPreview is the editor's work on every keystroke:
// validate a default pack, render every line and the year's calendar.
func BenchmarkRenderPackPreview(b *testing.B) {
	text := defaultText(b, "zh-Hans")
	req := PreviewRequest{Date: Date{Year: 2026, Month: time.October, Day: 1}, Hour: 9}
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if pv := RenderPackPreview(text, req, "", ""); !pv.Valid() {
			b.Fatal(pv.Problems)
		}
	}
}

// BenchmarkReadPackForm is switching from the text view to the form.
func BenchmarkReadPackForm(b *testing.B) {
	text := defaultText(b, "zh-Hans")
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, probs := ReadPackForm(text); probs != nil {
			b.Fatal(probs)
		}
	}
}
