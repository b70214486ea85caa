// Command barewindow is the yardstick for tools/measure.sh: a Fyne window
// with one label, built and run the same way as agentdesk. It prints
// "ready" on stderr when the app has started, as agentdesk does when
// AGENTDESK_READY=1.
package main

import (
	"fmt"
	"os"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"
)

func main() {
	a := app.NewWithID("com.agentdesk.barewindow")
	w := a.NewWindow("bare")
	w.SetContent(widget.NewLabel("Hello"))
	w.Resize(fyne.NewSize(1280, 720))
	a.Lifecycle().SetOnStarted(func() { fmt.Fprintln(os.Stderr, "ready") })
	w.ShowAndRun()
}
