package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"agentdesk/agent/store"
)

// runScriptsCmd runs deskctl in-process and returns the exit code, stdout
// and stderr.
func runScriptsCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // no desk config of the machine's
	var out, errb bytes.Buffer
	code := run(args, &env{stdout: &out, stderr: &errb, stdin: strings.NewReader("")})
	return code, out.String(), errb.String()
}

func TestGreet(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"national day", []string{"--at", "2026-10-01T09:00:00+08:00"}, "国庆节快乐！XX客服中心，请问有什么可以帮您！"},
		{"morning", []string{"--at", "2026-11-23T09:30:00+08:00"}, "早上好！XX欢迎您的来电，请问有什么可以帮您？"},
		{"afternoon", []string{"--at", "2026-11-23T15:00:00+08:00"}, "您好！XX欢迎您的来电，请问有什么可以帮您？"},
		{"lunar new year", []string{"--at", "2027-02-06T10:00:00+08:00"}, "新年好！XX客服中心，请问有什么可以帮您！"},
		{"silent", []string{"--at", "2026-11-23T15:00:00+08:00", "--silent"}, "您好，XX客服中心，欢迎您的来电。"},
		{"utc instant", []string{"--at", "2026-11-23T01:30:00Z"}, "早上好！XX欢迎您的来电，请问有什么可以帮您？"},
		{"en national day", []string{"--lang", "en", "--at", "2026-10-01T09:00:00+08:00"}, "Happy National Day! XX customer service center, how may I help you?"},
		{"en morning", []string{"--lang", "en", "--at", "2026-11-23T09:30:00+08:00"}, "Good morning! Welcome to XX, how may I help you?"},
		{"en afternoon", []string{"--lang", "en", "--at", "2026-11-23T15:00:00+08:00"}, "Hello! Welcome to XX, how may I help you?"},
		{"en lunar new year", []string{"--lang", "en", "--at", "2027-02-06T10:00:00+08:00"}, "Happy Lunar New Year! XX customer service center, how may I help you?"},
		{"en silent", []string{"--lang", "en", "--at", "2026-11-23T15:00:00+08:00", "--silent"}, "Hello, this is the XX customer service center. Thank you for calling."},
		// Taiwan's 國慶日 is 10-10; 10-01 is an ordinary day there.
		{"zh-Hant 10-01", []string{"--lang", "zh-Hant", "--at", "2026-10-01T09:00:00+08:00"}, "早安！XX歡迎您的來電，請問有什麼可以為您服務？"},
		{"zh-Hant national day", []string{"--lang", "zh-Hant", "--at", "2026-10-10T09:00:00+08:00"}, "國慶日快樂！XX客服中心，請問有什麼可以為您服務？"},
		{"zh-Hant morning", []string{"--lang", "zh-Hant", "--at", "2026-11-23T09:30:00+08:00"}, "早安！XX歡迎您的來電，請問有什麼可以為您服務？"},
		{"zh-Hant afternoon", []string{"--lang", "zh-Hant", "--at", "2026-11-23T15:00:00+08:00"}, "您好！XX歡迎您的來電，請問有什麼可以為您服務？"},
		{"zh-Hant lunar new year", []string{"--lang", "zh-Hant", "--at", "2027-02-06T10:00:00+08:00"}, "新年快樂！XX客服中心，請問有什麼可以為您服務？"},
		{"zh-Hant silent", []string{"--lang", "zh-Hant", "--at", "2026-11-23T15:00:00+08:00", "--silent"}, "您好，XX客服中心，歡迎您的來電。"},
		{"outbound", []string{"--at", "2026-11-23T15:00:00+08:00", "--outbound", "--name", "王", "--title", "先生", "--agent", "李娜"},
			"您好，请问是王先生吗？我姓李，是XX客服中心打来的，感谢您对我公司的支持和信任，来电与您核对您的资料。"},
		{"pack file", []string{"--pack", "testdata/scripts/good.toml", "--at", "2026-11-23T09:30:00+08:00"}, "早上好！西太平洋物业欢迎您的来电，请问有什么可以帮您？"},
		// good.toml's notice extends 国庆 2026 to Oct 8.
		{"pack notice wins", []string{"--pack", "testdata/scripts/good.toml", "--at", "2026-10-08T15:00:00+08:00"}, "国庆节快乐！西太平洋物业客服中心，请问有什么可以帮您！"},
		{"default has no Oct 8", []string{"--at", "2026-10-08T15:00:00+08:00"}, "您好！XX欢迎您的来电，请问有什么可以帮您？"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"greet", "--data", t.TempDir()}, tt.args...)
			code, out, errOut := runScriptsCmd(t, args...)
			if code != 0 {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			if got := strings.TrimSuffix(out, "\n"); got != tt.want {
				t.Errorf("greet %v = %q, want %q", tt.args, got, tt.want)
			}
		})
	}
}

// publish keeps a pack in the data file of dir, as the desk's sync does
// with a pack published on the hub.
func publish(t *testing.T, dir string, id int64, lang, file string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(dir, "desk.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.SavePack(store.StoredPack{ID: id, Lang: lang, Name: "pack.toml", Data: data}); err != nil {
		t.Fatal(err)
	}
}

// greet uses the pack the desk would: a published pack kept in the data
// file wins over the embedded one (its notice makes 8 October 国庆), the
// config's pack file wins over both, and --pack over everything.
func TestGreet_TheDesksPack(t *testing.T) {
	dir := t.TempDir()
	at := []string{"--at", "2026-10-08T15:00:00+08:00"}
	greetIn := func(args ...string) string {
		t.Helper()
		code, out, errOut := runScriptsCmd(t, append(append([]string{"greet"}, args...), at...)...)
		if code != 0 {
			t.Fatalf("greet %v: exit %d, stderr %q", args, code, errOut)
		}
		return strings.TrimSuffix(out, "\n")
	}
	const builtin = "您好！XX欢迎您的来电，请问有什么可以帮您？"
	if got := greetIn("--data", dir); got != builtin {
		t.Errorf("nothing published: %q", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "desk.db")); !os.IsNotExist(err) {
		t.Errorf("greet created a data file: %v", err)
	}
	publish(t, dir, 3, "zh-Hans", "testdata/scripts/good.toml")
	if got, want := greetIn("--data", dir), "国庆节快乐！西太平洋物业客服中心，请问有什么可以帮您！"; got != want {
		t.Errorf("published: %q, want %q", got, want)
	}
	if got := greetIn("--data", dir, "--lang", "en"); got != "Hello! Welcome to XX, how may I help you?" {
		t.Errorf("another language keeps its own pack: %q", got)
	}
	if got := greetIn("--data", dir, "--pack", "../../scripts/packs/zh-Hans.toml"); got != builtin {
		t.Errorf("--pack: %q", got)
	}
	// The config's pack wins over the published one.
	mine := filepath.Join(t.TempDir(), "mine.toml")
	b, _ := os.ReadFile("../../scripts/packs/zh-Hans.toml")
	os.WriteFile(mine, []byte(strings.Replace(string(b), `company = "XX"`, `company = "东方物业"`, 1)), 0o644)
	cfg := filepath.Join(t.TempDir(), "config.toml")
	os.WriteFile(cfg, []byte("pack = \""+mine+"\"\ndata = \""+dir+"\"\n"), 0o644)
	if got := greetIn("--config", cfg); got != "您好！东方物业欢迎您的来电，请问有什么可以帮您？" {
		t.Errorf("config pack: %q", got)
	}
}

// A data file a running desk holds is said to be in use, and greet does
// not wait for it.
func TestGreet_DataFileInUse(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "desk.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	code, out, errOut := runScriptsCmd(t, "greet", "--data", dir, "--at", "2026-10-08T15:00:00+08:00")
	if code == 0 || out != "" || !strings.Contains(errOut, "in use by a running agentdesk") || !strings.Contains(errOut, "--pack") {
		t.Errorf("exit %d, out %q, stderr %q", code, out, errOut)
	}
	// --pack needs no data file.
	code, out, _ = runScriptsCmd(t, "greet", "--data", dir, "--pack", "testdata/scripts/good.toml", "--at", "2026-10-08T15:00:00+08:00")
	if code != 0 || !strings.Contains(out, "西太平洋物业") {
		t.Errorf("--pack with the data file in use: exit %d, %q", code, out)
	}
}

func TestGreet_Errors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"bad instant", []string{"--at", "tomorrow"}, "--at"},
		{"bad title", []string{"--at", "2026-11-23T15:00:00+08:00", "--name", "王", "--title", "博士"}, "title"},
		{"title without name", []string{"--at", "2026-11-23T15:00:00+08:00", "--title", "女士"}, "--name"},
		{"unknown lang", []string{"--at", "2026-11-23T15:00:00+08:00", "--lang", "fr"}, "fr"},
		{"broken pack", []string{"--at", "2026-11-23T15:00:00+08:00", "--pack", "testdata/scripts/broken.toml"}, "testdata/scripts/broken.toml:43: unknown variable {{compnay}}"},
		{"pack in another language", []string{"--at", "2026-11-23T15:00:00+08:00", "--lang", "en", "--pack", "testdata/scripts/good.toml"}, "not en"},
		{"outbound without agent", []string{"--at", "2026-11-23T15:00:00+08:00", "--outbound"}, "agent_surname"},
		{"stray argument", []string{"--at", "2026-11-23T15:00:00+08:00", "extra"}, "usage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"greet", "--data", t.TempDir()}, tt.args...)
			code, out, errOut := runScriptsCmd(t, args...)
			if code == 0 {
				t.Fatalf("exit 0, out %q", out)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			if !strings.Contains(errOut, tt.want) {
				t.Errorf("stderr %q, want it to mention %q", errOut, tt.want)
			}
		})
	}
}

// The machine's zone does not matter: the pack's zone (Asia/Shanghai) does.
func TestGreet_MachineZoneIgnored(t *testing.T) {
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	saved := time.Local
	time.Local = loc
	t.Cleanup(func() { time.Local = saved })
	t.Setenv("TZ", "America/Los_Angeles")
	// 17:30 on Nov 22 in Los Angeles is 09:30 on Nov 23 in Shanghai.
	code, out, errOut := runScriptsCmd(t, "greet", "--data", t.TempDir(), "--at", "2026-11-22T17:30:00-08:00")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if want := "早上好！XX欢迎您的来电，请问有什么可以帮您？\n"; out != want {
		t.Errorf("greet = %q, want %q", out, want)
	}
}
