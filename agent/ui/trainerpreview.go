package ui

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"agentdesk/agent/desk"
)

// packErrorCodes are the codes of a pack's problems the editor words in
// the trainer's language (scripts.ErrorCode); a problem of any other code
// shows the pack checker's English text.
var packErrorCodes = []string{"toml_syntax", "wrong_kind", "unreadable", "unknown_setting", "required",
	"template_syntax", "unknown_variable", "salutation_variable", "unknown_title", "unknown_time_zone",
	"bad_variable_name", "builtin_variable", "bad_slot_time", "slot_starts_at_24", "slot_inverted",
	"slot_overlap", "slot_gap", "duplicate_id", "unknown_step", "unknown_holiday", "bad_date",
	"range_inverted", "range_too_long", "range_overlap", "bad_rule_date", "rule_date_and_lunar",
	"bad_rule_span", "span_without_date", "holiday_without_date"}

// templateProblems are the kinds of template syntax error worded here
// (scripts' TemplateProblem values).
var templateProblems = []string{"unclosed", "lone_close", "empty", "bad_name", "if_unclosed", "if_no_name",
	"else_alone", "else_twice", "end_alone", "reserved_var"}

// previewSections, lineKinds and periodSources are the preview's codes the
// window words.
var (
	previewSections = []string{desk.SectionOpening, desk.SectionHolidays, desk.SectionPhrases,
		desk.SectionComplaint, desk.SectionClosing, desk.SectionCallback}
	lineKinds     = []string{"standard", "short", "silent", "outbound", "prompt", "say", "reassure", "thanks", "goodbye"}
	periodSources = []string{"default", "rule", "notice"}
	dupWhats      = []string{"phrase", "callback_line"}
	ruleCalendars = []string{"date", "lunar"}
)

// argName turns a problem's argument (first_line) into its message's
// placeholder (FirstLine).
func argName(k string) string {
	parts := strings.Split(k, "_")
	for i, p := range parts {
		if p == "id" {
			parts[i] = "ID"
		} else if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "")
}

// problemText is a problem in the trainer's language, chosen by its code
// (the checker's English for a code the window does not know).
func (v *trainerView) problemText(p desk.PackProblem) string {
	if !slices.Contains(packErrorCodes, p.Code) {
		return p.Msg
	}
	data := map[string]any{}
	for k, a := range p.Args {
		data[argName(k)] = a
	}
	if pr := p.Args["problem"]; slices.Contains(templateProblems, pr) {
		data["Problem"] = v.t("tr.tpl." + pr)
	}
	if c := p.Args["calendar"]; slices.Contains(ruleCalendars, c) {
		data["Calendar"] = v.t("tr.cal." + c)
	}
	if w := strings.ReplaceAll(p.Args["what"], " ", "_"); slices.Contains(dupWhats, w) {
		data["What"] = v.t("tr.what." + w)
	}
	for _, k := range []string{"holiday", "other"} {
		if id, ok := p.Args[k]; ok {
			data[argName(k)] = v.holidayName(id)
		}
	}
	return v.t("tr.err."+p.Code, data)
}

// holidayName is a holiday's name in the form ("" ids stay as they are).
func (v *trainerView) holidayName(id string) string {
	if v.form != nil {
		for _, h := range v.form.Holidays {
			if h.ID == id && h.Name != "" {
				return h.Name
			}
		}
	}
	return id
}

// where names a field for the trainer: its section and item ("话术 4",
// "节日 国庆节"), from its path.
func (v *trainerView) where(path string) string {
	if path == "" {
		return v.t("tr.loc.file")
	}
	head, rest := path, ""
	if i := strings.IndexAny(path, ".["); i >= 0 {
		head, rest = path[:i], path[i:]
	}
	id, ok := sectionTitles[head]
	if !ok {
		return path
	}
	name := v.t(id)
	switch {
	case strings.HasPrefix(rest, "["):
		if j := strings.Index(rest, "]"); j > 0 {
			if n, err := strconv.Atoi(rest[1:j]); err == nil {
				return fmt.Sprintf("%s %d", name, n+1)
			}
		}
	case head == "holidays" && rest != "":
		return name + " " + v.holidayName(strings.SplitN(rest[1:], ".", 2)[0])
	case head == "complaint" && rest != "":
		sid := strings.SplitN(rest[1:], ".", 2)[0]
		if v.form != nil {
			for _, s := range v.form.Complaint {
				if s.ID == sid && s.Title != "" {
					return name + " " + s.Title
				}
			}
		}
		return name + " " + sid
	}
	return name
}

// sectionTitles name the parts of a pack by the first part of a path.
var sectionTitles = map[string]string{
	"lang": "tr.f.lang", "company": "tr.f.company", "time_zone": "tr.f.zone", "vars": "tr.sec.vars",
	"slots": "tr.sec.slots", "salutation": "tr.sec.salutation", "opening": "tr.sec.opening",
	"holidays": "tr.sec.holidays", "calendar": "tr.sec.notices", "phrases": "tr.sec.phrases",
	"complaint": "tr.tab.complaint", "callback": "tr.sec.callback", "closing": "tr.sec.closing",
}

// problemLines lists problems, one per line, with where they are.
func (v *trainerView) problemLines(ps []desk.PackProblem) string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = "• " + v.problemLine(p)
	}
	return strings.Join(lines, "\n")
}

func (v *trainerView) problemLine(p desk.PackProblem) string {
	s := v.where(p.Path) + "：" + v.problemText(p)
	if p.Line > 0 {
		s = v.t("tr.loc.line", map[string]any{"Line": p.Line}) + " " + s
	}
	return s
}

// paintErrors shows each problem at its field, and all of them in the
// list, where a click goes to the field (or, in the text view, the line).
func (v *trainerView) paintErrors() {
	// A label may show the problems of several paths (a list's items).
	msgs := map[*widget.Label][]string{}
	for path, ls := range v.errs {
		for _, l := range ls {
			for _, p := range v.pv.ProblemsAt(path) {
				msgs[l] = append(msgs[l], v.problemText(p))
			}
			if _, ok := msgs[l]; !ok {
				msgs[l] = nil
			}
		}
	}
	for l, ms := range msgs {
		if len(ms) == 0 {
			l.Hide()
			continue
		}
		l.SetText(strings.Join(ms, "\n"))
		l.Show()
	}
	v.problems.RemoveAll()
	for _, p := range v.pv.Problems {
		p := p
		b := widget.NewButton(v.problemLine(p), func() { v.goTo(p) })
		b.Alignment = widget.ButtonAlignLeading
		b.Importance = widget.DangerImportance
		v.problems.Add(b)
	}
	v.problems.Refresh()
}

// goTo puts the focus on a problem's field, or its line in the text view.
func (v *trainerView) goTo(p desk.PackProblem) {
	if v.textMode || v.form == nil {
		v.gotoLine(p.Line)
		return
	}
	v.formTabs.SelectIndex(tabOf(p.Path)) // which makes its fields
	for path := p.Path; path != ""; path = parentPath(path) {
		if f, ok := v.fields[path]; ok {
			v.shell.win.Canvas().Focus(f)
			return
		}
	}
}

// parentPath is the path of the item holding path ("phrases[3].say" →
// "phrases[3]" → "phrases").
func parentPath(path string) string {
	if i := strings.LastIndexAny(path, ".["); i > 0 {
		return path[:i]
	}
	return ""
}

// gotoLine puts the text view's cursor on a line.
func (v *trainerView) gotoLine(line int) {
	v.editor.CursorRow = max(0, line-1)
	v.editor.CursorColumn = 0
	v.editor.Refresh()
	v.shell.win.Canvas().Focus(v.editor)
}

// paintPreview shows the last pack that validated: the opening at the
// instant, and every line; the status says when the pack as it is now has
// problems.
func (v *trainerView) paintPreview() {
	switch n := len(v.pv.Problems); {
	case n == 0:
		v.status.SetText(v.t("tr.valid"))
		v.status.Importance = widget.SuccessImportance
	default:
		v.status.SetText(v.t("tr.pv.stale", map[string]any{"Count": n}))
		v.status.Importance = widget.DangerImportance
	}
	v.status.Refresh()
	g := v.good
	if len(g.Sections) == 0 {
		v.opening.Segments = nil
		v.opening.Refresh()
		v.openingNote.SetText("")
		for _, rt := range v.lines.Objects {
			rt.Hide()
		}
		return
	}
	v.opening.Segments = []widget.RichTextSegment{&widget.TextSegment{Text: g.Opening.Text, Style: widget.RichTextStyle{
		SizeName: theme.SizeNameSubHeadingText, TextStyle: fyne.TextStyle{Bold: true}}}}
	v.opening.Refresh()
	v.openingNote.SetText(v.openingKind(g))

	varLabels := map[string]string{}
	for _, pv := range desk.PackVars(v.shell.lang, v.form) {
		varLabels[pv.Name] = pv.Label
	}
	// One text per section, laid out again only when it changed: wrapping
	// text is what a repaint costs, and a keystroke changes one line.
	for len(v.lines.Objects) < len(g.Sections) {
		rt := widget.NewRichText()
		rt.Wrapping = fyne.TextWrapWord
		v.lines.Add(rt)
		v.sectionKeys = append(v.sectionKeys, "")
	}
	for i, sec := range g.Sections {
		segs := v.sectionSegments(sec, varLabels)
		var key strings.Builder
		for _, sg := range segs {
			key.WriteString(sg.Textual() + "\x00")
		}
		rt := v.lines.Objects[i].(*widget.RichText)
		rt.Show()
		if v.sectionKeys[i] == key.String() {
			continue
		}
		v.sectionKeys[i] = key.String()
		rt.Segments = segs
		rt.Refresh()
	}
	for _, rt := range v.lines.Objects[len(g.Sections):] {
		rt.Hide()
	}
}

// sectionSegments are a preview section's heading and lines.
func (v *trainerView) sectionSegments(sec desk.PreviewSection, varLabels map[string]string) []widget.RichTextSegment {
	segs := []widget.RichTextSegment{&widget.TextSegment{Text: v.t("tr.pvsec." + sec.ID), Style: widget.RichTextStyleSubHeading}}
	for _, l := range sec.Lines {
		label := l.Label
		if l.Kind != "" && slices.Contains(lineKinds, l.Kind) {
			label = strings.TrimSpace(label + " " + v.t("tr.line."+l.Kind))
		}
		if l.Period != "" {
			label += "（" + l.Period + "）"
		}
		if l.Chosen {
			label = "→ " + label
		}
		segs = append(segs, &widget.TextSegment{Text: label + "：", Style: widget.RichTextStyleStrong})
		segs = append(segs, &widget.TextSegment{Text: l.Text, Style: widget.RichTextStyleParagraph})
		if len(l.Missing) > 0 {
			names := make([]string, len(l.Missing))
			for i, m := range l.Missing {
				names[i] = varLabels[m]
				if names[i] == "" {
					names[i] = m
				}
			}
			segs = append(segs, &widget.TextSegment{Text: v.t("tr.pv.missing", map[string]any{"Vars": strings.Join(names, "、")}),
				Style: widget.RichTextStyle{ColorName: theme.ColorNameWarning, TextStyle: fyne.TextStyle{Italic: true}}})
		}
		if len(l.Never) > 0 {
			segs = append(segs, &widget.TextSegment{Text: v.t("tr.pv.never", map[string]any{"Lines": strings.Join(l.Never, " / ")}),
				Style: widget.RichTextStyle{ColorName: theme.ColorNameError, TextStyle: fyne.TextStyle{Italic: true}}})
		}
	}
	if sec.Note != "" {
		segs = append(segs, &widget.TextSegment{Text: "※ " + sec.Note, Style: widget.RichTextStyle{ColorName: theme.ColorNameWarning}})
	}
	return segs
}

// openingKind says which opening the instant gets, and why.
func (v *trainerView) openingKind(g desk.PackPreview) string {
	switch g.OpeningKind {
	case "standard":
		return v.t("tr.pv.kind.standard", map[string]any{"Greeting": g.Greeting})
	case "silent":
		return v.t("tr.pv.kind.silent")
	case "outbound":
		return v.t("tr.pv.kind.outbound")
	}
	if h := g.Holiday; h != nil {
		for _, p := range h.Periods {
			if !g.At.IsZero() {
				d := desk.DateOf(g.At)
				if !d.Before(p.From) && !p.To.Before(d) {
					return v.t("tr.pv.kind.holiday", map[string]any{"Holiday": h.Name, "From": p.From.String(),
						"To": p.To.String(), "Source": v.sourceName(p.Source)})
				}
			}
		}
		return h.Name
	}
	return ""
}

func (v *trainerView) sourceName(src string) string {
	if slices.Contains(periodSources, src) {
		return v.t("tr.src." + src)
	}
	return src
}
