package ui

import (
	"fmt"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"agentdesk/agent/desk"
)

// The form's tabs, in order.
const (
	formBasic = iota
	formHolidays
	formPhrases
	formComplaint
	formClosing
)

// tabOf is the form tab showing the field at path.
func tabOf(path string) int {
	head := path
	if i := strings.IndexAny(path, ".["); i >= 0 {
		head = path[:i]
	}
	switch head {
	case "holidays", "calendar":
		return formHolidays
	case "phrases":
		return formPhrases
	case "complaint":
		return formComplaint
	case "closing", "callback":
		return formClosing
	}
	return formBasic
}

// fp joins the parts of a field path.
func fp(parts ...string) string { return strings.Join(parts, ".") }

// ix is the path of item i of a list: "phrases[3]".
func ix(list string, i int) string { return fmt.Sprintf("%s[%d]", list, i) }

// buildForm makes the form's tabs from v.form. It runs again after a
// change of the form's shape (an item added, removed or moved): the
// fields are bound to the form's items by position. A tab's fields are
// made when it is first shown (a pack has some three hundred of them, and
// laying out wrapped text is what costs).
func (v *trainerView) buildForm() {
	selected := formBasic
	if v.formTabs != nil {
		selected = v.formTabs.SelectedIndex()
	}
	v.fields, v.errs, v.lastTmpl = map[string]fyne.Focusable{}, map[string][]*widget.Label{}, nil
	v.hol = holidayTab{}
	titles := []string{"tr.tab.basic", "tr.tab.holidays", "tr.tab.phrases", "tr.tab.complaint", "tr.tab.closing"}
	builds := []func() fyne.CanvasObject{v.basicTab, func() fyne.CanvasObject { return v.hol.build(v) },
		v.phrasesTab, v.complaintTab, v.closingTab}
	items := make([]*container.TabItem, len(titles))
	built := make([]bool, len(titles))
	for i, id := range titles {
		items[i] = container.NewTabItem(v.t(id), widget.NewLabel(""))
	}
	tabs := container.NewAppTabs(items...)
	v.formTabs = tabs
	ensure := func(i int) {
		if i < 0 || built[i] || v.formTabs != tabs {
			return
		}
		built[i] = true
		painting := v.painting
		v.painting = true
		items[i].Content = container.NewVScroll(builds[i]())
		v.painting = painting
		tabs.Refresh()
		v.paintErrors()
	}
	tabs.OnSelected = func(*container.TabItem) { ensure(tabs.SelectedIndex()) }
	ensure(selected)
	tabs.SelectIndex(selected)
}

// reshape rebuilds the form after a change of its shape and checks it.
func (v *trainerView) reshape() {
	v.showBody()
	v.changed()
}

// rows is a form's labelled rows.
type rows []fyne.CanvasObject

// add adds a row: the label, then the widget with the problems of paths
// under it.
func (v *trainerView) add(rs *rows, label string, w fyne.CanvasObject, paths ...string) {
	*rs = append(*rs, widget.NewLabel(label), container.NewVBox(w, v.errorsAt(paths...)))
}

// errorsAt is a box of labels showing the problems at paths.
func (v *trainerView) errorsAt(paths ...string) fyne.CanvasObject {
	l := errorLabel()
	for _, p := range paths {
		v.errs[p] = append(v.errs[p], l)
	}
	return l
}

func grid(rs rows) *fyne.Container { return container.New(layout.NewFormLayout(), rs...) }

// line is a one-line text field bound to set.
func (v *trainerView) line(path, val, placeholder string, set func(string)) *field {
	f := newField(v.shell, placeholder)
	f.SetText(val)
	f.OnChanged = func(s string) { set(s); v.changed() }
	v.fields[path] = f
	return f
}

// tmpl is a field holding a template line (rows > 1: several lines).
func (v *trainerView) tmpl(path, val string, rows int, set func(string)) *tmplField {
	f := newTmplField(v, rows > 1, rows)
	f.SetText(val)
	f.OnChanged = func(s string) { set(s); v.changed() }
	v.fields[path] = f
	return f
}

// list is a field holding a list of lines, one per line; the list's
// items' problems show under it.
func (v *trainerView) list(path string, vals []string, set func([]string)) *tmplField {
	f := newTmplField(v, true, max(2, len(vals)))
	f.SetText(strings.Join(vals, "\n"))
	f.OnChanged = func(s string) {
		var out []string
		for _, l := range strings.Split(s, "\n") {
			if strings.TrimSpace(l) != "" {
				out = append(out, l)
			}
		}
		set(out)
		v.changed()
	}
	v.fields[path] = f
	for i := range len(vals) + 8 {
		v.fields[ix(path, i)] = f
	}
	return f
}

// listPaths are the paths of a list and of its items, for their problems.
func listPaths(path string, n int) []string {
	out := []string{path}
	for i := range n + 8 {
		out = append(out, ix(path, i))
	}
	return out
}

// itemHead is an item's heading with its buttons (move up, move down,
// remove); nil actions are left out.
func (v *trainerView) itemHead(title string, up, down, remove func()) fyne.CanvasObject {
	var btns []fyne.CanvasObject
	for _, b := range []struct {
		icon fyne.Resource
		fn   func()
	}{{theme.MoveUpIcon(), up}, {theme.MoveDownIcon(), down}, {theme.DeleteIcon(), remove}} {
		if b.fn != nil {
			fn := b.fn
			btns = append(btns, widget.NewButtonWithIcon("", b.icon, func() { fn(); v.reshape() }))
		}
	}
	return container.NewBorder(nil, nil, widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewHBox(btns...))
}

// moves are the up, down and remove actions of item i of a list of n.
func moves[T any](list *[]T, i int) (up, down, remove func()) {
	if i > 0 {
		up = func() { (*list)[i-1], (*list)[i] = (*list)[i], (*list)[i-1] }
	}
	if i < len(*list)-1 {
		down = func() { (*list)[i+1], (*list)[i] = (*list)[i], (*list)[i+1] }
	}
	remove = func() { *list = slices.Delete(*list, i, i+1) }
	return
}

func (v *trainerView) heading(id string) fyne.CanvasObject {
	l := widget.NewLabelWithStyle(v.t(id), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.SizeName = theme.SizeNameSubHeadingText
	return l
}

// addButton adds an item and rebuilds the form.
func (v *trainerView) addButton(id string, fn func()) fyne.CanvasObject {
	return container.NewHBox(widget.NewButtonWithIcon(v.t(id), theme.ContentAddIcon(), func() { fn(); v.reshape() }))
}

// halfHours are the times a slot may start or end at in its drop-down.
func halfHours(val string) []string {
	var out []string
	for m := 0; m <= 24*60; m += 30 {
		out = append(out, fmt.Sprintf("%02d:%02d", m/60, m%60))
	}
	if val != "" && !slices.Contains(out, val) {
		out = append([]string{val}, out...)
	}
	return out
}

func (v *trainerView) choice(path string, options []string, val string, set func(string)) *selectBox {
	b := newSelect(v.shell, options, nil)
	b.SetSelected(val)
	b.OnChanged = func(s string) { set(s); v.changed() }
	v.fields[path] = b
	return b
}

func (v *trainerView) basicTab() fyne.CanvasObject {
	f := v.form
	var rs rows
	v.add(&rs, v.t("tr.f.company"), v.line("company", f.Company, "", func(s string) { f.Company = s }), "company")
	v.add(&rs, v.t("tr.f.zone"), v.line("time_zone", f.TimeZone, "Asia/Shanghai", func(s string) { f.TimeZone = s }), "time_zone")
	v.add(&rs, v.t("tr.f.lang"), widget.NewLabel(langNames[f.Lang]+" ("+f.Lang+")"), "lang")
	out := container.NewVBox(grid(rs))

	out.Add(v.heading("tr.sec.vars"))
	for i := range f.Vars {
		item := &f.Vars[i]
		var r rows
		path := fp("vars", item.Name)
		v.add(&r, v.t("tr.f.var.name"), v.line(path, item.Name, "hotline", func(s string) { item.Name = s }), path)
		v.add(&r, v.t("tr.f.var.value"), v.line(path+"#value", item.Value, "", func(s string) { item.Value = s }))
		_, _, remove := moves(&f.Vars, i)
		out.Add(v.itemHead("{{"+item.Name+"}}", nil, nil, remove))
		out.Add(grid(r))
	}
	out.Add(v.addButton("tr.var.add", func() { f.Vars = append(f.Vars, desk.FormVar{}) }))

	out.Add(v.heading("tr.sec.slots"))
	out.Add(v.errorsAt("slots"))
	for i := range f.Slots {
		item := &f.Slots[i]
		p := ix("slots", i)
		var r rows
		times := container.NewHBox(
			v.choice(fp(p, "from"), halfHours(item.From), item.From, func(s string) { item.From = s }),
			widget.NewLabel("–"),
			v.choice(fp(p, "to"), halfHours(item.To), item.To, func(s string) { item.To = s }))
		v.add(&r, v.t("tr.f.slot.time"), times, fp(p, "from"), fp(p, "to"))
		v.add(&r, v.t("tr.f.slot.greeting"), v.line(fp(p, "greeting"), item.Greeting, "", func(s string) { item.Greeting = s }), fp(p, "greeting"))
		up, down, remove := moves(&f.Slots, i)
		out.Add(v.itemHead(fmt.Sprintf("%s %d", v.t("tr.sec.slots"), i+1), up, down, remove))
		out.Add(grid(r))
	}
	out.Add(v.addButton("tr.slot.add", func() {
		from := "00:00"
		if n := len(f.Slots); n > 0 {
			from = f.Slots[n-1].To
		}
		f.Slots = append(f.Slots, desk.FormSlot{From: from, To: "24:00"})
	}))

	out.Add(v.heading("tr.sec.salutation"))
	s := &f.Salutation
	var sr rows
	for _, fld := range []struct {
		key, label string
		val        *string
	}{{"titled", "tr.f.sal.titled", &s.Titled}, {"untitled", "tr.f.sal.untitled", &s.Untitled},
		{"title_only", "tr.f.sal.title_only", &s.TitleOnly}, {"anonymous", "tr.f.sal.anonymous", &s.Anonymous}} {
		path, val := fp("salutation", fld.key), fld.val
		v.add(&sr, v.t(fld.label), v.tmpl(path, *val, 1, func(x string) { *val = x }), path)
	}
	out.Add(grid(sr))

	out.Add(v.heading("tr.sec.opening"))
	o := &f.Opening
	var or rows
	for _, fld := range []struct {
		key, label string
		val        *string
	}{{"standard", "tr.line.standard", &o.Standard}, {"short", "tr.line.short", &o.Short},
		{"silent", "tr.line.silent", &o.Silent}, {"outbound", "tr.line.outbound", &o.Outbound}} {
		path, val := fp("opening", fld.key), fld.val
		v.add(&or, v.t(fld.label), v.tmpl(path, *val, 2, func(x string) { *val = x }), path)
	}
	never := fp("opening", "never")
	v.add(&or, v.t("tr.f.never"), v.list(never, o.Never, func(x []string) { o.Never = x }), listPaths(never, len(o.Never))...)
	out.Add(grid(or))
	return out
}

func (v *trainerView) phrasesTab() fyne.CanvasObject {
	f := v.form
	out := container.NewVBox(v.errorsAt("phrases"))
	for i := range f.Phrases {
		item := &f.Phrases[i]
		p := ix("phrases", i)
		var r rows
		v.add(&r, v.t("tr.f.ph.id"), v.line(fp(p, "id"), item.ID, "ask_surname", func(s string) { item.ID = s }), fp(p, "id"))
		v.add(&r, v.t("tr.f.ph.situation"), v.line(fp(p, "situation"), item.Situation, "", func(s string) { item.Situation = s }), fp(p, "situation"))
		v.add(&r, v.t("tr.f.ph.say"), v.tmpl(fp(p, "say"), item.Say, 3, func(s string) { item.Say = s }), fp(p, "say"))
		never := fp(p, "never")
		v.add(&r, v.t("tr.f.never"), v.list(never, item.Never, func(x []string) { item.Never = x }), listPaths(never, len(item.Never))...)
		up, down, remove := moves(&f.Phrases, i)
		out.Add(v.itemHead(fmt.Sprintf("%s %d", v.t("tr.sec.phrases"), i+1), up, down, remove))
		out.Add(v.errorsAt(p))
		out.Add(grid(r))
		out.Add(widget.NewSeparator())
	}
	out.Add(v.addButton("tr.ph.add", func() { f.Phrases = append(f.Phrases, desk.FormPhrase{}) }))
	return out
}

func (v *trainerView) complaintTab() fyne.CanvasObject {
	f := v.form
	out := container.NewVBox()
	for i := range f.Complaint {
		item := &f.Complaint[i]
		p := fp("complaint", item.ID)
		var r rows
		v.add(&r, v.t("tr.f.step.title"), v.line(fp(p, "title"), item.Title, "", func(s string) { item.Title = s }), fp(p, "title"))
		v.add(&r, v.t("tr.line.prompt"), v.tmpl(fp(p, "prompt"), item.Prompt, 3, func(s string) { item.Prompt = s }), fp(p, "prompt"))
		v.add(&r, v.t("tr.line.say"), v.tmpl(fp(p, "say"), item.Say, 2, func(s string) { item.Say = s }), fp(p, "say"))
		var remove func()
		if !slices.Contains(desk.ComplaintStepIDs(), item.ID) {
			_, _, remove = moves(&f.Complaint, i)
		}
		out.Add(v.itemHead(fmt.Sprintf("%d %s (%s)", i+1, item.Title, item.ID), nil, nil, remove))
		out.Add(v.errorsAt(p))
		out.Add(grid(r))
		out.Add(widget.NewSeparator())
	}
	for _, id := range desk.ComplaintStepIDs() {
		if slices.ContainsFunc(f.Complaint, func(s desk.FormStep) bool { return s.ID == id }) {
			continue
		}
		out.Add(v.errorsAt(fp("complaint", id)))
		out.Add(container.NewHBox(widget.NewButtonWithIcon(v.t("tr.step.add", map[string]any{"Step": id}), theme.ContentAddIcon(), func() {
			f.Complaint = append(f.Complaint, desk.FormStep{ID: id})
			v.reshape()
		})))
	}
	return out
}

func (v *trainerView) closingTab() fyne.CanvasObject {
	f := v.form
	c := &f.Closing
	out := container.NewVBox(v.heading("tr.sec.closing"))
	var r rows
	re := fp("closing", "reassure")
	v.add(&r, v.t("tr.f.reassure"), v.list(re, c.Reassure, func(x []string) { c.Reassure = x }), listPaths(re, len(c.Reassure))...)
	v.add(&r, v.t("tr.line.thanks"), v.tmpl(fp("closing", "thanks"), c.Thanks, 2, func(s string) { c.Thanks = s }), fp("closing", "thanks"))
	v.add(&r, v.t("tr.line.goodbye"), v.tmpl(fp("closing", "goodbye"), c.Goodbye, 2, func(s string) { c.Goodbye = s }), fp("closing", "goodbye"))
	hang := fp("closing", "hang_up_first")
	v.add(&r, v.t("tr.f.hangup"), v.line(hang, c.HangUpFirst, "", func(s string) { c.HangUpFirst = s }), hang)
	out.Add(grid(r))

	out.Add(v.heading("tr.sec.callback"))
	out.Add(v.errorsAt("callback"))
	for i := range f.Callback {
		item := &f.Callback[i]
		p := ix("callback", i)
		var cr rows
		v.add(&cr, v.t("tr.f.cb.id"), v.line(fp(p, "id"), item.ID, "open", func(s string) { item.ID = s }), fp(p, "id"))
		v.add(&cr, v.t("tr.f.cb.when"), v.line(fp(p, "when"), item.When, "", func(s string) { item.When = s }), fp(p, "when"))
		v.add(&cr, v.t("tr.line.say"), v.tmpl(fp(p, "say"), item.Say, 3, func(s string) { item.Say = s }), fp(p, "say"))
		up, down, remove := moves(&f.Callback, i)
		out.Add(v.itemHead(fmt.Sprintf("%s %d", v.t("tr.sec.callback"), i+1), up, down, remove))
		out.Add(v.errorsAt(p))
		out.Add(grid(cr))
		out.Add(widget.NewSeparator())
	}
	out.Add(v.addButton("tr.cb.add", func() { f.Callback = append(f.Callback, desk.FormLine{}) }))
	return out
}
