package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// customersView is the desk's customer search and edit panel.
type customersView struct {
	shell   *Window
	query   *widget.Entry
	results *fyne.Container
	rows    []CustomerRow
}

func (v *customersView) t(id string) string { return tr(v.shell.lang, id) }

func (v *customersView) buildUI() fyne.CanvasObject {
	v.query = widget.NewEntry()
	v.query.SetPlaceHolder(v.t("customers.query"))
	v.query.OnSubmitted = func(string) { v.onSearch() }
	v.results = container.NewVBox()
	search := widget.NewButton(v.t("btn.search"), v.onSearch)
	add := widget.NewButton(v.t("customers.new"), func() { v.onEdit(CustomerRow{}) })
	return container.NewBorder(container.NewBorder(nil, nil, nil, container.NewHBox(search, add), v.query),
		nil, nil, nil, container.NewVScroll(v.results))
}

func (v *customersView) onSearch() {
	q := strings.TrimSpace(v.query.Text)
	rows, err := v.shell.backend.SearchCustomers(q)
	if err != nil {
		v.shell.do(err)
		return
	}
	v.rows = rows
	v.results.RemoveAll()
	if len(rows) == 0 {
		v.results.Add(widget.NewLabel(v.t("customers.none")))
	}
	for _, r := range rows {
		r := r
		label := r.Name + "  " + r.Phone
		if r.Member {
			label += "  ★"
		}
		b := widget.NewButton(label, func() { v.onEdit(r) })
		b.Alignment = widget.ButtonAlignLeading
		v.results.Add(b)
	}
}

// onEdit opens the edit form; the desk validates on save.
func (v *customersView) onEdit(r CustomerRow) {
	name, surname, phone := widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	name.SetText(r.Name)
	surname.SetText(r.Surname)
	phone.SetText(r.Phone)
	title := widget.NewSelect([]string{"先生", "女士"}, nil)
	title.PlaceHolder = "—"
	title.SetSelected(r.Title)
	member := widget.NewCheck(v.t("caller.member"), nil)
	member.SetChecked(r.Member)
	form := widget.NewForm(
		widget.NewFormItem(v.t("customers.name"), name),
		widget.NewFormItem(v.t("tr.surname"), container.NewGridWithColumns(2, surname, title)),
		widget.NewFormItem(v.t("customers.phone"), phone),
		widget.NewFormItem("", member),
	)
	v.shell.form(v.t("customers"), form, func() {
		r.Name, r.Surname, r.Title, r.Phone, r.Member = name.Text, surname.Text, title.Selected, phone.Text, member.Checked
		if err := v.shell.backend.SaveCustomer(r); err != nil {
			v.shell.log.Warn("save customer", "error", err)
			v.shell.warn(v.t("customers.invalid"))
			return
		}
		v.shell.info(v.t("customers.saved"))
		if v.query.Text != "" {
			v.onSearch()
		}
	})
}
