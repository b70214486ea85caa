package ui

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"agentdesk/agent/desk"
)

// versionsPanel is the trainer tab's review: the hub's versions of the
// pack language being edited (who wrote each and when, its review, which
// is live), the picked version's diff against the live one, and, for
// supervisors and trainers, approve, reject and roll back. Every hub call
// runs off the Fyne goroutine; the hub decides who may do what, and its
// refusals are shown in the user's language.
type versionsPanel struct {
	v *trainerView

	lang     string // the language listed
	versions []desk.PackVersion
	loaded   bool
	err      error // the last history load's
	sel      int64 // the picked version, 0 for none
	diff     *desk.PackDiff
	diffErr  error
	painting bool

	title, status, head, detail, roleNote, diffNote *widget.Label
	list                                            *widget.List
	refresh, approve, reject, rollback              *widget.Button
	diffText                                        *widget.RichText
}

// The commands of the panel (Window.run keys).
const (
	cmdHistory  = "pack-history"
	cmdDiff     = "pack-diff"
	cmdReview   = "pack-review"
	cmdRollback = "pack-rollback"
)

// hubTimeout bounds one call to a slow hub.
const hubTimeout = 30 * time.Second

// maxDiffLines is how many lines of a diff the panel shows.
const maxDiffLines = 3000

func newVersionsPanel(v *trainerView) *versionsPanel { return &versionsPanel{v: v} }

func (p *versionsPanel) t(id string, data ...map[string]any) string { return p.v.t(id, data...) }

func (p *versionsPanel) build() fyne.CanvasObject {
	label := func() *widget.Label {
		l := widget.NewLabel("")
		l.Wrapping = fyne.TextWrapWord
		return l
	}
	p.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.status, p.detail, p.roleNote, p.diffNote = label(), label(), label(), label()
	p.roleNote.Importance = widget.LowImportance
	p.head = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.head.Wrapping = fyne.TextWrapWord
	p.refresh = widget.NewButtonWithIcon(p.t("tr.vs.refresh"), theme.ViewRefreshIcon(), func() { p.load() })
	p.approve = widget.NewButtonWithIcon(p.t("tr.vs.approve"), theme.ConfirmIcon(), p.onApprove)
	p.approve.Importance = widget.HighImportance
	p.reject = widget.NewButtonWithIcon(p.t("tr.vs.reject"), theme.CancelIcon(), p.onReject)
	p.rollback = widget.NewButtonWithIcon(p.t("tr.vs.rollback"), theme.HistoryIcon(), p.onRollback)
	p.diffText = widget.NewRichText()
	p.list = widget.NewList(func() int { return len(p.versions) }, p.newRow, p.paintRow)
	p.list.OnSelected = func(id widget.ListItemID) {
		if !p.painting && id >= 0 && id < len(p.versions) {
			p.pick(p.versions[id].Version)
		}
	}
	left := container.NewBorder(container.NewVBox(container.NewBorder(nil, nil, nil, p.refresh, p.title), p.status),
		nil, nil, nil, p.list)
	actions := container.NewHBox(p.approve, p.reject, p.rollback)
	right := container.NewBorder(container.NewVBox(p.head, p.detail, actions, p.roleNote, p.diffNote), nil, nil, nil,
		container.NewScroll(p.diffText))
	split := container.NewHSplit(left, right)
	split.Offset = 0.36
	p.paint()
	return split
}

// newRow is a version's row: its number, state and whether it is live;
// who wrote it and when; its review.
func (p *versionsPanel) newRow() fyne.CanvasObject {
	top := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	by, rv := widget.NewLabel(""), widget.NewLabel("")
	by.Truncation, rv.Truncation = fyne.TextTruncateEllipsis, fyne.TextTruncateEllipsis
	rv.Importance = widget.LowImportance
	return container.NewVBox(top, by, rv)
}

func (p *versionsPanel) paintRow(id widget.ListItemID, o fyne.CanvasObject) {
	if id < 0 || id >= len(p.versions) {
		return
	}
	pv := p.versions[id]
	objs := o.(*fyne.Container).Objects
	title := objs[0].(*widget.Label)
	title.Importance = widget.MediumImportance
	if pv.State == desk.PackPending {
		title.Importance = widget.WarningImportance
	}
	title.SetText(p.rowTitle(pv))
	objs[1].(*widget.Label).SetText(p.t("tr.vs.by", map[string]any{"Author": pv.By, "At": p.when(pv.At)}))
	objs[2].(*widget.Label).SetText(p.reviewLine(pv))
}

// rowTitle is "第 7 版 · 待审核" with "· 在用" for the live one.
func (p *versionsPanel) rowTitle(pv desk.PackVersion) string {
	s := p.t("tr.vs.row", map[string]any{"Version": pv.Version}) + " · " + p.stateName(pv.State)
	if pv.Live {
		s += " · ● " + p.t("tr.vs.live")
	}
	return s
}

// stateIDs are the message ids of the versions' states.
var stateIDs = map[string]string{desk.PackPending: "tr.vs.state.pending", desk.PackApproved: "tr.vs.state.approved",
	desk.PackRejected: "tr.vs.state.rejected"}

func (p *versionsPanel) stateName(st string) string {
	if id, ok := stateIDs[st]; ok {
		return p.t(id)
	}
	return st
}

// reviewLine says who reviewed a version, when and why ("" while pending),
// and which version a rollback copies.
func (p *versionsPanel) reviewLine(pv desk.PackVersion) string {
	var parts []string
	if pv.RollbackOf != 0 {
		parts = append(parts, p.t("tr.vs.rollbackof", map[string]any{"Version": pv.RollbackOf}))
	}
	if pv.ReviewedBy != "" || !pv.ReviewedAt.IsZero() {
		parts = append(parts, p.t("tr.vs.reviewed", map[string]any{"Reviewer": pv.ReviewedBy, "At": p.when(pv.ReviewedAt)}))
	}
	if pv.Reason != "" {
		parts = append(parts, p.t("tr.vs.reason", map[string]any{"Reason": strings.Join(strings.Fields(pv.Reason), " ")}))
	}
	return strings.Join(parts, " · ")
}

// when is an instant in the center's zone.
func (p *versionsPanel) when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	if z := p.v.shell.view.Zone; z != nil {
		t = t.In(z)
	}
	return t.Format("2006-01-02 15:04")
}

// open shows the panel: the versions are loaded the first time, and again
// when the pack language changed.
func (p *versionsPanel) open() {
	if p.list == nil {
		return
	}
	if !p.loaded || p.lang != p.v.lang {
		p.load()
	}
}

// load reads the history of the editor's pack language from the hub.
func (p *versionsPanel) load() {
	if p.list == nil {
		return
	}
	d, lang := p.v.shell.desk, p.v.lang
	var vs []desk.PackVersion
	p.v.shell.run(cmdHistory, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), hubTimeout)
		defer cancel()
		var err error
		vs, err = d.PackHistory(ctx, lang)
		return err
	}, func(err error) {
		if lang != p.lang {
			p.sel, p.diff, p.diffErr = 0, nil, nil
		}
		p.lang, p.loaded, p.err = lang, true, err
		p.versions = nil
		if err == nil {
			p.versions = vs
		}
		if p.index(p.sel) < 0 {
			p.sel, p.diff, p.diffErr = 0, nil, nil
		}
		p.paint()
		if p.sel != 0 {
			p.loadDiff() // the live version may have changed
		}
		if p.lang != p.v.lang { // the editor switched language meanwhile
			p.load()
		}
	})
}

// index is the position of version in the list, -1 when absent.
func (p *versionsPanel) index(version int64) int {
	for i, pv := range p.versions {
		if pv.Version == version {
			return i
		}
	}
	return -1
}

// selected is the picked version (ok false when none).
func (p *versionsPanel) selected() (desk.PackVersion, bool) {
	if i := p.index(p.sel); i >= 0 {
		return p.versions[i], true
	}
	return desk.PackVersion{}, false
}

// pick shows version and reads its diff against the live one.
func (p *versionsPanel) pick(version int64) {
	if version == p.sel && (p.diff != nil || p.v.shell.busy[cmdDiff]) {
		return
	}
	p.sel, p.diff, p.diffErr = version, nil, nil
	p.paint()
	p.loadDiff()
}

func (p *versionsPanel) loadDiff() {
	d, version := p.v.shell.desk, p.sel
	var df desk.PackDiff
	p.v.shell.run(cmdDiff, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), hubTimeout)
		defer cancel()
		var err error
		df, err = d.PackDiff(ctx, version)
		return err
	}, func(err error) {
		if version != p.sel {
			// Another version was picked while this one loaded (the
			// command's key was busy): load that one now.
			if p.sel != 0 {
				p.loadDiff()
			}
			return
		}
		p.diff, p.diffErr = nil, err
		if err == nil {
			p.diff = &df
		}
		p.paint()
	})
}

// apply repaints the buttons as the view's role and the commands in flight
// say.
func (p *versionsPanel) apply() {
	if p.list != nil {
		p.paintButtons()
	}
}

// paint shows the list, the picked version and its diff.
func (p *versionsPanel) paint() {
	if p.list == nil {
		return
	}
	lang := p.v.lang
	p.title.SetText(p.t("tr.vs.title", map[string]any{"Lang": langNames[lang]}))
	switch {
	case p.v.shell.busy[cmdHistory] && !p.loaded:
		p.setStatus(p.t("tr.vs.loading"), widget.MediumImportance)
	case p.err != nil:
		p.setStatus(p.errText(p.err), widget.DangerImportance)
	case p.loaded && len(p.versions) == 0:
		p.setStatus(p.t("tr.vs.empty"), widget.MediumImportance)
	case p.loaded:
		p.setStatus(p.t("tr.vs.count", map[string]any{"Count": len(p.versions), "Pending": p.pendingCount()}), widget.MediumImportance)
	default:
		p.setStatus("", widget.MediumImportance)
	}
	p.painting = true
	p.list.Refresh()
	if i := p.index(p.sel); i >= 0 {
		p.list.Select(i)
	} else {
		p.list.UnselectAll()
	}
	p.painting = false

	pv, ok := p.selected()
	switch {
	case !ok:
		p.head.SetText(p.t("tr.vs.pick"))
		p.detail.SetText("")
	default:
		p.head.SetText(p.rowTitle(pv))
		lines := []string{p.t("tr.vs.by", map[string]any{"Author": pv.By, "At": p.when(pv.At)})}
		if r := p.reviewLine(pv); r != "" {
			lines = append(lines, r)
		}
		p.detail.SetText(strings.Join(lines, "\n"))
	}
	p.paintDiff(ok)
	p.paintButtons()
	p.paintTab()
}

func (p *versionsPanel) setStatus(text string, imp widget.Importance) {
	p.status.SetText(text)
	p.status.Importance = imp
	p.status.Refresh()
}

func (p *versionsPanel) pendingCount() int {
	n := 0
	for _, pv := range p.versions {
		if pv.State == desk.PackPending {
			n++
		}
	}
	return n
}

// paintTab puts the number of versions waiting for review in the tab's
// title.
func (p *versionsPanel) paintTab() {
	tabs := p.v.subTabs
	if tabs == nil || len(tabs.Items) < 2 {
		return
	}
	title := p.t("tr.tab.versions")
	if n := p.pendingCount(); n > 0 {
		title = p.t("tr.tab.versions.pending", map[string]any{"Count": n})
	}
	if tabs.Items[1].Text != title {
		tabs.Items[1].Text = title
		tabs.Refresh()
	}
}

// paintDiff shows the picked version's diff: a line per line, monospace,
// added lines green with "+", removed ones red with "-".
func (p *versionsPanel) paintDiff(picked bool) {
	var segs []widget.RichTextSegment
	note := ""
	switch {
	case !picked:
	case p.diffErr != nil:
		note = p.errText(p.diffErr)
	case p.diff == nil:
		note = p.t("tr.vs.diff.loading")
	case p.diff.Text == "":
		note = p.t("tr.vs.diff.same")
	default:
		add, del := p.diff.Counts()
		if p.diff.Live == 0 {
			note = p.t("tr.vs.diff.nolive", map[string]any{"Added": add})
		} else {
			note = p.t("tr.vs.diff.title", map[string]any{"Live": p.diff.Live, "Added": add, "Removed": del})
		}
		segs = diffSegments(p.diff.Lines(), func(n int) string { return p.t("tr.vs.diff.more", map[string]any{"Count": n}) })
	}
	p.diffNote.SetText(note)
	p.diffText.Segments = segs
	p.diffText.Refresh()
}

// paintButtons shows the review buttons to those whose role may review,
// enabled for what the picked version allows: approve and reject a pending
// version, roll back to an approved one that is not live.
func (p *versionsPanel) paintButtons() {
	busy := p.v.shell.busy
	if busy[cmdHistory] {
		p.refresh.Disable()
	} else {
		p.refresh.Enable()
	}
	may := desk.MayReviewPacks(p.v.shell.view.Role)
	pv, ok := p.selected()
	inFlight := busy[cmdReview] || busy[cmdRollback]
	for _, b := range []struct {
		w      *widget.Button
		id     string
		key    string
		usable bool
	}{
		{p.approve, "tr.vs.approve", cmdReview, ok && pv.State == desk.PackPending},
		{p.reject, "tr.vs.reject", cmdReview, ok && pv.State == desk.PackPending},
		{p.rollback, "tr.vs.rollback", cmdRollback, ok && pv.State == desk.PackApproved && !pv.Live},
	} {
		if !may {
			b.w.Hide()
			continue
		}
		b.w.Show()
		label := p.t(b.id)
		if busy[b.key] {
			label += " …"
		}
		if b.w.Text != label {
			b.w.SetText(label)
		}
		if b.usable && !inFlight {
			b.w.Enable()
		} else {
			b.w.Disable()
		}
	}
	if may {
		p.roleNote.SetText("")
		p.roleNote.Hide()
	} else {
		p.roleNote.SetText(p.t("tr.vs.noreview"))
		p.roleNote.Show()
	}
}

func (p *versionsPanel) onApprove() {
	pv, ok := p.selected()
	if !ok || pv.State != desk.PackPending {
		return
	}
	p.v.shell.confirm(p.t("tr.vs.approve"), p.t("tr.vs.approve.confirm", map[string]any{"Version": pv.Version}), func() {
		p.review(pv.Version, true, "")
	})
}

func (p *versionsPanel) onReject() {
	pv, ok := p.selected()
	if !ok || pv.State != desk.PackPending {
		return
	}
	p.askReason(p.t("tr.vs.reject"), p.t("tr.vs.reason.reject", map[string]any{"Version": pv.Version}), func(reason string) {
		p.review(pv.Version, false, reason)
	})
}

func (p *versionsPanel) onRollback() {
	pv, ok := p.selected()
	if !ok || pv.State != desk.PackApproved || pv.Live {
		return
	}
	p.askReason(p.t("tr.vs.rollback"), p.t("tr.vs.reason.rollback", map[string]any{"Version": pv.Version}), func(reason string) {
		p.doRollback(pv.Version, reason)
	})
}

// askReason asks for a reason (required: the dialog asks again while it
// is blank) and gives it to ok.
func (p *versionsPanel) askReason(title, label string, ok func(reason string)) {
	reason := newArea(p.v.shell, p.t("tr.vs.reason.hint"), 3)
	f := widget.NewForm(widget.NewFormItem(label, reason))
	f.Orientation = widget.Vertical
	p.v.shell.form(title, f, reason, func() {
		if strings.TrimSpace(reason.Text) == "" {
			p.v.shell.warn(p.t("tr.vs.needreason"))
			return
		}
		ok(reason.Text)
	})
}

func (p *versionsPanel) review(version int64, approve bool, reason string) {
	d := p.v.shell.desk
	var got desk.PackVersion
	p.v.shell.run(cmdReview, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), hubTimeout)
		defer cancel()
		var err error
		got, err = d.ReviewPack(ctx, version, approve, reason)
		return err
	}, func(err error) {
		if err != nil {
			p.v.shell.warn(p.errText(err))
			p.load() // the version's state as the hub has it now
			return
		}
		msg := p.t("tr.vs.rejected", map[string]any{"Version": got.Version})
		if got.State == desk.PackApproved {
			msg = p.t("tr.vs.approved", map[string]any{"Version": got.Version})
		}
		p.v.shell.info(msg)
		p.load()
	})
}

func (p *versionsPanel) doRollback(version int64, reason string) {
	d := p.v.shell.desk
	var got desk.PackVersion
	p.v.shell.run(cmdRollback, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), hubTimeout)
		defer cancel()
		var err error
		got, err = d.RollbackPack(ctx, version, reason)
		return err
	}, func(err error) {
		if err != nil {
			p.v.shell.warn(p.errText(err))
			p.load()
			return
		}
		p.v.shell.info(p.t("tr.vs.rolledback", map[string]any{"Version": got.Version, "Of": version}))
		p.sel = got.Version
		p.load()
	})
}

// published picks a version the trainer just published, reading the list
// again if it was shown (else when it is first shown).
func (p *versionsPanel) published(pv desk.PackVersion) {
	if p.list == nil {
		return
	}
	p.sel, p.diff, p.diffErr = pv.Version, nil, nil
	if p.loaded {
		p.load()
	}
}

// errText is what the panel says about a failed hub call, in the user's
// language: the hub's refusals by their sentinel, with the hub's words.
func (p *versionsPanel) errText(err error) string {
	var hub *desk.HubError
	switch {
	case errors.Is(err, desk.ErrNeedsHub):
		return p.t("tr.vs.nohub")
	case errors.Is(err, desk.ErrReasonRequired):
		return p.t("tr.vs.needreason")
	case errors.As(err, &hub):
		id := "tr.vs.refused"
		switch {
		case errors.Is(hub, desk.ErrHubOwnVersion):
			return p.t("tr.vs.own") // the hub's words name the author: the message says it all
		case errors.Is(hub, desk.ErrHubConflict):
			id = "tr.vs.conflict"
		case errors.Is(hub, desk.ErrHubUnreachable):
			id = "tr.vs.hubdown"
		case errors.Is(hub, desk.ErrHubToken):
			id = "tr.vs.auth"
		case errors.Is(hub, desk.ErrHubRole):
			id = "tr.vs.role"
		}
		if hub.Detail != "" && !errors.Is(hub, desk.ErrHubRole) && !errors.Is(hub, desk.ErrHubToken) {
			return p.t(id) + "\n" + hub.Detail
		}
		return p.t(id)
	}
	return errText(p.v.shell.lang, err)
}

// diffSegments are a diff's lines as text: a mark ("+", "-", " "), then
// the line, in monospace for its ASCII runs (the monospace font has no
// Chinese: CJK runs, and "_", keep the window's font, which draws CJK at a
// fixed width anyway), green for added lines, red for removed ones.
func diffSegments(lines []desk.DiffLine, more func(n int) string) []widget.RichTextSegment {
	var segs []widget.RichTextSegment
	headers := 0
	for i, l := range lines {
		if i == maxDiffLines {
			segs = append(segs, &widget.TextSegment{Text: more(len(lines) - i),
				Style: widget.RichTextStyle{ColorName: theme.ColorNamePlaceHolder, TextStyle: fyne.TextStyle{Italic: true}}})
			break
		}
		mark, colour := "  ", theme.ColorNameForeground
		bold := false
		switch l.Kind {
		case desk.DiffAdded:
			mark, colour = "+ ", theme.ColorNameSuccess
		case desk.DiffRemoved:
			mark, colour = "- ", theme.ColorNameError
		case desk.DiffHunk:
			mark, colour = "", theme.ColorNamePrimary
		case desk.DiffHeader: // the live version's name, then this one's
			mark, colour, bold = "+++ ", theme.ColorNamePlaceHolder, true
			if headers == 0 {
				mark = "--- "
			}
			headers++
		case desk.DiffNote:
			mark, colour = "", theme.ColorNamePlaceHolder
		}
		runs := scriptRuns(mark + l.Text)
		for j, r := range runs {
			segs = append(segs, &widget.TextSegment{Text: r.text, Style: widget.RichTextStyle{
				Inline: j < len(runs)-1, ColorName: colour, TextStyle: fyne.TextStyle{Monospace: r.latin, Bold: bold}}})
		}
	}
	return segs
}

// run is a stretch of a line in one script: Latin (ASCII) or not.
type run struct {
	text  string
	latin bool
}

// monoRune reports whether c is drawn in the monospace font: ASCII but
// "_", whose glyph in Fyne's monospace font hangs below the text's bounds
// and is cut off by the GL painter (the window's font draws it whole).
func monoRune(c rune) bool { return c < utf8.RuneSelf && c != '_' }

// scriptRuns cuts s into its monospace (ASCII) and other stretches (at
// least one, a space for an empty line, so that the line keeps its
// height).
func scriptRuns(s string) []run {
	if s == "" {
		return []run{{" ", true}}
	}
	var out []run
	start, latin := 0, monoRune(rune(s[0]))
	for i, c := range s {
		if l := monoRune(c); l != latin {
			out = append(out, run{s[start:i], latin})
			start, latin = i, l
		}
	}
	return append(out, run{s[start:], latin})
}
