package desk

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"agentdesk/agent"
	"agentdesk/scripts"

	"github.com/BurntSushi/toml"
)

// Secret is a string that never appears in logs.
type Secret string

// LogValue hides the secret from slog.
func (Secret) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// String hides the secret from fmt.
func (Secret) String() string { return "[redacted]" }

// Config is the desk's settings: one TOML file in the OS config dir
// (os.UserConfigDir()/agentdesk/config.toml). Every field can also be set by a
// flag of the same name.
type Config struct {
	// Data is the folder holding the desk's bbolt file.
	Data string `toml:"data"`
	// Lang is the UI and script language: zh-Hans, zh-Hant or en.
	Lang string `toml:"lang"`
	// TimeZone is the IANA zone greetings and deadlines are computed in.
	TimeZone string `toml:"time_zone"`
	// Agent is the agent's display name and work number, used by scripts.
	AgentName   string `toml:"agent_name"`
	AgentNumber string `toml:"agent_number"`
	// Pack overrides the embedded script pack with a trainer's file.
	Pack string `toml:"pack"`
	// Theme is the window's look: system, light or dark.
	Theme string `toml:"theme"`

	PBX   PBXConfig   `toml:"pbx"`
	Hub   HubConfig   `toml:"hub"`
	Audio AudioConfig `toml:"audio"`

	// RingLimitSeconds is "the third ring"; 0 keeps the center's setting
	// (default agent.DefaultRingLimit).
	RingLimitSeconds int `toml:"ring_limit_seconds"`
	// Role is what the desk's user may do (agent, team_lead, supervisor,
	// trainer) until they sign in; default agent.
	Role agent.Role `toml:"role"`
	// CenterSettings are the center's rules (quiet hours, reply times, the
	// after-call-work limit, the warning stages…); a hub's settings win
	// over them once pulled.
	CenterSettings agent.CenterSettings `toml:"center"`
}

// UserRole is the desk user's role (agent when none is configured).
func (c Config) UserRole() agent.Role {
	if c.Role == "" {
		return agent.RoleAgent
	}
	return c.Role
}

// AgentID is who the desk works for: the agent's work number, else their
// name ("" when neither is set). Calls, cases and callbacks are filed under it.
func (c Config) AgentID() string {
	if c.AgentNumber != "" {
		return c.AgentNumber
	}
	return c.AgentName
}

// Center is the center's rules from the [center] settings, in the
// configured zone (time_zone, when [center] names none), with the configured
// ring limit (ring_limit_seconds wins over [center]'s).
func (c Config) Center() (agent.Center, error) {
	s := c.CenterSettings
	if s.TimeZone == "" {
		s.TimeZone = c.TimeZone
	}
	if c.RingLimitSeconds > 0 {
		s.RingLimitSeconds = c.RingLimitSeconds
	}
	center, err := s.Center()
	if err != nil {
		return center, fmt.Errorf("config: %w", err)
	}
	return center, nil
}

// PBXConfig is the SIP account. An empty URI means: run the practice phone.
type PBXConfig struct {
	URI       string `toml:"uri"`       // sip:HOST:PORT
	User      string `toml:"user"`      // extension
	Password  Secret `toml:"password"`  // never logged
	Transport string `toml:"transport"` // udp, tcp or tls
	Proxy     string `toml:"proxy"`     // outbound proxy, optional
	Companion bool   `toml:"companion"` // watch a desk phone instead of ringing here
	// CA is a PEM file of authorities trusted for the PBX's TLS certificate
	// (besides the system's); AllowDirect takes calls from any address (a
	// lab without a PBX; off by default: only the PBX may ring the desk).
	CA          string `toml:"ca"`
	AllowDirect bool   `toml:"allow_direct"`
	// PerAgent registers with the signed-in agent's own SIP account (the
	// hub hands it over at sign-in) instead of the PC's user and password.
	PerAgent bool `toml:"per_agent"`
	// Scenario is the practice phone's scenario file (embedded default if empty).
	Scenario string `toml:"scenario"`
}

// HubConfig is the upstream hub. An empty URL means: no sync.
type HubConfig struct {
	URL   string `toml:"url"`
	Token Secret `toml:"token"`
	// CA is a PEM file of authorities trusted for the hub's certificate.
	CA string `toml:"ca"`
	// SignIn makes agents sign in per shift (agent number and PIN, checked
	// by the hub); default true with a hub. False: the PC is one agent's,
	// named by agent_number.
	SignIn *bool `toml:"sign_in"`
}

// SignInRequired says whether the desk opens on the sign-in screen: with a
// hub, unless sign_in = false.
func (c Config) SignInRequired() bool {
	return c.Hub.URL != "" && (c.Hub.SignIn == nil || *c.Hub.SignIn)
}

// AudioConfig names the sound devices (empty: the system default): the
// headset's microphone (input) and earpiece (output), and the ring device.
type AudioConfig struct {
	Input  string `toml:"input"`
	Output string `toml:"output"`
	Ring   string `toml:"ring"`
	// Record says whether answered calls are recorded (default true).
	Record *bool `toml:"record"`
}

// Recording reports whether answered calls are recorded.
func (a AudioConfig) Recording() bool { return a.Record == nil || *a.Record }

// RecordingsDir is the folder recordings are kept in, inside the data
// folder.
func (c Config) RecordingsDir() string { return filepath.Join(c.Data, "recordings") }

// Defaults returns a Config with every default filled in.
func Defaults() Config {
	return Config{
		Data:     DefaultDataDir(),
		Lang:     scripts.DefaultLang,
		TimeZone: agent.DefaultZone,
		PBX:      PBXConfig{Transport: "udp"},
	}
}

// DefaultDataDir is the desk's data folder in the user's data dir.
func DefaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "agentdesk")
	}
	if d, err := os.UserConfigDir(); err == nil {
		// On Windows this is %AppData%, the usual place for app data too.
		if h, herr := os.UserHomeDir(); herr == nil && filepath.Dir(d) == h {
			return filepath.Join(h, ".local", "share", "agentdesk")
		}
		return filepath.Join(d, "agentdesk", "data")
	}
	return "agentdesk-data"
}

// DefaultConfigPath is os.UserConfigDir()/agentdesk/config.toml.
func DefaultConfigPath() string {
	d, err := os.UserConfigDir()
	if err != nil {
		return "config.toml"
	}
	return filepath.Join(d, "agentdesk", "config.toml")
}

// DataFile is the bbolt file inside the data folder.
func (c Config) DataFile() string { return filepath.Join(c.Data, "desk.db") }

// LoadConfig reads path over the defaults. A missing file is not an error;
// a malformed one is, naming the file and line.
func LoadConfig(path string) (Config, error) {
	c := Defaults()
	md, err := toml.DecodeFile(path, &c)
	if errors.Is(err, fs.ErrNotExist) {
		return Defaults(), nil
	}
	if err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			return Defaults(), fmt.Errorf("config %s:%d: %s", path, perr.Position.Line, perr.Message)
		}
		return Defaults(), fmt.Errorf("config %s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return Defaults(), fmt.Errorf("config %s: unknown setting %q", path, und[0].String())
	}
	return c, nil
}

// SaveConfig writes c to path (mode 0600: it may hold the SIP password).
func SaveConfig(path string, c Config) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("save config %s: %w", path, err)
	}
	f, err := os.OpenFile(path+".tmp", os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("save config %s: %w", path, err)
	}
	enc := toml.NewEncoder(f)
	if err := enc.Encode(plainConfig(c)); err != nil {
		f.Close()
		return fmt.Errorf("save config %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("save config %s: %w", path, err)
	}
	return os.Rename(path+".tmp", path)
}

// plainConfig is Config with secrets as plain strings, for the file only.
func plainConfig(c Config) map[string]any {
	return map[string]any{
		"data": c.Data, "lang": c.Lang, "time_zone": c.TimeZone,
		"agent_name": c.AgentName, "agent_number": c.AgentNumber, "pack": c.Pack, "theme": c.Theme,
		"ring_limit_seconds": c.RingLimitSeconds, "role": string(c.Role), "center": c.CenterSettings,
		"pbx": map[string]any{"uri": c.PBX.URI, "user": c.PBX.User, "password": string(c.PBX.Password),
			"transport": c.PBX.Transport, "proxy": c.PBX.Proxy, "companion": c.PBX.Companion, "scenario": c.PBX.Scenario,
			"ca": c.PBX.CA, "allow_direct": c.PBX.AllowDirect, "per_agent": c.PBX.PerAgent},
		"hub":   hubMap(c.Hub),
		"audio": audioMap(c.Audio),
	}
}

func hubMap(h HubConfig) map[string]any {
	m := map[string]any{"url": h.URL, "token": string(h.Token), "ca": h.CA}
	if h.SignIn != nil {
		m["sign_in"] = *h.SignIn
	}
	return m
}

func audioMap(a AudioConfig) map[string]any {
	m := map[string]any{"input": a.Input, "output": a.Output, "ring": a.Ring}
	if a.Record != nil {
		m["record"] = *a.Record
	}
	return m
}
