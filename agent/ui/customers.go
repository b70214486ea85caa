package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"agentdesk/agent"
	"agentdesk/agent/desk"
)

// customersView is the desk's customer search and edit panel. Searching and
// saving run in the background; the newest search's answer wins.
type customersView struct {
	shell   *Window
	query   *field
	results *fyne.Container
	search  *widget.Button
	seq     int
}

func (v *customersView) t(id string) string { return tr(v.shell.lang, id) }

func (v *customersView) buildUI() fyne.CanvasObject {
	v.query = newField(v.shell, v.t("customers.query"))
	v.query.OnSubmitted = func(string) { v.onSearch() }
	v.results = container.NewVBox()
	v.search = widget.NewButton(v.t("btn.search"), v.onSearch)
	add := widget.NewButton(v.t("customers.new"), func() { v.onEdit(agent.Customer{}) })
	return container.NewBorder(container.NewBorder(nil, nil, nil, container.NewHBox(v.search, add), v.query),
		nil, nil, nil, container.NewVScroll(v.results))
}

func (v *customersView) onSearch() {
	q := strings.TrimSpace(v.query.Text)
	v.seq++
	seq, d := v.seq, v.shell.desk
	var found []agent.Customer
	v.search.SetText(v.t("btn.search") + " …")
	v.shell.run("search", func() error {
		var err error
		found, err = d.SearchCustomers(q)
		return err
	}, func(err error) {
		v.search.SetText(v.t("btn.search"))
		if err != nil {
			v.shell.warn(errText(v.shell.lang, err))
			return
		}
		if seq == v.seq {
			v.show(found)
		}
	})
}

func (v *customersView) show(rows []agent.Customer) {
	v.results.RemoveAll()
	if len(rows) == 0 {
		v.results.Add(widget.NewLabel(v.t("customers.none")))
	}
	for _, c := range rows {
		label := c.Name
		if len(c.Phones) > 0 {
			label += "  " + c.Phones[0]
		}
		if c.Member {
			label += "  ★"
		}
		b := widget.NewButton(label, func() { v.onEdit(c) })
		b.Alignment = widget.ButtonAlignLeading
		v.results.Add(b)
	}
}

// onEdit opens the edit form; the desk validates on save.
func (v *customersView) onEdit(c agent.Customer) {
	name, surname, phone := newField(v.shell, ""), newField(v.shell, ""), newField(v.shell, "")
	name.SetText(c.Name)
	surname.SetText(c.Surname)
	if len(c.Phones) > 0 {
		phone.SetText(c.Phones[0])
	}
	titles := []agent.Title{agent.TitleMr, agent.TitleMs}
	title := newSelect(v.shell, []string{v.t("caller.mr"), v.t("caller.ms")}, nil)
	title.PlaceHolder = "—"
	for i, t := range titles {
		if t == c.Title {
			title.SetSelectedIndex(i)
		}
	}
	member := newCheck(v.shell, v.t("caller.member"), nil)
	member.SetChecked(c.Member)
	form := widget.NewForm(
		widget.NewFormItem(v.t("customers.name"), name),
		widget.NewFormItem(v.t("tr.surname"), container.NewGridWithColumns(2, surname, title)),
		widget.NewFormItem(v.t("customers.phone"), phone),
		widget.NewFormItem("", member),
	)
	v.shell.form(v.t("customers"), form, name, func() {
		e := desk.CustomerEdit{ID: c.ID, Name: name.Text, Surname: surname.Text, Phone: phone.Text, Member: member.Checked}
		if i := title.SelectedIndex(); i >= 0 {
			e.Title = titles[i]
		}
		d := v.shell.desk
		v.shell.run("customer", func() error { _, err := d.SaveCustomer(e); return err }, func(err error) {
			if err != nil {
				v.shell.warn(v.t("customers.invalid"))
				return
			}
			v.shell.info(v.t("customers.saved"))
			if v.query.Text != "" {
				v.onSearch()
			}
		})
	})
}
