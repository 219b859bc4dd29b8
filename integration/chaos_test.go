package integration

import (
	"context"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sagaforge/saga/lab/chaos"
)

// TestChaosKeepsTheDatabasesConsistent is the short version of make chaos:
// purchases of every outcome in both modes while every process (the Temporal
// server and the broker too) is SIGKILLed and restarted at random, one in
// three kills for longer than the step deadline, customers cancel a fifth of
// the purchases in flight, and 10% of service calls fail. Every purchase
// must end as its run allows and the audit must hold.
func TestChaosKeepsTheDatabasesConsistent(t *testing.T) {
	s, logs := startStackWithEnv(t, nil, "SAGA_FAULTS=*=0.1", "SAGA_STEP_DEADLINE=4s", "SAGA_DEADLINE=30s")
	rep, err := chaos.Run(context.Background(), s, chaos.Config{
		Purchases: 60, Concurrency: 4, KillEvery: 2500 * time.Millisecond, Down: 300 * time.Millisecond,
		LongDown: 6 * time.Second, LongEvery: 3, CancelShare: 0.2,
		// Bounded, so that a slow machine (race detector, parallel packages)
		// recovers and finishes; make chaos has no bound.
		MaxKills: 6,
		Settle:   2 * time.Minute, Progress: logWriter{t},
	})
	if err != nil {
		// Tell the story of the order that got stuck, from every process.
		var story []string
		if id := regexp.MustCompile(`ord-[0-9a-f]+`).FindString(err.Error()); id != "" {
			for _, line := range strings.Split(logs.String(), "\n") {
				if strings.Contains(line, id) || strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") && !strings.Contains(line, "injected") {
					story = append(story, line)
				}
			}
		}
		t.Fatalf("%v\n%s", err, strings.Join(story, "\n"))
	}
	wantPassed(t, rep, "chaos broke the saga")
	// Without kills and faults the run above proves nothing.
	kills := 0
	for _, n := range rep.Kills {
		kills += n
	}
	if kills == 0 || rep.Faults == 0 {
		t.Fatalf("%d kills and %d faults: the chaos did not happen", kills, rep.Faults)
	}
}

// logWriter streams progress lines into the test log.
// A report is a run's outcome: a table to print and whether it passed.
type report interface {
	Print(w io.Writer)
	Passed() bool
}

// wantPassed logs rep's table and fails t, saying what broke, unless it
// passed.
func wantPassed(t *testing.T, rep report, what string) {
	t.Helper()
	var table strings.Builder
	rep.Print(&table)
	t.Log(table.String())
	if !rep.Passed() {
		t.Fatalf("%s:\n%s", what, table.String())
	}
}

type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
