package agent

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// CenterSettings are the center's rules as a supervisor writes them: in the
// desk's config file ([center]), on the settings screen, or pushed from the
// hub. Zero fields keep the defaults. Center turns them into the rules the
// desk applies.
type CenterSettings struct {
	// TimeZone is the center's IANA zone (default DefaultZone).
	TimeZone string `toml:"time_zone" json:"time_zone,omitempty"`
	// QuietHours are the customers' resting times, "HH:MM-HH:MM" in local
	// time (default 12:00-14:00 and 21:00-09:00).
	QuietHours []string `toml:"quiet_hours" json:"quiet_hours,omitempty"`
	// RingLimitSeconds is "the third ring" (default 10).
	RingLimitSeconds int `toml:"ring_limit_seconds" json:"ring_limit_seconds,omitempty"`
	// ReplyHours are the default reply times by severity (2, 24, 24).
	ReplyHours ReplyHours `toml:"reply_hours" json:"reply_hours,omitzero"`
	// AfterCallWorkSeconds is how long the wrap-up after a call may take
	// before the board shows it over the limit (default 120).
	AfterCallWorkSeconds int `toml:"after_call_work_seconds" json:"after_call_work_seconds,omitempty"`
	// CallbackDays is the callback deadline in days (default 3);
	// CallbackRetryMinutes the wait after an unreachable try (120).
	CallbackDays         int `toml:"callback_days" json:"callback_days,omitempty"`
	CallbackRetryMinutes int `toml:"callback_retry_minutes" json:"callback_retry_minutes,omitempty"`
	// Warning is the warning-complaint timeline (default: seed 003's table).
	Warning *WarningSettings `toml:"warning" json:"warning,omitempty"`
	// ShowMonitoring lets an agent see that a supervisor is listening in.
	ShowMonitoring bool `toml:"show_monitoring" json:"show_monitoring,omitempty"`
	// OfflineSignInDays bounds how long a desk may sign agents in without
	// the hub after their last online sign-in (default 7).
	OfflineSignInDays int `toml:"offline_signin_days" json:"offline_signin_days,omitempty"`
	// RecordingRetentionDays is how long the hub keeps calls' recordings
	// before it deletes their audio (default 90).
	RecordingRetentionDays int `toml:"recording_retention_days" json:"recording_retention_days,omitempty"`
}

// ReplyHours are reply times in hours by severity; zero keeps the default.
type ReplyHours struct {
	Simple  float64 `toml:"simple" json:"simple,omitempty"`
	Complex float64 `toml:"complex" json:"complex,omitempty"`
	Major   float64 `toml:"major" json:"major,omitempty"`
}

// WarningSettings are the warning-complaint stages as written in settings.
type WarningSettings struct {
	RaiseWithinMinutes int            `toml:"raise_within_minutes" json:"raise_within_minutes"`
	Stages             []StageSetting `toml:"stages" json:"stages"`
}

// StageSetting is one stage: its name, the role that does it, its limit in
// minutes, counted from the stage before or (from_raise) from the warning.
type StageSetting struct {
	Name      string `toml:"name" json:"name"`
	Role      Role   `toml:"role" json:"role"`
	Minutes   int    `toml:"minutes" json:"minutes"`
	FromRaise bool   `toml:"from_raise" json:"from_raise,omitempty"`
}

// Defaults of the settings that CenterIn does not carry.
const (
	DefaultAfterCallWork = 2 * time.Minute
	DefaultOfflineSignIn = 7 * 24 * time.Hour
	// DefaultRecordingRetention is how long the hub keeps recordings.
	DefaultRecordingRetention = 90 * 24 * time.Hour
)

// ErrSettings is matched by the error of settings that cannot be applied.
var ErrSettings = errors.New("bad center setting")

// SettingsError names the setting that is wrong.
type SettingsError struct {
	Field string // "quiet_hours[1]", "warning.stages[2].role"…
	Msg   string
}

func (e *SettingsError) Error() string { return "center setting " + e.Field + ": " + e.Msg }

// Is reports ErrSettings.
func (e *SettingsError) Is(target error) bool { return target == ErrSettings }

// Center turns the settings into the rules the desk applies; a wrong
// setting is a *SettingsError naming it.
func (s CenterSettings) Center() (Center, error) {
	zone := s.TimeZone
	if zone == "" {
		zone = DefaultZone
	}
	c, err := CenterIn(zone)
	if err != nil {
		return c, &SettingsError{Field: "time_zone", Msg: fmt.Sprintf("unknown zone %q", zone)}
	}
	if len(s.QuietHours) > 0 {
		q := QuietHours{Zone: c.Zone}
		for i, w := range s.QuietHours {
			from, to, ok := strings.Cut(w, "-")
			start, err1 := ParseTimeOfDay(from)
			end, err2 := ParseTimeOfDay(to)
			if !ok || err1 != nil || err2 != nil || start == end {
				return c, &SettingsError{Field: fmt.Sprintf("quiet_hours[%d]", i), Msg: fmt.Sprintf("%q is not HH:MM-HH:MM", w)}
			}
			q.Windows = append(q.Windows, QuietWindow{start, end})
		}
		c.Quiet = q
	}
	if s.RingLimitSeconds < 0 || s.AfterCallWorkSeconds < 0 || s.CallbackDays < 0 || s.CallbackRetryMinutes < 0 || s.OfflineSignInDays < 0 ||
		s.RecordingRetentionDays < 0 {
		return c, &SettingsError{Field: "limits", Msg: "a limit cannot be negative"}
	}
	if s.RingLimitSeconds > 0 {
		c.RingLimit = time.Duration(s.RingLimitSeconds) * time.Second
	}
	for _, r := range []struct {
		name  string
		hours float64
		set   *time.Duration
	}{{"simple", s.ReplyHours.Simple, &c.Reply.Simple}, {"complex", s.ReplyHours.Complex, &c.Reply.Complex}, {"major", s.ReplyHours.Major, &c.Reply.Major}} {
		switch {
		case r.hours < 0:
			return c, &SettingsError{Field: "reply_hours." + r.name, Msg: "cannot be negative"}
		case r.hours > 0:
			*r.set = time.Duration(r.hours * float64(time.Hour))
		}
	}
	if s.AfterCallWorkSeconds > 0 {
		c.AfterCallWork = time.Duration(s.AfterCallWorkSeconds) * time.Second
	}
	if s.CallbackDays > 0 {
		c.CallbackDays = s.CallbackDays
	}
	if s.CallbackRetryMinutes > 0 {
		c.CallbackRetry = time.Duration(s.CallbackRetryMinutes) * time.Minute
	}
	if s.OfflineSignInDays > 0 {
		c.OfflineSignIn = time.Duration(s.OfflineSignInDays) * 24 * time.Hour
	}
	if s.RecordingRetentionDays > 0 {
		c.RecordingRetention = time.Duration(s.RecordingRetentionDays) * 24 * time.Hour
	}
	c.ShowMonitoring = s.ShowMonitoring
	if w := s.Warning; w != nil {
		p := SLAPolicy{RaiseWithin: time.Duration(w.RaiseWithinMinutes) * time.Minute}
		for _, st := range w.Stages {
			p.Stages = append(p.Stages, SLAStage{Name: st.Name, Role: st.Role, Limit: time.Duration(st.Minutes) * time.Minute, FromRaise: st.FromRaise})
		}
		if err := p.Check(); err != nil {
			return c, &SettingsError{Field: "warning", Msg: err.Error()}
		}
		c.Warning = p
	}
	return c, nil
}

// SettingsOf writes a center's rules back as settings (what the settings
// screen starts from).
func SettingsOf(c Center) CenterSettings {
	s := CenterSettings{TimeZone: c.Zone.String(), RingLimitSeconds: int(c.RingLimit / time.Second),
		ReplyHours:           ReplyHours{Simple: c.Reply.Simple.Hours(), Complex: c.Reply.Complex.Hours(), Major: c.Reply.Major.Hours()},
		AfterCallWorkSeconds: int(c.AfterCallWork / time.Second), CallbackDays: c.CallbackDays,
		CallbackRetryMinutes: int(c.CallbackRetry / time.Minute), ShowMonitoring: c.ShowMonitoring,
		OfflineSignInDays: int(c.OfflineSignIn / (24 * time.Hour)), RecordingRetentionDays: int(c.RecordingRetention / (24 * time.Hour))}
	for _, w := range c.Quiet.Windows {
		s.QuietHours = append(s.QuietHours, w.Start.String()+"-"+w.End.String())
	}
	ws := &WarningSettings{RaiseWithinMinutes: int(c.Warning.RaiseWithin / time.Minute)}
	for _, st := range c.Warning.Stages {
		ws.Stages = append(ws.Stages, StageSetting{Name: st.Name, Role: st.Role, Minutes: int(st.Limit / time.Minute), FromRaise: st.FromRaise})
	}
	s.Warning = ws
	return s
}
