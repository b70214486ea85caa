package main

import (
	"errors"
	"fmt"
	"time"

	"agentdesk/scripts"
)

func init() {
	register(&command{
		name:    "scripts validate",
		usage:   "FILE... [--data DIR]",
		summary: "check script packs; print every problem as file:line",
		run:     scriptsValidate,
	})
	register(&command{
		name:    "scripts preview",
		usage:   "FILE --at RFC3339 [--name SURNAME --title 先生|女士] [--silent] [--outbound] [--agent NAME] [--agent-number N] [--service S --service-time T] [--data DIR]",
		summary: "show what a script pack says at an instant",
		run:     scriptsPreview,
	})
	register(&command{
		name:    "scripts default",
		usage:   "[--lang zh-Hans|zh-Hant|en]",
		summary: "print a built-in script pack, to copy and edit",
		run:     scriptsDefault,
	})
}

// reportPackErrors prints each problem of a pack on its own line of stderr
// and returns a short error; other errors are returned as they are.
func reportPackErrors(e *env, err error) error {
	var pes scripts.PackErrors
	if !errors.As(err, &pes) {
		return err
	}
	for _, pe := range pes {
		fmt.Fprintln(e.stderr, pe)
	}
	n := len(pes)
	if n == 1 {
		return fmt.Errorf("%s: 1 problem", pes[0].File)
	}
	return fmt.Errorf("%s: %d problems", pes[0].File, n)
}

func scriptsValidate(e *env, args []string) error {
	fs := newScriptsFlagSet("scripts validate", e)
	_ = fs.String("data", "", "the desk's data directory (unused)")
	files, err := parseScriptsArgs(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return errUsage
	}
	bad := 0
	for _, f := range files {
		p, err := scripts.LoadFile(f)
		if err != nil {
			var pes scripts.PackErrors
			if !errors.As(err, &pes) {
				return err
			}
			for _, pe := range pes {
				fmt.Fprintln(e.stderr, pe)
			}
			bad++
			continue
		}
		fmt.Fprintf(e.stdout, "%s: ok (%s)\n", f, p.Lang())
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d script packs have problems", bad, len(files))
	}
	return nil
}

// fillHints says which flag provides a variable preview could not fill.
var fillHints = map[string]string{
	"agent_name":    "--agent",
	"agent_surname": "--agent",
	"agent_number":  "--agent-number",
	"service":       "--service",
	"service_time":  "--service-time",
}

func scriptsPreview(e *env, args []string) error {
	fs := newScriptsFlagSet("scripts preview", e)
	cf := addCallFlags(fs)
	service := fs.String("service", "", "the service item a callback is about")
	serviceTime := fs.String("service-time", "", "when the customer received it")
	replyHours := fs.String("reply-hours", "2", "hours promised for a complaint's answer")
	files, err := parseScriptsArgs(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 || cf.at == "" {
		return errUsage
	}
	p, err := scripts.LoadFile(files[0])
	if err != nil {
		return reportPackErrors(e, err)
	}
	req, err := cf.request(time.Time{})
	if err != nil {
		return err
	}
	req.Vars = map[string]string{}
	for k, v := range map[string]string{"service": *service, "service_time": *serviceTime, "reply_hours": *replyHours} {
		if v != "" {
			req.Vars[k] = v
		}
	}
	w := e.stdout
	say := func(tmpl string) string {
		s, err := p.Render(tmpl, req)
		if err == nil {
			return s
		}
		var mv *scripts.MissingValueError
		if errors.As(err, &mv) {
			if h, ok := fillHints[mv.Var]; ok {
				return fmt.Sprintf("(needs {{%s}}: give %s) %s", mv.Var, h, tmpl)
			}
		}
		return fmt.Sprintf("(%v) %s", err, tmpl)
	}
	local := req.At.In(p.TimeZone())
	fmt.Fprintf(w, "pack:       %s (%s, company %q)\n", files[0], p.Lang(), p.Company())
	fmt.Fprintf(w, "at:         %s %s (%s)\n", local.Format("2006-01-02 15:04"), local.Weekday(), p.TimeZone())
	if h, r, ok := p.HolidayPeriod(scripts.DateOf(local)); ok {
		source := "the default calendar"
		if r.Line > 0 {
			source = fmt.Sprintf("%s:%d", files[0], r.Line)
		}
		fmt.Fprintf(w, "holiday:    %s (%s) %s to %s, from %s\n", h.Name, h.ID, r.From, r.To, source)
	} else {
		fmt.Fprintf(w, "holiday:    none\n")
	}
	fmt.Fprintf(w, "greeting:   %s\n", p.Greeting(req.At))
	fmt.Fprintf(w, "salutation: %s\n", p.Salutation(req.Caller))
	tmpl, kind := p.OpeningTemplate(req)
	fmt.Fprintf(w, "opening:    %s   [%s]\n", say(tmpl), kind)
	o := p.Openings()
	fmt.Fprintf(w, "standard:   %s\n", say(o.Standard))
	if o.Short != "" {
		fmt.Fprintf(w, "short:      %s\n", say(o.Short))
	}
	fmt.Fprintf(w, "silent:     %s\n", say(o.Silent))
	fmt.Fprintf(w, "outbound:   %s\n", say(o.Outbound))
	for _, n := range o.Never {
		fmt.Fprintf(w, "never say:  %s\n", n)
	}
	fmt.Fprintln(w, "callback:")
	for _, l := range p.Callback() {
		fmt.Fprintf(w, "  %s: %s\n", l.When, say(l.Say))
	}
	c := p.Closing()
	for _, r := range c.Reassure {
		fmt.Fprintf(w, "reassure:   %s\n", say(r))
	}
	if c.Thanks != "" {
		fmt.Fprintf(w, "thanks:     %s\n", say(c.Thanks))
	}
	fmt.Fprintf(w, "goodbye:    %s\n", say(c.Goodbye))
	return nil
}

func scriptsDefault(e *env, args []string) error {
	fs := newScriptsFlagSet("scripts default", e)
	lang := fs.String("lang", scripts.DefaultLang, "language: zh-Hans, zh-Hant or en")
	pos, err := parseScriptsArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return errUsage
	}
	b, err := scripts.DefaultPackFile(*lang)
	if err != nil {
		return err
	}
	_, err = e.stdout.Write(b)
	return err
}
