package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
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
		usage:   "FILE --at RFC3339 [--name SURNAME --title 先生|女士] [--silent] [--outbound] [--agent NAME] [--agent-number N] [--service S --service-time DATE] [--reply-hours H] [--reply-by RFC3339] [--data DIR]",
		summary: "show every line of a script pack as said at an instant, to a caller",
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

// fillHints says which flag gives a variable scripts preview had no value
// for.
var fillHints = map[string]string{
	"agent_name":    "--agent",
	"agent_surname": "--agent",
	"agent_number":  "--agent-number",
	"service":       "--service",
	"service_time":  "--service-time",
	"reply_hours":   "--reply-hours",
	"reply_by":      "--reply-by",
	"surname":       "--name",
	"title":         "--title",
	"salutation":    "--name and --title",
}

func scriptsPreview(e *env, args []string) error {
	fs := newScriptsFlagSet("scripts preview", e)
	cf := addCallFlags(fs)
	service := fs.String("service", "", "the service item a callback is about")
	serviceTime := fs.String("service-time", "", "when the customer received it: a date (2026-11-20) or as it is said (11月20日)")
	replyHours := fs.Int("reply-hours", 2, "hours promised for a complaint's answer (0: none)")
	replyBy := fs.String("reply-by", "", "the agreed time of a complaint's next answer, RFC3339")
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
	req.Service, req.ReplyHours = *service, *replyHours
	req.Vars = map[string]string{}
	switch t, err := time.Parse("2006-01-02", *serviceTime); {
	case *serviceTime == "":
	case err == nil:
		req.ServiceTime = time.Date(t.Year(), t.Month(), t.Day(), 12, 0, 0, 0, p.TimeZone())
	default:
		req.Vars["service_time"] = *serviceTime
	}
	if *replyBy != "" {
		if req.ReplyBy, err = time.Parse(time.RFC3339, *replyBy); err != nil {
			return fmt.Errorf("--reply-by %q: want a time like 2026-10-02T15:00:00+08:00", *replyBy)
		}
	}
	printPreview(e.stdout, files[0], p, p.Preview(req))
	return nil
}

// printPreview writes every section of a pack rendered: the instant and
// who is called, the opening chosen, then the openings, holiday greetings,
// phrase book, complaint steps, closing and callback script, and last the
// lines that had a variable without a value (shown as a placeholder).
func printPreview(w io.Writer, file string, p *scripts.Pack, pv scripts.Preview) {
	line := func(label, text string) { fmt.Fprintf(w, "%-12s%s\n", label+":", text) }
	line("pack", fmt.Sprintf("%s (%s, company %q)", file, p.Lang(), p.Company()))
	line("at", fmt.Sprintf("%s %s (%s)", pv.At.Format("2006-01-02 15:04"), pv.At.Weekday(), p.TimeZone()))
	line("caller", fmt.Sprintf("%s (%s)", pv.Caller, pv.Salutation))
	if h := pv.Holiday; h != nil {
		source := "the default calendar"
		if h.Period.Line > 0 {
			source = fmt.Sprintf("%s:%d", file, h.Period.Line)
		}
		line("holiday", fmt.Sprintf("%s (%s) %s to %s, from %s", h.Holiday.Name, h.Holiday.ID, h.Period.From, h.Period.To, source))
	} else {
		line("holiday", "none")
	}
	line("greeting", pv.Greeting)
	line("salutation", pv.Salutation)
	line("opening", fmt.Sprintf("%s   [%s]", pv.Opening.Chosen.Text, pv.Opening.Kind))

	o := pv.Opening
	fmt.Fprintln(w, "\n[opening]")
	for _, l := range []struct {
		label string
		r     scripts.Rendered
	}{{"standard", o.Standard}, {"short", o.Short}, {"silent", o.Silent}, {"outbound", o.Outbound}} {
		if l.r.Path != "" {
			line(l.label, l.r.Text)
		}
	}
	for _, n := range o.Never {
		line("never say", n)
	}

	fmt.Fprintln(w, "\n[holidays]")
	for _, h := range pv.Holidays {
		period := "no period this year"
		if h.Period.From.Year != 0 {
			period = fmt.Sprintf("%s to %s (%s)", h.Period.From, h.Period.To, h.Period.Source)
		}
		fmt.Fprintf(w, "%s (%s), %s:\n  %s\n", h.Holiday.Name, h.Holiday.ID, period, h.Greeting.Text)
	}

	fmt.Fprintln(w, "\n[phrases]")
	for _, ph := range pv.Phrases {
		fmt.Fprintf(w, "%s — %s:\n  %s\n", ph.ID, ph.Situation, ph.Say.Text)
		for _, n := range ph.Never {
			fmt.Fprintf(w, "  never say: %s\n", n)
		}
	}

	fmt.Fprintln(w, "\n[complaint]")
	for _, s := range pv.Complaint {
		fmt.Fprintf(w, "%s %s:\n  prompt: %s\n", s.ID, s.Title, s.Prompt.Text)
		if s.Say.Path != "" {
			fmt.Fprintf(w, "  say:    %s\n", s.Say.Text)
		}
	}

	c := pv.Closing
	fmt.Fprintln(w, "\n[closing]")
	for _, r := range c.Reassure {
		line("reassure", r.Text)
	}
	if c.Thanks.Path != "" {
		line("thanks", c.Thanks.Text)
	}
	line("goodbye", c.Goodbye.Text)
	line("reminder", c.HangUpFirst)

	fmt.Fprintln(w, "\n[callback]")
	for _, l := range pv.Callback {
		fmt.Fprintf(w, "%s: %s\n", l.When, l.Say.Text)
	}

	if probs := pv.Problems(); len(probs) > 0 {
		fmt.Fprintln(w, "\n[missing values]")
		for _, mv := range probs {
			var hints []string
			for _, v := range mv.Vars {
				h := v
				if f, ok := fillHints[v]; ok {
					h += " (give " + f + ")"
				}
				hints = append(hints, h)
			}
			fmt.Fprintf(w, "%s: %s\n", mv.Path, strings.Join(hints, ", "))
		}
	}
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
