package ui

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"agentdesk/agent"
	"agentdesk/agent/desk"
)

// settingsView edits the desk's config, switches language and theme live
// and runs the pre-shift self-check.
type settingsView struct {
	shell   *Window
	lang    *selectBox
	variant *selectBox
	fields  map[string]*field
	checks  *fyne.Container
	run     *widget.Button
	save    *widget.Button
}

func newSettingsView(s *Window) *settingsView { return &settingsView{shell: s} }

func (v *settingsView) t(id string) string { return tr(v.shell.lang, id) }

var langNames = map[string]string{"zh-Hans": "简体中文", "zh-Hant": "繁體中文", "en": "English"}

// selfCheckTimeout bounds the whole self-check.
const selfCheckTimeout = 20 * time.Second

func (v *settingsView) buildUI() fyne.CanvasObject {
	names := make([]string, len(Langs))
	for i, l := range Langs {
		names[i] = langNames[l]
	}
	v.lang = newSelect(v.shell, names, nil)
	v.lang.SetSelectedIndex(langIndex(v.shell.lang))
	v.lang.OnChanged = func(string) { v.onLang() }
	variants := []string{v.t("theme.system"), v.t("theme.light"), v.t("theme.dark")}
	v.variant = newSelect(v.shell, variants, nil)
	v.variant.SetSelectedIndex(int(v.shell.thm.Variant))
	v.variant.OnChanged = func(string) { v.onVariant() }

	c := v.shell.opts.Config
	v.fields = map[string]*field{}
	entry := func(key, val string, secret bool) *field {
		e := newField(v.shell, "")
		e.Password = secret
		e.SetText(val)
		v.fields[key] = e
		return e
	}
	form := widget.NewForm(
		widget.NewFormItem(v.t("set.lang"), v.lang),
		widget.NewFormItem(v.t("set.theme"), v.variant),
		widget.NewFormItem(v.t("set.agent"), container.NewGridWithColumns(2,
			entry("agent_name", c.AgentName, false), entry("agent_number", c.AgentNumber, false))),
		widget.NewFormItem(v.t("set.pbx"), entry("pbx_uri", c.PBX.URI, false)),
		widget.NewFormItem(v.t("set.user"), entry("pbx_user", c.PBX.User, false)),
		widget.NewFormItem(v.t("set.password"), entry("pbx_password", string(c.PBX.Password), true)),
		widget.NewFormItem(v.t("set.hub"), entry("hub_url", c.Hub.URL, false)),
		widget.NewFormItem(v.t("set.token"), entry("hub_token", string(c.Hub.Token), true)),
		widget.NewFormItem(v.t("set.tz"), entry("time_zone", c.TimeZone, false)),
		widget.NewFormItem(v.t("set.data"), entry("data", c.Data, false)),
	)
	v.fields["pbx_uri"].SetPlaceHolder(v.t("set.practice"))
	center := v.centerForm(c)
	v.save = widget.NewButton(v.t("btn.save"), v.onSave)
	v.save.Importance = widget.HighImportance
	if v.shell.opts.SaveConfig == nil {
		v.save.Hide()
	}
	v.checks = container.NewVBox()
	v.run = widget.NewButton(v.t("btn.run"), v.onRun)
	return container.NewVScroll(container.NewVBox(form, widget.NewCard(v.t("set.center"), v.t("set.center.hint"), center),
		container.NewHBox(v.save), widget.NewCard(v.t("check"), "", container.NewVBox(v.run, v.checks))))
}

// values is the config with the form's values over it.
func (v *settingsView) values() desk.Config {
	f := func(k string) string { return v.fields[k].Text }
	c := v.shell.opts.Config
	c.Lang = Langs[max(0, v.lang.SelectedIndex())]
	c.Theme = v.selectedVariant().String()
	c.AgentName, c.AgentNumber = f("agent_name"), f("agent_number")
	c.PBX.URI, c.PBX.User, c.PBX.Password = f("pbx_uri"), f("pbx_user"), desk.Secret(f("pbx_password"))
	c.Hub.URL, c.Hub.Token = f("hub_url"), desk.Secret(f("hub_token"))
	c.TimeZone, c.Data = f("time_zone"), f("data")
	c.CenterSettings = v.centerValues(c.CenterSettings)
	return c
}

func (v *settingsView) onLang() {
	// Keep what was typed across the rebuild.
	v.shell.opts.Config = v.values()
	v.shell.SetLang(Langs[v.lang.SelectedIndex()])
}

func (v *settingsView) onVariant() {
	v.shell.opts.Config = v.values()
	v.shell.SetVariant(v.selectedVariant())
}

func (v *settingsView) onSave() {
	c, save, d := v.values(), v.shell.opts.SaveConfig, v.shell.desk
	center, err := c.Center()
	if err != nil {
		v.shell.warn(v.t("err.save") + "\n" + settingsText(v.shell.lang, err))
		return
	}
	v.save.Disable()
	v.shell.run("settings-save", func() error {
		if err := save(c); err != nil {
			return err
		}
		return d.SetCenter(center)
	}, func(err error) {
		v.save.Enable()
		if err != nil {
			v.shell.warn(v.t("err.save") + "\n" + errText(v.shell.lang, err))
			return
		}
		v.shell.opts.Config = c
		v.shell.info(v.t("set.saved"))
	})
}

// onRun runs the checks off the UI goroutine; they may wait on the network.
func (v *settingsView) onRun() {
	v.run.Disable()
	v.run.SetText(v.t("btn.run") + " …")
	d := v.shell.desk
	var res []desk.Check
	v.shell.run("selfcheck", func() error {
		ctx, cancel := context.WithTimeout(context.Background(), selfCheckTimeout)
		defer cancel()
		res = d.SelfCheck(ctx)
		return nil
	}, func(error) {
		v.run.Enable()
		v.run.SetText(v.t("btn.run"))
		v.showChecks(res)
	})
}

func (v *settingsView) showChecks(res []desk.Check) {
	v.checks.RemoveAll()
	for _, r := range res {
		state, imp := v.t("check.ok"), widget.SuccessImportance
		switch {
		case r.Skipped:
			state, imp = v.t("check.skip"), widget.MediumImportance
		case !r.OK:
			state, imp = v.t("check.fail"), widget.DangerImportance
		}
		l := widget.NewLabel(v.t("check."+string(r.Name)) + "：" + state + "  " + r.Detail)
		l.Importance = imp
		l.Wrapping = fyne.TextWrapWord
		v.checks.Add(l)
	}
}

func (v *settingsView) selectedVariant() Variant {
	if i := v.variant.SelectedIndex(); i >= 0 {
		return Variant(i)
	}
	return VariantSystem
}

// centerForm edits the center's rules ([center] of the config): quiet
// hours, the ring limit, the after-call-work limit, reply times, the
// callback deadline and the warning stages (one per line: name role
// minutes, and "from_raise" when counted from the warning).
func (v *settingsView) centerForm(c desk.Config) fyne.CanvasObject {
	cur, err := c.Center()
	if err != nil {
		cur, _ = agent.DefaultCenter()
	}
	s := agent.SettingsOf(cur)
	field := func(key, val string) *field {
		e := newField(v.shell, "")
		e.SetText(val)
		v.fields[key] = e
		return e
	}
	num := func(n int) string { return strconv.Itoa(n) }
	hours := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	stages := newArea(v.shell, "", 4)
	var lines []string
	for _, st := range s.Warning.Stages {
		l := fmt.Sprintf("%s %s %d", st.Name, st.Role, st.Minutes)
		if st.FromRaise {
			l += " from_raise"
		}
		lines = append(lines, l)
	}
	stages.SetText(strings.Join(lines, "\n"))
	v.fields["stages"] = stages
	return widget.NewForm(
		widget.NewFormItem(v.t("set.quiet"), field("quiet", strings.Join(s.QuietHours, ", "))),
		widget.NewFormItem(v.t("set.ring_limit"), field("ring_limit", num(s.RingLimitSeconds))),
		widget.NewFormItem(v.t("set.acw"), field("acw", num(s.AfterCallWorkSeconds))),
		widget.NewFormItem(v.t("set.reply_hours"), container.NewGridWithColumns(3, field("reply_simple", hours(s.ReplyHours.Simple)),
			field("reply_complex", hours(s.ReplyHours.Complex)), field("reply_major", hours(s.ReplyHours.Major)))),
		widget.NewFormItem(v.t("set.callback_days"), field("callback_days", num(s.CallbackDays))),
		widget.NewFormItem(v.t("set.raise_within"), field("raise_within", num(s.Warning.RaiseWithinMinutes))),
		widget.NewFormItem(v.t("set.stages"), stages),
	)
}

// centerValues reads the center form back over s; what is not a number
// stays as typed into an impossible value, so Center names the field.
func (v *settingsView) centerValues(s agent.CenterSettings) agent.CenterSettings {
	f := func(k string) string { return strings.TrimSpace(v.fields[k].Text) }
	num := func(k string) int {
		n, err := strconv.Atoi(f(k))
		if err != nil {
			return -1
		}
		return n
	}
	hours := func(k string) float64 {
		x, err := strconv.ParseFloat(f(k), 64)
		if err != nil {
			return -1
		}
		return x
	}
	s.QuietHours = nil
	for _, w := range strings.FieldsFunc(f("quiet"), func(r rune) bool { return r == ',' || r == '，' || r == ';' }) {
		s.QuietHours = append(s.QuietHours, strings.ReplaceAll(strings.TrimSpace(w), " ", ""))
	}
	s.RingLimitSeconds, s.AfterCallWorkSeconds, s.CallbackDays = num("ring_limit"), num("acw"), num("callback_days")
	s.ReplyHours = agent.ReplyHours{Simple: hours("reply_simple"), Complex: hours("reply_complex"), Major: hours("reply_major")}
	w := &agent.WarningSettings{RaiseWithinMinutes: num("raise_within")}
	for _, l := range strings.Split(f("stages"), "\n") {
		parts := strings.Fields(l)
		if len(parts) == 0 {
			continue
		}
		st := agent.StageSetting{Name: parts[0]}
		if len(parts) > 1 {
			st.Role = agent.Role(parts[1])
		}
		if len(parts) > 2 {
			st.Minutes, _ = strconv.Atoi(parts[2])
		}
		st.FromRaise = len(parts) > 3 && parts[3] == "from_raise"
		w.Stages = append(w.Stages, st)
	}
	s.Warning = w
	return s
}

// settingsText says which setting is wrong, in lang.
func settingsText(lang string, err error) string {
	var se *agent.SettingsError
	if errors.As(err, &se) {
		return tr(lang, "set.bad", map[string]any{"Field": se.Field, "Why": se.Msg})
	}
	return errText(lang, err)
}
