// Package integration runs the real system: the Temporal dev server, the
// broker, the three services and the worker as separate processes built from
// this repository, on free ports with SQLite files in a temporary directory.
package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sagaforge/saga/ops/stack"
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

// build compiles the stack's binaries; the Go build cache makes repeats cheap.
func build(dir string) error {
	for _, args := range [][]string{
		{"build", "-o", dir + "/", "./cmd/..."},
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

// syncBuffer collects the stack's log lines for a failing test to show.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	lines := strings.Split(strings.TrimRight(b.buf.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// startStack starts a fresh stack for one test and stops it afterwards; env
// is added to every process's environment.
func startStack(t *testing.T, env ...string) *stack.Stack {
	t.Helper()
	s, _ := startStackWithLogs(t, env...)
	return s
}

// startStackWithLogs is startStack that also hands back every process's log.
func startStackWithLogs(t *testing.T, env ...string) (*stack.Stack, *syncBuffer) {
	t.Helper()
	return startStackWithConfig(t, func(cfg *stack.Config) { cfg.Env = env })
}

// startStackWithEnv starts a stack with env (and configure, if not nil).
func startStackWithEnv(t *testing.T, configure func(*stack.Config), env ...string) (*stack.Stack, *syncBuffer) {
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
func startStackWithConfig(t *testing.T, configure func(*stack.Config)) (*stack.Stack, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	cfg := stack.Config{BinDir: binDir, DataDir: t.TempDir(), Host: "127.0.0.1", Output: logs}
	configure(&cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	s, err := stack.Start(ctx, cfg)
	if err != nil {
		t.Fatalf("start stack: %v\n%s", err, logs.tail(60))
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stop stack: %v", err)
		}
		if t.Failed() {
			// The whole log is kept with -artifacts (go test -artifacts
			// -outputdir DIR); SAGA_LOG_LEVEL=debug adds the consumer
			// groups' joins and assignments.
			full := filepath.Join(t.ArtifactDir(), "stack.log")
			if err := os.WriteFile(full, []byte(logs.String()), 0o644); err != nil {
				t.Errorf("keep the stack's log: %v", err)
			}
			t.Logf("last stack log lines (all of them in %s):\n%s", full, logs.tail(80))
		}
	})
	return s, logs
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
