package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// ShowStartupError shows why the desk could not start, in lang, and runs
// the app until the agent closes the window: on Windows there is no
// console, so a desk that vanished silently would leave the agent with
// nothing. msgID names the cause ("start.locked", "start.config"…); detail
// is the error itself, for whoever supports the desk.
func ShowStartupError(a fyne.App, lang, msgID, detail string) {
	a.Settings().SetTheme(&Theme{})
	w := a.NewWindow(tr(lang, "app.title"))
	msg := widget.NewLabelWithStyle(tr(lang, msgID), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	msg.Wrapping = fyne.TextWrapWord
	more := widget.NewLabel(detail)
	more.Wrapping = fyne.TextWrapWord
	hint := widget.NewLabel(tr(lang, "start.log"))
	hint.Wrapping = fyne.TextWrapWord
	closeBtn := widget.NewButton(tr(lang, "btn.close"), a.Quit)
	closeBtn.Importance = widget.HighImportance
	w.SetContent(container.NewBorder(nil, container.NewHBox(closeBtn), nil, nil,
		container.NewVBox(msg, more, hint)))
	w.Resize(fyne.NewSize(560, 260))
	w.ShowAndRun()
}
