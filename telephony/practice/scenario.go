package practice

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/BurntSushi/toml"
)

// Scenario is a practice session: callers who ring one after another.
type Scenario struct {
	// Name labels the scenario in the trainer's list.
	Name string `toml:"name"`
	// Repeat starts again from the first caller after the last.
	Repeat bool `toml:"repeat"`
	// Callers ring in order; each waits for the previous call to end.
	Callers []Caller `toml:"caller"`
}

// Outcome is what a caller does if the agent does not answer in time.
type Outcome string

// Outcomes a scenario may name. The empty Outcome is GiveUp.
const (
	// GiveUp: the caller stops ringing after Ring; the call is missed.
	GiveUp Outcome = "give_up"
	// AnsweredElsewhere: after Ring another phone (a colleague, a desk
	// phone) picks the call up.
	AnsweredElsewhere Outcome = "answered_elsewhere"
)

// Caller is one simulated caller.
type Caller struct {
	// Number is the caller's number as the signalling would carry it
	// (national or +E.164); empty when Anonymous.
	Number string `toml:"number"`
	// DisplayName is the name the network shows, if any.
	DisplayName string `toml:"display_name"`
	// Anonymous callers withhold their identity.
	Anonymous bool `toml:"anonymous"`
	// Delay is the wait before ringing, counted from the end of the
	// previous call (or from Start for the first caller).
	Delay Duration `toml:"delay"`
	// Ring is how long the phone rings before Outcome happens (default 30s).
	Ring Duration `toml:"ring"`
	// Outcome is what happens when nobody answers within Ring.
	Outcome Outcome `toml:"outcome"`
	// HangupAfter is how long after the answer the caller hangs up; zero
	// means the caller waits for the agent to end the call.
	HangupAfter Duration `toml:"hangup_after"`
	// Silent callers say nothing once answered (无声电话).
	Silent bool `toml:"silent"`
	// Says is what the caller says, shown to the trainee.
	Says string `toml:"says"`
	// Customer, when set, is a customer record the desk may add on first
	// run so that this caller pops as known.
	Customer *Seed `toml:"customer"`
}

// Seed is a customer record in plain text, for first-run seeding.
type Seed struct {
	Name    string `toml:"name"`
	Surname string `toml:"surname"`
	Title   string `toml:"title"` // 先生 or 女士
	Member  bool   `toml:"member"`
	Level   string `toml:"level"`
	Area    string `toml:"area"`
	Notes   string `toml:"notes"`
}

// Duration is a time.Duration written as "30s", "1m30s" in the file.
type Duration time.Duration

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes the duration as Go prints it.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// DefaultRing is how long a caller rings when the scenario does not say.
const DefaultRing = 30 * time.Second

//go:embed default.toml
var defaultScenario []byte

// Default returns the embedded scenario: a known customer rings ten seconds
// after start, then an unknown caller, an anonymous silent call and a caller
// who gives up, over and over.
func Default() *Scenario {
	sc, err := Parse("default.toml", defaultScenario)
	if err != nil {
		panic("practice: embedded scenario: " + err.Error())
	}
	return sc
}

// LoadFile reads and validates a scenario file.
func LoadFile(path string) (*Scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load scenario: %w", err)
	}
	return Parse(path, b)
}

// Parse decodes and validates a scenario; name labels errors.
func Parse(name string, data []byte) (*Scenario, error) {
	var sc Scenario
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&sc)
	if err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			return nil, fmt.Errorf("scenario %s:%d: %s", name, perr.Position.Line, perr.Message)
		}
		return nil, fmt.Errorf("scenario %s: %w", name, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("scenario %s: unknown setting %q", name, und[0].String())
	}
	if err := sc.Validate(); err != nil {
		return nil, fmt.Errorf("scenario %s: %w", name, err)
	}
	return &sc, nil
}

// Validate checks every caller and returns all problems, joined.
func (sc *Scenario) Validate() error {
	var errs []error
	if len(sc.Callers) == 0 {
		errs = append(errs, errors.New("no callers"))
	}
	for i, c := range sc.Callers {
		bad := func(format string, a ...any) {
			errs = append(errs, fmt.Errorf("caller %d: "+format, append([]any{i + 1}, a...)...))
		}
		if c.Number == "" && !c.Anonymous {
			bad("needs a number or anonymous = true")
		}
		if c.Number != "" && c.Anonymous {
			bad("is anonymous but has a number")
		}
		if c.Delay < 0 || c.Ring < 0 || c.HangupAfter < 0 {
			bad("durations must not be negative")
		}
		switch c.Outcome {
		case "", GiveUp, AnsweredElsewhere:
		default:
			bad("unknown outcome %q (want %s or %s)", c.Outcome, GiveUp, AnsweredElsewhere)
		}
		if c.Customer != nil && c.Anonymous {
			bad("an anonymous caller cannot be a known customer")
		}
	}
	return errors.Join(errs...)
}

// ring is how long c rings, with the default filled in.
func (c Caller) ring() time.Duration {
	if c.Ring == 0 {
		return DefaultRing
	}
	return time.Duration(c.Ring)
}
