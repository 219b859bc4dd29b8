// Package integration runs the real system: the Temporal dev server, the
// broker, the three services and the worker as separate processes built from
// this repository, on free ports with SQLite files in a temporary directory.
package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sagaforge/saga/lab/stack"
	"github.com/sagaforge/saga/lab/stack/stacktest"
	"github.com/sagaforge/saga/starter"
)

var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "saga-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := build(dir); err != nil {
		fmt.Fprintln(os.Stderr, "build binaries:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildVersion is the version the tests' binaries are built as, which
// --version prints.
const buildVersion = "v0.0.0-integration"

// build compiles the stack's binaries; the Go build cache makes repeats cheap.
func build(dir string) error {
	for _, args := range [][]string{
		{"build", "-ldflags", "-X github.com/sagaforge/saga/internal/platform/process.version=" + buildVersion, "-o", dir + "/", "./cmd/...", "./lab/cmd/..."},
		{"build", "-modfile=tools/go.mod", "-o", filepath.Join(dir, "temporal"), "github.com/temporalio/cli/cmd/temporal"},
	} {
		cmd := exec.Command("go", args...)
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
		}
	}
	return nil
}

// startStack starts a fresh stack for one test and stops it afterwards; env
// is added to every process's environment.
func startStack(t *testing.T, env ...string) *stack.Stack {
	t.Helper()
	s, _ := startStackWithLogs(t, env...)
	return s
}

// startStackWithLogs is startStack that also hands back every process's log.
func startStackWithLogs(t *testing.T, env ...string) (*stack.Stack, *stacktest.Log) {
	t.Helper()
	return startStackWithConfig(t, func(cfg *stack.Config) { cfg.Env = env })
}

// startStackWithEnv starts a stack with env (and configure, if not nil).
func startStackWithEnv(t *testing.T, configure func(*stack.Config), env ...string) (*stack.Stack, *stacktest.Log) {
	t.Helper()
	return startStackWithConfig(t, func(cfg *stack.Config) {
		cfg.Env = env
		if configure != nil {
			configure(cfg)
		}
	})
}

// startStackWithConfig is startStackWithLogs with the configuration changed
// by configure first.
func startStackWithConfig(t *testing.T, configure func(*stack.Config)) (*stack.Stack, *stacktest.Log) {
	t.Helper()
	logs := &stacktest.Log{}
	cfg := stack.Config{BinDir: binDir, DataDir: t.TempDir(), Host: "127.0.0.1", Output: logs}
	configure(&cfg)
	return stacktest.Start(t, cfg, logs, 3*time.Minute)
}

// runStarter runs the starter binary against the stack and returns its exit
// code, stdout and stderr.
func runStarter(t *testing.T, s *stack.Stack, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "starter"), args...)
	cmd.Env = append(os.Environ(), s.Env()...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if exitErr, ok := err.(*exec.ExitError); ok {
		code = exitErr.ExitCode()
	} else if err != nil {
		t.Fatalf("run starter: %v", err)
	}
	return code, stdout.String(), stderr.String()
}

// buy runs "starter purchase ... --wait --json" and decodes the report.
// buyOneOfEach buys, in each mode, a purchase that is approved (alice's)
// and one whose charge is declined (bob's), so that every step and
// compensation runs.
func buyOneOfEach(t *testing.T, s *stack.Stack) {
	t.Helper()
	for _, mode := range []string{"orchestration", "choreography"} {
		if rep := buy(t, s, "--customer", "alice", "--item", "SKU-1:1", "--mode", mode); rep.Status != "APPROVED" {
			t.Fatalf("alice's %s purchase is %s, want APPROVED", mode, rep.Status)
		}
		if rep := buy(t, s, "--customer", "bob", "--item", "SKU-2:1", "--mode", mode); rep.Status != "CANCELLED" {
			t.Fatalf("bob's %s purchase is %s, want CANCELLED", mode, rep.Status)
		}
	}
}

func buy(t *testing.T, s *stack.Stack, args ...string) starter.Report {
	t.Helper()
	code, stdout, stderr := runStarter(t, s, append(append([]string{"purchase"}, args...), "--wait", "--json")...)
	if code != 0 {
		t.Fatalf("starter purchase %v: exit %d: %s", args, code, stderr)
	}
	var rep starter.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("starter --json printed %q: %v", stdout, err)
	}
	return rep
}
