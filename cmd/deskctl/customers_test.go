package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"agentdesk/agent"
)

func runCustomers(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &env{stdout: &out, stderr: &errb, stdin: strings.NewReader("")})
	return code, out.String(), errb.String()
}

func writeCSV(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "customers.csv")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func lookupJSON(t *testing.T, data, number string) []agent.Customer {
	t.Helper()
	code, out, errs := runCustomers(t, "customers", "lookup", number, "--data", data)
	if code != 0 {
		t.Fatalf("lookup %s: exit %d, stderr %s", number, code, errs)
	}
	var cs []agent.Customer
	if err := json.Unmarshal([]byte(out), &cs); err != nil {
		t.Fatalf("lookup output is not a JSON array: %v\n%s", err, out)
	}
	return cs
}

func TestCustomersImportAndLookup(t *testing.T) {
	data := t.TempDir()
	file := writeCSV(t, "\ufeff姓名,姓,称谓,电话,会员,等级\n张伟,张,先生,138-0013-8000|010-12345678,是,金卡\n王芳,王,女士,+86 138 0013 8000,否,\n")
	code, out, errs := runCustomers(t, "customers", "import", file, "--data", data)
	if code != 0 {
		t.Fatalf("import: exit %d, stderr %s", code, errs)
	}
	if !strings.Contains(out, "imported 2 customers") {
		t.Errorf("import summary = %q", out)
	}
	cs := lookupJSON(t, data, "008613800138000")
	if len(cs) != 2 {
		t.Fatalf("lookup found %d, want 2: %+v", len(cs), cs)
	}
	names := cs[0].Name + cs[1].Name
	if !strings.Contains(names, "张伟") || !strings.Contains(names, "王芳") {
		t.Errorf("lookup found %q", names)
	}
	// Flags before the argument work too.
	code, out, _ = runCustomers(t, "customers", "lookup", "--data", data, "(010) 1234-5678")
	if code != 0 || !strings.Contains(out, `"surname": "张"`) || !strings.Contains(out, `"+861012345678"`) {
		t.Errorf("landline lookup: exit %d\n%s", code, out)
	}
	if cs := lookupJSON(t, data, "13900139000"); len(cs) != 0 {
		t.Errorf("unknown number found %+v", cs)
	}
	code, out, _ = runCustomers(t, "customers", "lookup", "13900139000", "--data", data)
	if code != 0 || strings.TrimSpace(out) != "[]" {
		t.Errorf("unknown number: exit %d, output %q; want [] and 0", code, out)
	}
}

func TestCustomersImport_BadRows(t *testing.T) {
	data := t.TempDir()
	file := writeCSV(t, "name,phones,member\n张伟,13800138000,yes\n,13800138001,no\n李娜,abc,maybe\n")
	code, out, errs := runCustomers(t, "customers", "import", file, "--data", data)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if out != "" {
		t.Errorf("stdout = %q, want nothing", out)
	}
	for _, want := range []string{
		file + ":3: customer has neither name nor surname",
		file + `:4: member "maybe"`,
		"2 bad rows; nothing imported",
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	if strings.Contains(errs, ":2:") {
		t.Errorf("good line 2 reported:\n%s", errs)
	}
	// Nothing stored, and no data file left in the fresh data dir.
	if _, err := os.Stat(filepath.Join(data, "desk.db")); !os.IsNotExist(err) {
		t.Errorf("a failed import left a data file: %v", err)
	}
	if cs := lookupJSON(t, data, "13800138000"); len(cs) != 0 {
		t.Errorf("refused import stored %+v", cs)
	}
}

func TestCustomersImport_KeepsExistingOnFailure(t *testing.T) {
	data := t.TempDir()
	good := writeCSV(t, "name,phones\n张伟,13800138000\n")
	if code, _, errs := runCustomers(t, "customers", "import", good, "--data", data); code != 0 {
		t.Fatalf("import: %s", errs)
	}
	bad := writeCSV(t, "name,phones,email\n王芳,13800138000,x@y\n")
	code, _, errs := runCustomers(t, "customers", "import", bad, "--data", data)
	if code != 1 || !strings.Contains(errs, `unknown column "email"`) {
		t.Errorf("exit %d, stderr %s", code, errs)
	}
	if cs := lookupJSON(t, data, "13800138000"); len(cs) != 1 || cs[0].Name != "张伟" {
		t.Errorf("after refused import: %+v", cs)
	}
}

func TestCustomers_Errors(t *testing.T) {
	data := t.TempDir()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"import without file", []string{"customers", "import", "--data", data}, 2, "usage: deskctl customers import"},
		{"import two files", []string{"customers", "import", "a.csv", "b.csv"}, 2, "usage:"},
		{"import missing file", []string{"customers", "import", filepath.Join(data, "none.csv"), "--data", data}, 1, "none.csv"},
		{"lookup without number", []string{"customers", "lookup", "--data", data}, 2, "usage: deskctl customers lookup"},
		{"lookup bad number", []string{"customers", "lookup", "anonymous", "--data", data}, 1, "not a phone number"},
		{"unknown flag", []string{"customers", "lookup", "1380", "--bogus"}, 2, "usage:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errs := runCustomers(t, tt.args...)
			if code != tt.code || !strings.Contains(errs, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errs, tt.code, tt.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(data, "desk.db")); !os.IsNotExist(err) {
		t.Errorf("failed commands created a data file: %v", err)
	}
}
