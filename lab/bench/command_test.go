package bench_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/sagaforge/saga/lab/bench"
	"github.com/sagaforge/saga/starter"
)

// The bench command, plugged into the starter, refuses bad flags as every
// starter command does: one line, exit 2, before anything is called.
func TestBenchRefusesBadFlagsBeforeAnyCall(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		says string
	}{
		{"zero n", []string{"--n", "0"}, "--n"},
		{"negative n", []string{"--n", "-1"}, "--n"},
		{"zero concurrency", []string{"--concurrency", "0"}, "concurrency"},
		{"malformed concurrency", []string{"--concurrency", "1,x"}, "concurrency"},
		{"unknown mode", []string{"--mode", "turbo"}, "--mode"},
		{"zero repeat", []string{"--repeat", "0"}, "--repeat"},
		{"stray argument", []string{"now"}, "unknown command"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := starter.Run(context.Background(), append([]string{"bench"}, tc.args...), &stdout, &stderr, bench.Command)
			line := stderr.String()
			if code != starter.ExitUsage || !strings.Contains(line, tc.says) || strings.Count(line, "\n") != 1 || stdout.Len() != 0 {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit 2 and one line mentioning %q", code, stdout.String(), line, tc.says)
			}
		})
	}
}
