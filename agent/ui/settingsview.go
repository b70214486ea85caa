package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

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
	v.save = widget.NewButton(v.t("btn.save"), v.onSave)
	v.save.Importance = widget.HighImportance
	if v.shell.opts.SaveConfig == nil {
		v.save.Hide()
	}
	v.checks = container.NewVBox()
	v.run = widget.NewButton(v.t("btn.run"), v.onRun)
	return container.NewVScroll(container.NewVBox(form, container.NewHBox(v.save),
		widget.NewCard(v.t("check"), "", container.NewVBox(v.run, v.checks))))
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
	c, save := v.values(), v.shell.opts.SaveConfig
	v.save.Disable()
	v.shell.run("settings-save", func() error { return save(c) }, func(err error) {
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
