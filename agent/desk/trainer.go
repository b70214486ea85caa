package desk

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/store"
	"agentdesk/scripts"
)

// The trainer's editor edits a pack as scripts.Form: the form view and the
// text view are two faces of one file (ReadPackForm reads the text into a
// form, PackForm.TOML writes it back with the trainer's comments). The
// aliases let the window fill a form's items without importing scripts.
type (
	// PackForm is a pack as the editor's form shows it.
	PackForm = scripts.Form
	// FormVar is one of the pack's own variables.
	FormVar = scripts.FormVar
	// FormSlot is a time-of-day greeting.
	FormSlot = scripts.FormSlot
	// FormHoliday is a holiday, its greeting and its date rule.
	FormHoliday = scripts.FormHoliday
	// FormRange is one year's notice of a holiday's dates.
	FormRange = scripts.FormRange
	// FormPhrase is a phrase book entry.
	FormPhrase = scripts.FormPhrase
	// FormStep is a complaint step's prompt and line.
	FormStep = scripts.FormStep
	// FormLine is a line of the callback script.
	FormLine = scripts.FormLine
	// Date is a civil date in the pack's zone.
	Date = scripts.Date
	// CallerKind is what is known of how to address a caller.
	CallerKind = scripts.CallerKind
)

// The kinds of caller a preview is for.
const (
	CallerKnown       = scripts.CallerKnown       // 王先生
	CallerSurnameOnly = scripts.CallerSurnameOnly // 王先生/女士
	CallerTitleOnly   = scripts.CallerTitleOnly   // 先生
	CallerAnonymous   = scripts.CallerAnonymous   // 您
)

// CallerKinds returns every kind of caller, in order.
func CallerKinds() []CallerKind { return scripts.CallerKinds() }

// ComplaintStepIDs returns the complaint steps a pack has, in order.
func ComplaintStepIDs() []string { return slices.Clone(scripts.ComplaintStepIDs) }

// ParseDate reads a date written YYYY-MM-DD.
func ParseDate(s string) (Date, error) { return scripts.ParseDate(s) }

// DateOf is the civil date of t in t's zone.
func DateOf(t time.Time) Date { return scripts.DateOf(t) }

// PreviewRequest is the instant and caller a trainer previews a pack for.
// Date, Hour and Minute are the center's wall clock in the pack's zone.
type PreviewRequest struct {
	Date             Date
	Hour, Minute     int
	Caller           CallerKind
	Silent, Outbound bool
}

// PackProblem is one problem of a pack being edited: at a line of its text
// (1-based; 0 when it has none) and at a field of its form (Path, as
// scripts.PackError writes it: "company", "phrases[3].say",
// "calendar[0].from"; "" for the file as a whole). Code and Args are what
// the window translates; Msg is the English text, for a code it does not
// know.
type PackProblem struct {
	Line int
	Path string
	Code string
	Args map[string]string
	Msg  string
}

// PackPreview is what the editor shows of a pack being edited: its
// problems, and, when it validates, every line rendered for the request and
// the year's calendar. A pack with problems has only Lang and Problems.
type PackPreview struct {
	Lang     string
	Problems []PackProblem
	// At is the instant previewed, in the pack's zone (Zone).
	At         time.Time
	Zone       string
	Caller     CallerKind
	Salutation string // as the caller card shows it
	Greeting   string // the time-of-day greeting at At
	// Opening is the line the call opens with at At, and OpeningKind which
	// one: "standard", "silent", "outbound" or a holiday id.
	Opening     PreviewLine
	OpeningKind string
	// Holiday is the holiday whose greeting applies at At (nil on other
	// days), whatever Silent and Outbound say.
	Holiday  *CalendarHoliday
	Sections []PreviewSection
	// Year is the Date's year, Days its every day, and Holidays the pack's
	// holidays in priority order with their periods that year.
	Year     int
	Days     []CalendarDay
	Holidays []CalendarHoliday
}

// Valid reports whether the pack validates.
func (p PackPreview) Valid() bool { return len(p.Problems) == 0 }

// ProblemsAt returns the problems of the field at path (exactly).
func (p PackPreview) ProblemsAt(path string) []PackProblem {
	var out []PackProblem
	for _, pr := range p.Problems {
		if pr.Path == path {
			out = append(out, pr)
		}
	}
	return out
}

// HolidayIndex is the position of holiday id in Holidays (-1 when the pack
// has no such holiday), which the window's calendar colours by.
func (p PackPreview) HolidayIndex(id string) int {
	for i, h := range p.Holidays {
		if h.ID == id {
			return i
		}
	}
	return -1
}

// The sections of a preview, in order.
const (
	SectionOpening   = "opening"
	SectionHolidays  = "holidays"
	SectionPhrases   = "phrases"
	SectionComplaint = "complaint"
	SectionClosing   = "closing"
	SectionCallback  = "callback"
)

// PreviewSection is one part of the pack rendered.
type PreviewSection struct {
	ID    string // one of the Section constants
	Lines []PreviewLine
	// Note is guidance shown with the section, not said (the closing's
	// "let the caller hang up first").
	Note string
}

// PreviewLine is one line of the pack rendered.
type PreviewLine struct {
	// Path is the line's field ("phrases[3].say").
	Path string
	// Label is the pack's own name for the line (a phrase's situation, a
	// holiday's name, a complaint step's title, a callback line's "when");
	// Kind is the window's: "standard", "short", "silent", "outbound",
	// "prompt", "say", "reassure", "thanks", "goodbye", or "" when Label
	// says it all.
	Label, Kind string
	// Text is what is said, with placeholders (never "{{") for Missing.
	Text    string
	Missing []string
	// Never are the pack's "never say" lines that go with this one.
	Never []string
	// Period is a holiday greeting's period in the year ("" when none).
	Period string
	// Chosen marks the opening the call opens with.
	Chosen bool
}

// CalendarDay is one day of the year and the opening callers hear.
type CalendarDay struct {
	Date Date
	// Holiday is the id of the holiday whose greeting replaces the
	// standard opening that day; "" for a standard day.
	Holiday string
	// Source says where the day's period comes from: "default", "rule" or
	// "notice" ("" on a standard day).
	Source string
}

// CalendarHoliday is a holiday of the pack, its greeting rendered and its
// periods in the year previewed.
type CalendarHoliday struct {
	ID, Name string
	Greeting string
	Builtin  bool
	// Rule is the holiday's date rule as the pack writes it ("lunar
	// 05-05 -1 +1"), "" when it has none.
	Rule    string
	Periods []CalendarPeriod
}

// CalendarPeriod is one period of a holiday.
type CalendarPeriod struct {
	From, To Date
	Source   string // "default", "rule" or "notice"
}

// packName is the name problems and previews give a pack being edited.
const packName = "pack.toml"

// PackText is the pack a trainer starts editing in lang: the one the desk
// uses now (a pack published on the hub and kept in the store, or the file
// the config names), else the embedded default; path is the file it came
// from ("" when it is not a file the trainer can save over).
func (d *Desk) PackText(lang string) (path, text string, err error) {
	p, info := d.packFor(lang), d.infoOf(lang)
	switch {
	case p == nil || p.Lang() != lang:
	case info.Version > 0:
		sp, err := d.st.LatestPack(lang)
		if err == nil {
			return "", string(sp.Data), nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return "", "", fmt.Errorf("pack text %s: %w", lang, err)
		}
	case p.File() != "" && p.File() == d.cfg.Pack:
		b, err := os.ReadFile(p.File())
		if err != nil {
			return "", "", fmt.Errorf("pack text %s: %w", lang, err)
		}
		return p.File(), string(b), nil
	}
	b, err := scripts.DefaultPackFile(lang)
	if err != nil {
		return "", "", fmt.Errorf("pack text %s: %w", lang, err)
	}
	return "", string(b), nil
}

// ReadPackForm reads a pack's text into a form. It fails, with the
// problems at their lines, only when a form cannot hold the text (it is not
// TOML, or has a setting the form does not know, which would be lost);
// every other problem is for PreviewPack to report at its field.
func ReadPackForm(text string) (*PackForm, []PackProblem) {
	f, err := scripts.ReadForm(packName, []byte(text))
	if err != nil {
		return nil, packProblems(err)
	}
	return f, nil
}

// PreviewPack validates text and renders it for req, with this desk's
// agent name and number where the desk has them (else examples); a zero
// Date is today by the desk's clock in the center's zone.
func (d *Desk) PreviewPack(text string, req PreviewRequest) PackPreview {
	if req.Date.Year == 0 {
		req.Date = DateOf(d.clock.Now().In(d.rules().Zone))
	}
	return RenderPackPreview(text, req, d.cfg.AgentName, d.cfg.AgentNumber)
}

// RenderPackPreview is PreviewPack for a given agent: it validates text
// and, when it validates, renders every line of it for req with example
// values (scripts.SampleRequest) and the calendar of req's year. A zero
// Date renders the lines without an instant (no time-of-day greeting,
// holiday or calendar). It is pure computation, one to two milliseconds
// for a default pack.
func RenderPackPreview(text string, req PreviewRequest, agentName, agentNumber string) PackPreview {
	p, err := scripts.Parse(packName, []byte(text))
	if err != nil {
		pv := PackPreview{Problems: packProblems(err)}
		if f, ferr := scripts.ReadForm(packName, []byte(text)); ferr == nil {
			pv.Lang = f.Lang
		}
		return pv
	}
	return previewOf(p, req, agentName, agentNumber)
}

func previewOf(p *scripts.Pack, req PreviewRequest, agentName, agentNumber string) PackPreview {
	zone := p.TimeZone()
	day := req.Date
	var at time.Time
	if day.Year != 0 {
		at = time.Date(day.Year, day.Month, day.Day, req.Hour, req.Minute, 0, 0, zone)
	}
	r := scripts.SampleRequest(p.Lang(), at, req.Caller)
	r.Silent, r.Outbound = req.Silent, req.Outbound
	if agentName != "" {
		r.AgentName = agentName
	}
	if agentNumber != "" {
		r.AgentNumber = agentNumber
	}
	sp := p.Preview(r)
	pv := PackPreview{Lang: p.Lang(), At: sp.At, Zone: zone.String(), Caller: sp.Caller,
		Salutation: sp.Salutation, Greeting: sp.Greeting, OpeningKind: sp.Opening.Kind, Year: day.Year}

	pv.Holidays = calendarHolidays(p, sp, day.Year)
	if sp.Holiday != nil {
		if i := pv.HolidayIndex(sp.Holiday.Holiday.ID); i >= 0 {
			h := pv.Holidays[i]
			pv.Holiday = &h
		}
	}
	if day.Year != 0 {
		for _, d := range p.YearCalendar(day.Year) {
			cd := CalendarDay{Date: d.Date}
			if d.Kind != "standard" {
				cd.Holiday, cd.Source = d.Kind, d.Period.Source.String()
			}
			pv.Days = append(pv.Days, cd)
		}
	}

	o := sp.Opening
	open := PreviewSection{ID: SectionOpening}
	for _, l := range []struct {
		kind string
		r    scripts.Rendered
	}{{"standard", o.Standard}, {"short", o.Short}, {"silent", o.Silent}, {"outbound", o.Outbound}} {
		if l.r.Path == "" {
			continue
		}
		pl := line(l.r, "", l.kind)
		pl.Chosen = l.kind == o.Kind
		if l.kind == "standard" {
			pl.Never = o.Never
		}
		open.Lines = append(open.Lines, pl)
	}
	pv.Opening = line(o.Chosen, "", o.Kind)
	pv.Opening.Chosen = true
	if i := pv.HolidayIndex(o.Kind); i >= 0 {
		pv.Opening.Label, pv.Opening.Kind = pv.Holidays[i].Name, ""
	}

	hol := PreviewSection{ID: SectionHolidays}
	for _, g := range sp.Holidays {
		pl := line(g.Greeting, g.Holiday.Name, "")
		pl.Chosen = g.Holiday.ID == o.Kind
		if g.Period.From.Year != 0 {
			pl.Period = g.Period.From.String() + " – " + g.Period.To.String()
		}
		hol.Lines = append(hol.Lines, pl)
	}

	phr := PreviewSection{ID: SectionPhrases}
	for _, ph := range sp.Phrases {
		pl := line(ph.Say, ph.Situation, "")
		pl.Never = ph.Never
		phr.Lines = append(phr.Lines, pl)
	}

	cmp := PreviewSection{ID: SectionComplaint}
	for _, s := range sp.Complaint {
		cmp.Lines = append(cmp.Lines, line(s.Prompt, s.Title, "prompt"))
		if s.Say.Path != "" {
			cmp.Lines = append(cmp.Lines, line(s.Say, s.Title, "say"))
		}
	}

	cl := sp.Closing
	clo := PreviewSection{ID: SectionClosing, Note: cl.HangUpFirst}
	for _, r := range cl.Reassure {
		clo.Lines = append(clo.Lines, line(r, "", "reassure"))
	}
	for _, l := range []struct {
		kind string
		r    scripts.Rendered
	}{{"thanks", cl.Thanks}, {"goodbye", cl.Goodbye}} {
		if l.r.Path != "" {
			clo.Lines = append(clo.Lines, line(l.r, "", l.kind))
		}
	}

	cb := PreviewSection{ID: SectionCallback}
	for _, l := range sp.Callback {
		cb.Lines = append(cb.Lines, line(l.Say, l.When, ""))
	}
	pv.Sections = []PreviewSection{open, hol, phr, cmp, clo, cb}
	return pv
}

func line(r scripts.Rendered, label, kind string) PreviewLine {
	return PreviewLine{Path: r.Path, Label: label, Kind: kind, Text: r.Text, Missing: slices.Clone(r.Missing)}
}

// calendarHolidays lists the pack's holidays with their greetings (as
// heard on one of their days) and their periods in year.
func calendarHolidays(p *scripts.Pack, sp scripts.Preview, year int) []CalendarHoliday {
	periods := map[string][]CalendarPeriod{}
	for _, r := range p.Calendar(year) {
		periods[r.Holiday] = append(periods[r.Holiday], CalendarPeriod{From: r.From, To: r.To, Source: r.Source.String()})
	}
	builtin := scripts.BuiltinHolidays()
	var out []CalendarHoliday
	for _, g := range sp.Holidays {
		h := g.Holiday
		ch := CalendarHoliday{ID: h.ID, Name: h.Name, Greeting: g.Greeting.Text, Builtin: slices.Contains(builtin, h.ID),
			Periods: periods[h.ID]}
		if !h.Rule.IsZero() {
			ch.Rule = h.Rule.String()
		}
		out = append(out, ch)
	}
	return out
}

func packProblems(err error) []PackProblem {
	var pe scripts.PackErrors
	if errors.As(err, &pe) {
		out := make([]PackProblem, len(pe))
		for i, e := range pe {
			out[i] = problemOf(e)
		}
		return out
	}
	var one *scripts.PackError
	if errors.As(err, &one) {
		return []PackProblem{problemOf(one)}
	}
	return []PackProblem{{Msg: err.Error()}}
}

func problemOf(e *scripts.PackError) PackProblem {
	a := make(map[string]string, len(e.Args))
	for k, v := range e.Args {
		a[k] = v
	}
	return PackProblem{Line: e.Line, Path: e.Path, Code: string(e.Code), Args: a, Msg: e.Msg}
}

// Errors of the editor's form commands.
var (
	// ErrPeriodInverted is returned by SetHolidayPeriod when the period
	// ends before it starts.
	ErrPeriodInverted = errors.New("the period ends before it starts")
	// ErrNoSuchHoliday is returned when a command names a holiday the
	// form does not have.
	ErrNoSuchHoliday = errors.New("the pack has no such holiday")
	// ErrHolidayID is returned by AddHoliday for an id that is not lower
	// case letters, digits and _ starting with a letter.
	ErrHolidayID = errors.New("a holiday id is lower-case letters, digits and _")
	// ErrHolidayExists is returned by AddHoliday for an id already used.
	ErrHolidayExists = errors.New("the pack already has this holiday")
)

// SetHolidayPeriod makes from–to the period of holiday in the year the
// period ends in (the pack's [[calendar]] notice for that year): it
// replaces the holiday's notices of that year (the first one in place),
// or adds one. Other years keep theirs, or the holiday's rule or the
// default calendar.
func SetHolidayPeriod(f *PackForm, holiday string, from, to Date) error {
	if !hasHoliday(f, holiday) {
		return fmt.Errorf("set period of %q: %w", holiday, ErrNoSuchHoliday)
	}
	if to.Before(from) {
		return fmt.Errorf("set period %s to %s: %w", from, to, ErrPeriodInverted)
	}
	r := FormRange{Holiday: holiday, From: from.String(), To: to.String()}
	placed := false
	out := f.Calendar[:0:0]
	for _, c := range f.Calendar {
		if c.Holiday == holiday && noticeYear(c) == to.Year {
			if !placed {
				// Keep the entry's comments: set its dates in place.
				c.From, c.To = r.From, r.To
				out = append(out, c)
				placed = true
			}
			continue
		}
		out = append(out, c)
	}
	if !placed {
		out = append(out, r)
	}
	f.Calendar = out
	return nil
}

// RemoveHolidayPeriods removes holiday's notices for year, so that year
// goes back to the holiday's rule or the default calendar; it returns how
// many it removed.
func RemoveHolidayPeriods(f *PackForm, holiday string, year int) int {
	n := 0
	out := f.Calendar[:0:0]
	for _, c := range f.Calendar {
		if c.Holiday == holiday && noticeYear(c) == year {
			n++
			continue
		}
		out = append(out, c)
	}
	f.Calendar = out
	return n
}

// noticeYear is the year a notice belongs to: that of its last day (0 when
// the date does not read).
func noticeYear(r FormRange) int {
	d, err := scripts.ParseDate(r.To)
	if err != nil {
		return 0
	}
	return d.Year
}

func hasHoliday(f *PackForm, id string) bool {
	return slices.ContainsFunc(f.Holidays, func(h FormHoliday) bool { return h.ID == id })
}

var holidayID = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// AddHoliday adds a holiday to the form, after the others, with its name
// and greeting; its dates come from a rule (FormHoliday.Date or Lunar) or
// from notices (SetHolidayPeriod).
func AddHoliday(f *PackForm, id, name, greeting string) error {
	if !holidayID.MatchString(id) {
		return fmt.Errorf("add holiday %q: %w", id, ErrHolidayID)
	}
	if hasHoliday(f, id) {
		return fmt.Errorf("add holiday %q: %w", id, ErrHolidayExists)
	}
	f.Holidays = append(f.Holidays, FormHoliday{ID: id, Name: name, Greeting: greeting})
	return nil
}

// RemoveHoliday removes a holiday and its notices; it reports whether the
// form had it. Removing a built-in holiday means the pack has no such
// holiday (callers hear the standard opening on its days).
func RemoveHoliday(f *PackForm, id string) bool {
	i := slices.IndexFunc(f.Holidays, func(h FormHoliday) bool { return h.ID == id })
	if i < 0 {
		return false
	}
	f.Holidays = slices.Delete(f.Holidays, i, i+1)
	f.Calendar = slices.DeleteFunc(f.Calendar, func(r FormRange) bool { return r.Holiday == id })
	return true
}

// PackVar is a variable a line may use, for the editor's variable picker.
type PackVar struct {
	Name string // as written between {{ }}
	// Label, Description and Example are in the language asked for.
	Label, Description, Example string
	// From says who supplies the value: "pack", "clock", "caller",
	// "agent", "complaint", "callback" or "own" (the pack's [vars]).
	From string
}

// PackVars returns the variables the form's lines may use, described in
// lang: the built-in ones, then the pack's own [vars].
func PackVars(lang string, f *PackForm) []PackVar {
	var out []PackVar
	for _, v := range scripts.VarInfos(lang) {
		out = append(out, PackVar{Name: v.Name, Label: v.Label, Description: v.Description, Example: v.Example, From: v.From})
	}
	if f != nil {
		for _, v := range f.Vars {
			out = append(out, PackVar{Name: v.Name, Label: v.Name, Description: v.Value, Example: v.Value, From: "own"})
		}
	}
	return out
}

// ErrPackInvalid is returned when a pack to save or publish does not
// validate; the error also holds scripts' own problems.
var ErrPackInvalid = errors.New("script pack does not validate")

// ErrNoPackFile is returned by SavePackFile given no file name.
var ErrNoPackFile = errors.New("no file name to save the pack to")

// SavePackFile validates text and writes it to path atomically: the text
// goes to a temporary file in the same folder, is synced, and then takes
// path's place, so a partly written pack never replaces a good one. A pack
// that does not validate is not written.
func (d *Desk) SavePackFile(path, text string) error {
	if strings.TrimSpace(path) == "" {
		return fmt.Errorf("save pack: %w", ErrNoPackFile)
	}
	if _, err := scripts.Parse(filepath.Base(path), []byte(text)); err != nil {
		return fmt.Errorf("save pack %s: %w: %w", path, ErrPackInvalid, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("save pack %s: %w", path, err)
	}
	fail := func(err error) error {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("save pack %s: %w", path, err)
	}
	if _, err := tmp.WriteString(text); err != nil {
		return fail(err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("save pack %s: %w", path, err)
	}
	d.log.Info("pack saved", "path", path, "bytes", len(text))
	return nil
}

// PublishPack validates text and sends it through the hub.
func (d *Desk) PublishPack(ctx context.Context, text string) (PackVersion, error) {
	if d.hub == nil {
		return PackVersion{}, ErrNeedsHub
	}
	if _, err := scripts.Parse(packName, []byte(text)); err != nil {
		return PackVersion{}, fmt.Errorf("publish: %w: %w", ErrPackInvalid, err)
	}
	pv, err := d.hub.Publish(ctx, packName, []byte(text))
	if err != nil {
		return pv, err
	}
	d.log.Info("pack published", "version", pv.Version, "state", pv.State)
	return pv, nil
}

// ErrReasonRequired is returned by ReviewPack rejecting, and by
// RollbackPack, without a reason: the hub keeps why, for whoever reads the
// history later.
var ErrReasonRequired = errors.New("a reason is required")

// MayReviewPacks reports whether a desk user of role r is offered the
// review of pack versions (approve, reject, roll back): supervisors and
// trainers. The hub decides by the token's role anyway, and never lets a
// version's author review it.
func MayReviewPacks(r agent.Role) bool { return r == agent.RoleSupervisor || r == agent.RoleTrainer }

// PackHistory lists every version of lang's pack on the hub, newest first.
func (d *Desk) PackHistory(ctx context.Context, lang string) ([]PackVersion, error) {
	if d.hub == nil {
		return nil, ErrNeedsHub
	}
	return d.hub.PackHistory(ctx, lang)
}

// PackDiff is a pack version against the live version of its language.
func (d *Desk) PackDiff(ctx context.Context, version int64) (PackDiff, error) {
	if d.hub == nil {
		return PackDiff{}, ErrNeedsHub
	}
	return d.hub.PackDiff(ctx, version)
}

// ReviewPack approves or rejects a pending pack version on the hub; a
// rejection needs a reason (ErrReasonRequired, and nothing is sent).
// Approved, the version is live on every desk from their next sync round.
func (d *Desk) ReviewPack(ctx context.Context, version int64, approve bool, reason string) (PackVersion, error) {
	if d.hub == nil {
		return PackVersion{}, ErrNeedsHub
	}
	reason = strings.TrimSpace(reason)
	if !approve && reason == "" {
		return PackVersion{}, fmt.Errorf("reject pack version %d: %w", version, ErrReasonRequired)
	}
	pv, err := d.hub.ReviewPack(ctx, version, approve, reason)
	if err != nil {
		return pv, err
	}
	d.log.Info("pack reviewed", "version", pv.Version, "lang", pv.Lang, "state", pv.State, "live", pv.Live)
	return pv, nil
}

// RollbackPack makes an approved pack version live again, with a reason
// (ErrReasonRequired, and nothing is sent, without one); the hub appends a
// new version copying its text, which it returns.
func (d *Desk) RollbackPack(ctx context.Context, version int64, reason string) (PackVersion, error) {
	if d.hub == nil {
		return PackVersion{}, ErrNeedsHub
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return PackVersion{}, fmt.Errorf("roll back to pack version %d: %w", version, ErrReasonRequired)
	}
	pv, err := d.hub.RollbackPack(ctx, version, reason)
	if err != nil {
		return pv, err
	}
	d.log.Info("pack rolled back", "version", pv.Version, "rollback_of", version, "lang", pv.Lang)
	return pv, nil
}
