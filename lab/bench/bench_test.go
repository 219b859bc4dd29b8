package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sagaforge/saga/starter"
)

func run3(mode string, c int, rate, p50 float64, approved int) Result {
	return Result{Mode: mode, Concurrency: c, PerSecond: rate, P50Ms: p50, P95Ms: p50 * 2, P99Ms: p50 * 3,
		Outcomes: map[string]int{"APPROVED": approved}}
}

// Repeats are grouped by mode and concurrency in first-seen order; the
// summary takes medians, keeps the extremes and picks the median-throughput
// run as the typical one.
func TestSummarizeTakesMediansOverInterleavedRuns(t *testing.T) {
	runs := []Result{
		run3("direct", 8, 300, 20, 9), run3("choreography", 8, 240, 30, 9),
		run3("direct", 8, 250, 25, 9), run3("choreography", 8, 310, 26, 9),
		run3("direct", 8, 280, 22, 9), run3("choreography", 8, 200, 40, 9),
		run3("choreography", 64, 440, 150, 9),
	}
	got := Summarize(runs)
	if len(got) != 3 || got[0].Mode != "direct" || got[1].Mode != "choreography" || got[1].Concurrency != 8 || got[2].Concurrency != 64 {
		t.Fatalf("groups: %+v", got)
	}
	c := got[1]
	if c.Runs != 3 || c.PerSecond != 240 || c.PerSecondMin != 200 || c.PerSecondMax != 310 {
		t.Errorf("throughput median 240 in [200, 310] over 3 runs, got %v in [%v, %v] over %d", c.PerSecond, c.PerSecondMin, c.PerSecondMax, c.Runs)
	}
	if c.P50Ms != 30 || c.P50MsMin != 26 || c.P50MsMax != 40 || c.P95Ms != 60 {
		t.Errorf("p50 median 30 in [26, 40], p95 60; got %v in [%v, %v], p95 %v", c.P50Ms, c.P50MsMin, c.P50MsMax, c.P95Ms)
	}
	if c.Typical.PerSecond != 240 || c.Outcomes["APPROVED"] != 27 {
		t.Errorf("typical run is the median one (240/s) and outcomes add up (27); got %v/s and %d", c.Typical.PerSecond, c.Outcomes["APPROVED"])
	}
	even := Summarize([]Result{run3("direct", 1, 100, 6, 1), run3("direct", 1, 140, 4, 1)})[0]
	if even.PerSecond != 120 || even.P50Ms != 5 || even.Typical.PerSecond != 100 {
		t.Errorf("two runs: median is the mean of both (120/s, 5 ms), typical the lower one; got %v, %v, %v", even.PerSecond, even.P50Ms, even.Typical.PerSecond)
	}
}

func TestCPUBusyFromProcStat(t *testing.T) {
	before, err := parseCPU("cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 50 0 25 400 25 0 0 0 0 0\n")
	if err != nil {
		t.Fatal(err)
	}
	// 150 more jiffies busy (user, system, softirq), 50 idle, 0 iowait.
	after, err := parseCPU("intr 1\ncpu  200 0 90 850 50 0 10 0 0 0\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := cpuBusy(before, after); got != 0.75 {
		t.Errorf("busy = %v, want 0.75", got)
	}
	if _, err := parseCPU("cpu0 1 2 3 4 5 6 7 8\n"); err == nil {
		t.Error("a stat without the aggregate cpu line parsed")
	}
}

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
			code := starter.Run(context.Background(), append([]string{"bench"}, tc.args...), &stdout, &stderr, Command)
			line := stderr.String()
			if code != starter.ExitUsage || !strings.Contains(line, tc.says) || strings.Count(line, "\n") != 1 || stdout.Len() != 0 {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit 2 and one line mentioning %q", code, stdout.String(), line, tc.says)
			}
		})
	}
}

// A run's report lands where the stack's comparison runs read it: bench.json,
// with the plot beside it.
func TestWriteBenchWritesTheReportAndThePlot(t *testing.T) {
	dir := t.TempDir()
	runs := []Result{run3("direct", 1, 100, 8, 10), run3("orchestration", 1, 30, 25, 10)}
	for i := range runs {
		runs[i].LatencyMs = []float64{runs[i].P50Ms, runs[i].P95Ms, runs[i].P99Ms}
	}
	if err := writeBench(dir, benchReport{Setup: map[string]string{"machine": "test"}, Summary: Summarize(runs), Runs: runs}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "bench.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back benchReport
	if err := json.Unmarshal(data, &back); err != nil || len(back.Runs) != 2 || back.Runs[1].Mode != "orchestration" {
		t.Fatalf("bench.json: %v, %+v", err, back.Runs)
	}
	if _, err := os.Stat(filepath.Join(dir, "latency.svg")); err != nil {
		t.Fatal(err)
	}
}
