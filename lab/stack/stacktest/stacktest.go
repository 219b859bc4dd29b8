// Package stacktest runs a stack for a test: started in the test's own
// folder on free ports, stopped when the test ends, its whole log kept as
// an artifact when the test fails; and the waits and dials such tests
// share (the integration and cluster tests).
package stacktest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/sagaforge/saga/internal/platform/temporalx"
	"github.com/sagaforge/saga/lab/stack"
)

// Log collects a stack's log lines, written by all its processes at once.
type Log struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Tail is the log's last n lines.
func (l *Log) Tail(n int) string {
	lines := strings.Split(strings.TrimRight(l.String(), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// Start starts a stack with cfg within timeout, and stops it when t ends,
// removing what it kept outside t's folder (a PostgreSQL's files, as
// root). logs is where cfg.Output writes, itself or through a wrapper (nil:
// a new Log is made cfg.Output); when t failed, the whole of it is kept in
// t's artifact folder (go test -artifacts -outputdir DIR) as stack.log.
func Start(t *testing.T, cfg stack.Config, logs *Log, timeout time.Duration) (*stack.Stack, *Log) {
	t.Helper()
	if logs == nil {
		logs = &Log{}
		cfg.Output = logs
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	s, err := stack.Start(ctx, cfg)
	if err != nil {
		t.Fatalf("start the stack: %v\n%s", err, logs.Tail(60))
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stop the stack: %v", err)
		}
		if dir := s.PostgresDir(); dir != "" {
			_ = os.RemoveAll(dir)
		}
		if t.Failed() {
			full := filepath.Join(t.ArtifactDir(), "stack.log")
			if err := os.WriteFile(full, []byte(logs.String()), 0o644); err != nil {
				t.Errorf("keep the stack's log: %v", err)
			}
			t.Logf("last stack log lines (all of them in %s):\n%s", full, logs.Tail(80))
		}
	})
	return s, logs
}

// WaitFor polls cond until it holds, failing t after timeout: a wait for a
// state, not a sleep standing in for one.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Dial connects to the stack's Temporal; the client closes when t ends.
func Dial(t testing.TB, s *stack.Stack) client.Client {
	t.Helper()
	c, err := temporalx.Dial(context.Background(), s.Temporal(), nil, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}
