package desk

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// CheckName names an item of the pre-shift self-check; the window shows
// it as message "check." + name.
type CheckName string

// The self-check's items.
const (
	CheckPBX    CheckName = "pbx"
	CheckData   CheckName = "data"
	CheckHub    CheckName = "hub"
	CheckOutbox CheckName = "outbox"
	CheckClock  CheckName = "clock"
	CheckAudio  CheckName = "audio"
	CheckGhosts CheckName = "ghosts"
	CheckSealed CheckName = "sealed"
)

// Check is one line of the self-check. Detail is data (an address, a
// count, the cause of a failure as the component reported it), shown
// beside the translated name.
type Check struct {
	Name    CheckName
	OK      bool
	Skipped bool
	Detail  string
}

// Checker adds items to the self-check; it may wait on the network or a
// device, bounded by ctx.
type Checker func(ctx context.Context) []Check

// SelfCheck runs the pre-shift checks: the phone line, the data file, the
// hub's items, then the extra checkers (sound card…). It blocks on disk and
// network, bounded by ctx; call it off the UI thread.
func (d *Desk) SelfCheck(ctx context.Context) []Check {
	s := d.State()
	var out []Check
	switch r := s.Registration; {
	case r.Practice:
		out = append(out, Check{Name: CheckPBX, Skipped: true, Detail: "practice"})
	case r.Status == RegRegistered:
		out = append(out, Check{Name: CheckPBX, OK: true, Detail: d.cfg.PBX.URI})
	default:
		out = append(out, Check{Name: CheckPBX, Detail: joinDetail(d.cfg.PBX.URI, r.Reason)})
	}
	out = append(out, result(CheckData, d.checkData(), d.st.Path()))
	if d.hub == nil {
		out = append(out, Check{Name: CheckHub, Skipped: true})
		n, _, err := d.st.OutboxStats()
		out = append(out, result(CheckOutbox, err, fmt.Sprint(n)))
	} else {
		out = append(out, d.hub.Checks(ctx)...)
	}
	for _, c := range d.checks {
		out = append(out, c(ctx)...)
	}
	return out
}

// checkData writes and removes a probe next to the data file and checks
// the file's integrity.
func (d *Desk) checkData() error {
	probe := filepath.Join(filepath.Dir(d.st.Path()), ".selfcheck")
	if err := os.WriteFile(probe, []byte("ok"), 0o600); err != nil {
		return err
	}
	if err := os.Remove(probe); err != nil {
		return err
	}
	return d.st.Check()
}

func result(name CheckName, err error, detail string) Check {
	if err != nil {
		return Check{Name: name, Detail: err.Error()}
	}
	return Check{Name: name, OK: true, Detail: detail}
}

func joinDetail(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + " · " + b
}
