package ui

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"agentdesk/agent/desk"
)

// SignInOptions are what the sign-in screen needs.
type SignInOptions struct {
	Lang    string
	Variant Variant
	Logger  *slog.Logger
	// SignIn checks the agent and opens the shift; it may take seconds
	// (the hub, the PIN's hashing, the data file) and runs off the Fyne
	// goroutine. A refusal is shown on the screen; on success the screen
	// is done (the caller shows the desk).
	SignIn func(ctx context.Context, number, pin string) error
	// Number fills in the agent number (the last one signed in here).
	Number string
	// Notice is a line above the form (why the screen is shown again).
	Notice string
	// Go starts the work off the Fyne goroutine (default: a goroutine).
	Go func(work func())
}

// SignIn is the sign-in screen: agent number and PIN, Return signs in.
type SignIn struct {
	w      fyne.Window
	o      SignInOptions
	lang   string
	number *widget.Entry
	pin    *widget.Entry
	button *widget.Button
	status *widget.Label
	busy   bool
}

// signInWidth is the sign-in form's width.
const signInWidth = 380

// ShowSignIn puts the sign-in screen into w; the PIN field has the
// keyboard when the number is known.
func ShowSignIn(a fyne.App, w fyne.Window, o SignInOptions) *SignIn {
	if o.Go == nil {
		o.Go = func(work func()) { go work() }
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	a.Settings().SetTheme(&Theme{Variant: o.Variant})
	s := &SignIn{w: w, o: o, lang: o.Lang}
	if s.lang == "" {
		s.lang = Langs[0]
	}
	s.build()
	return s
}

func (s *SignIn) build() {
	t := func(id string, args ...map[string]any) string { return tr(s.lang, id, args...) }
	s.w.SetTitle(t("app.title"))
	title := widget.NewLabelWithStyle(t("signin.title"), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameHeadingText
	s.number = widget.NewEntry()
	s.number.SetText(s.o.Number)
	s.pin = widget.NewPasswordEntry()
	s.number.OnSubmitted = func(string) { s.w.Canvas().Focus(s.pin) }
	s.pin.OnSubmitted = func(string) { s.submit() }
	s.button = widget.NewButtonWithIcon(t("signin.button"), theme.LoginIcon(), s.submit)
	s.button.Importance = widget.HighImportance
	s.status = widget.NewLabel(s.o.Notice)
	s.status.Wrapping = fyne.TextWrapWord
	s.status.Importance = widget.WarningImportance
	langs := make([]string, len(Langs))
	for i, l := range Langs {
		langs[i] = langNames[l]
	}
	pick := widget.NewSelect(langs, func(name string) {
		for _, l := range Langs {
			if langNames[l] == name && l != s.lang {
				number := s.number.Text
				s.lang = l
				s.o.Number = number
				s.build()
				return
			}
		}
	})
	pick.SetSelected(langNames[s.lang])
	// The message area keeps its size whatever it says, so the fields stay
	// where they are between tries.
	status := container.NewGridWrap(fyne.NewSize(signInWidth, 3*theme.TextSize()+4*theme.Padding()), s.status)
	form := container.NewVBox(title, widget.NewSeparator(),
		widget.NewLabel(t("signin.number")), s.number,
		widget.NewLabel(t("signin.pin")), s.pin,
		s.button, status, widget.NewSeparator(), pick)
	s.w.SetContent(container.NewCenter(container.NewGridWrap(fyne.NewSize(signInWidth, form.MinSize().Height), form)))
	if s.number.Text == "" {
		s.w.Canvas().Focus(s.number)
	} else {
		s.w.Canvas().Focus(s.pin)
	}
}

// submit signs in with what is typed, off the Fyne goroutine; the button
// says so while it runs, and a refusal is said on the screen with the PIN
// cleared for the next try.
func (s *SignIn) submit() {
	if s.busy {
		return
	}
	number, pin := s.number.Text, s.pin.Text
	if number == "" || pin == "" {
		s.status.Importance = widget.DangerImportance
		s.status.SetText(tr(s.lang, "signin.empty"))
		return
	}
	s.busy = true
	s.button.Disable()
	s.button.SetText(tr(s.lang, "signin.busy"))
	s.status.Importance = widget.MediumImportance
	s.status.SetText("")
	s.o.Go(func() {
		err := s.o.SignIn(context.Background(), number, pin)
		fyne.Do(func() {
			s.busy = false
			s.button.Enable()
			s.button.SetText(tr(s.lang, "signin.button"))
			if err == nil {
				return
			}
			s.o.Logger.Warn("sign-in refused", "component", "ui", "agent_number", number, "error", err)
			s.pin.SetText("")
			s.status.Importance = widget.DangerImportance
			s.status.SetText(signInErrText(s.lang, err))
			s.w.Canvas().Focus(s.pin)
		})
	})
}

// signInErrText says why a sign-in was refused, chosen by the error's type.
func signInErrText(lang string, err error) string {
	var locked *desk.SignInLockedError
	switch {
	case errors.As(err, &locked):
		return tr(lang, "signin.locked", map[string]any{"Wait": waitText(lang, locked.RetryAfter)})
	case errors.Is(err, desk.ErrWrongPIN):
		return tr(lang, "signin.wrong")
	case errors.Is(err, desk.ErrSignInNeedsHub):
		return tr(lang, "signin.needshub")
	case errors.Is(err, desk.ErrSignInExpired):
		return tr(lang, "signin.expired")
	case errors.Is(err, desk.ErrAgentDisabled):
		return tr(lang, "signin.disabled")
	case errors.Is(err, desk.ErrDeskRefused):
		return tr(lang, "signin.desk")
	case errors.Is(err, desk.ErrHubKeyChanged):
		return tr(lang, "signin.hubkey")
	}
	if t := errText(lang, err); t != tr(lang, "err.generic") {
		return t
	}
	return tr(lang, "signin.failed")
}

// waitText is a wait in whole minutes, or seconds under a minute.
func waitText(lang string, d time.Duration) string {
	if d < time.Minute {
		return tr(lang, "signin.seconds", map[string]any{"N": int((d + time.Second - 1) / time.Second)})
	}
	return tr(lang, "signin.minutes", map[string]any{"N": int((d + time.Minute - 1) / time.Minute)})
}

// SignedOutNotice is the sign-in screen's line after a sign-out.
func SignedOutNotice(lang string) string { return tr(lang, "signin.signedout") }
