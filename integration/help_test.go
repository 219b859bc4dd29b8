package integration

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Every binary answers --help with its usage on stdout and exit 0, and a
// flag it does not know with the error on stderr and exit 2.
func TestEveryBinaryHasHelp(t *testing.T) {
	entries, err := os.ReadDir("../cmd")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		t.Run(name, func(t *testing.T) {
			run := func(args ...string) (int, string, string) {
				var stdout, stderr bytes.Buffer
				cmd := exec.Command(filepath.Join(binDir, name), args...)
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				err := cmd.Run()
				var exit *exec.ExitError
				if err != nil && !errors.As(err, &exit) {
					t.Fatal(err)
				}
				return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
			}
			code, stdout, stderr := run("--help")
			if code != 0 || !strings.Contains(strings.ToLower(stdout), "usage") || stderr != "" {
				t.Errorf("--help: exit %d, stdout %q, stderr %q; want the usage on stdout and exit 0", code, stdout, stderr)
			}
			code, stdout, stderr = run("--no-such-flag")
			if code != 2 || stdout != "" || !strings.Contains(stderr, "no-such-flag") {
				t.Errorf("--no-such-flag: exit %d, stdout %q, stderr %q; want exit 2 naming the flag on stderr", code, stdout, stderr)
			}
		})
	}
}
