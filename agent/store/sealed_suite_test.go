package store_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"agentdesk/agent/store/storetest"
)

// TestSuite_Sealed runs this package's tests once more with every store
// storetest opens sealed (storetest.SealedEnv): customers, lookups,
// searches, imports and their undo log, complaints, calls, callbacks,
// outbox, inbound records and backups must behave the same on a sealed
// file, and storetest's cleanup checks every index of each.
func TestSuite_Sealed(t *testing.T) {
	if storetest.Sealed() {
		t.Skip("already the sealed run")
	}
	args := []string{"-test.run=^(Test|Example|Fuzz)", "-test.skip=^(TestSuite_Sealed|TestCrash_|TestHelperProcess)", "-test.count=1"}
	if testing.Short() {
		args = append(args, "-test.short")
	}
	if testing.Verbose() {
		args = append(args, "-test.v")
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), storetest.SealedEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sealed run failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "PASS") {
		t.Fatalf("sealed run did not pass:\n%s", out)
	}
	t.Logf("sealed run:\n%s", out)
}
