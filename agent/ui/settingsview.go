package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// Settings are the values the settings panel edits (cmd/agentdesk maps
// them to desk.Config).
type Settings struct {
	Lang, Theme                  string
	PBXURI, PBXUser, PBXPassword string
	HubURL, HubToken             string
	TimeZone, Data               string
	AgentName, AgentNumber       string
}

// CheckResult is one line of the self-check. Name is a message id
// ("check.pbx", "check.data", "check.hub", "check.outbox", "check.clock").
type CheckResult struct {
	Name    string
	OK      bool
	Skipped bool
	Detail  string
}

// settingsView edits the settings, switches language and theme live and
// runs the pre-shift self-check.
type settingsView struct {
	shell   *Window
	lang    *widget.Select
	variant *widget.RadioGroup
	fields  map[string]*widget.Entry
	checks  *fyne.Container
	run     *widget.Button
}

func newSettingsView(s *Window) *settingsView { return &settingsView{shell: s} }

func (v *settingsView) t(id string) string { return tr(v.shell.lang, id) }

var langNames = map[string]string{"zh-Hans": "简体中文", "zh-Hant": "繁體中文", "en": "English"}

func (v *settingsView) buildUI() fyne.CanvasObject {
	names := make([]string, len(Langs))
	for i, l := range Langs {
		names[i] = langNames[l]
	}
	v.lang = widget.NewSelect(names, nil)
	v.lang.SetSelectedIndex(langIndex(v.shell.lang))
	v.lang.OnChanged = func(string) { v.onLang() }
	variants := []string{v.t("theme.system"), v.t("theme.light"), v.t("theme.dark")}
	v.variant = widget.NewRadioGroup(variants, nil)
	v.variant.Horizontal = true
	v.variant.SetSelected(variants[v.shell.theme.Variant])
	v.variant.OnChanged = func(string) { v.onVariant() }

	st := v.shell.opts.Settings
	v.fields = map[string]*widget.Entry{}
	entry := func(key, val string, secret bool) *widget.Entry {
		e := widget.NewEntry()
		if secret {
			e = widget.NewPasswordEntry()
		}
		e.SetText(val)
		v.fields[key] = e
		return e
	}
	form := widget.NewForm(
		widget.NewFormItem(v.t("set.lang"), v.lang),
		widget.NewFormItem(v.t("set.theme"), v.variant),
		widget.NewFormItem(v.t("set.agent"), container.NewGridWithColumns(2,
			entry("agent_name", st.AgentName, false), entry("agent_number", st.AgentNumber, false))),
		widget.NewFormItem(v.t("set.pbx"), entry("pbx_uri", st.PBXURI, false)),
		widget.NewFormItem(v.t("set.user"), entry("pbx_user", st.PBXUser, false)),
		widget.NewFormItem(v.t("set.password"), entry("pbx_password", st.PBXPassword, true)),
		widget.NewFormItem(v.t("set.hub"), entry("hub_url", st.HubURL, false)),
		widget.NewFormItem(v.t("set.token"), entry("hub_token", st.HubToken, true)),
		widget.NewFormItem(v.t("set.tz"), entry("time_zone", st.TimeZone, false)),
		widget.NewFormItem(v.t("set.data"), entry("data", st.Data, false)),
	)
	v.fields["pbx_uri"].SetPlaceHolder(v.t("set.practice"))
	save := widget.NewButton(v.t("btn.save"), v.onSave)
	save.Importance = widget.HighImportance
	if v.shell.opts.SaveSettings == nil {
		save.Hide()
	}
	v.checks = container.NewVBox()
	v.run = widget.NewButton(v.t("btn.run"), v.onRun)
	if v.shell.opts.SelfCheck == nil {
		v.run.Hide()
	}
	return container.NewVScroll(container.NewVBox(form, container.NewHBox(save),
		widget.NewCard(v.t("check"), "", container.NewVBox(v.run, v.checks))))
}

func (v *settingsView) values() Settings {
	f := func(k string) string { return v.fields[k].Text }
	return Settings{
		Lang: Langs[max(0, v.lang.SelectedIndex())], Theme: v.selectedVariant().String(),
		PBXURI: f("pbx_uri"), PBXUser: f("pbx_user"), PBXPassword: f("pbx_password"),
		HubURL: f("hub_url"), HubToken: f("hub_token"), TimeZone: f("time_zone"), Data: f("data"),
		AgentName: f("agent_name"), AgentNumber: f("agent_number"),
	}
}

func (v *settingsView) onLang() {
	// Keep what was typed across the rebuild.
	v.shell.opts.Settings = v.values()
	v.shell.SetLang(Langs[v.lang.SelectedIndex()])
}

func (v *settingsView) onVariant() {
	v.shell.opts.Settings = v.values()
	v.shell.SetVariant(v.selectedVariant())
}

func (v *settingsView) onSave() {
	st := v.values()
	if err := v.shell.opts.SaveSettings(st); err != nil {
		v.shell.log.Warn("save settings", "error", err)
		v.shell.warn(v.t("err.save"))
		return
	}
	v.shell.opts.Settings = st
	v.shell.info(v.t("set.saved"))
}

// onRun runs the checks off the UI goroutine; they may wait on the network.
func (v *settingsView) onRun() {
	v.run.Disable()
	check := v.shell.opts.SelfCheck
	go func() {
		res := check()
		fyne.Do(func() { v.showChecks(res) })
	}()
}

func (v *settingsView) showChecks(res []CheckResult) {
	v.run.Enable()
	v.checks.RemoveAll()
	for _, r := range res {
		state, imp := v.t("check.ok"), widget.SuccessImportance
		switch {
		case r.Skipped:
			state, imp = v.t("check.skip"), widget.MediumImportance
		case !r.OK:
			state, imp = v.t("check.fail"), widget.DangerImportance
		}
		l := widget.NewLabel(v.t(r.Name) + "：" + state + "  " + r.Detail)
		l.Importance = imp
		l.Wrapping = fyne.TextWrapWord
		v.checks.Add(l)
	}
}

func (v *settingsView) selectedVariant() Variant {
	for i, o := range v.variant.Options {
		if o == v.variant.Selected {
			return Variant(i)
		}
	}
	return VariantSystem
}
