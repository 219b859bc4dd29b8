package integration

import (
	"context"
	"testing"

	"github.com/sagaforge/saga/ops/matrix"
	"github.com/sagaforge/saga/ops/stack"
)

// TestFailureMatrixPart is the part of make matrix that fits in make test:
// the pivot, a compensatable step and a compensation, each answer lost
// after the work, down past the step deadline, cancelled just before and
// killed, in both modes. Every cell must end consistent, and the audit hold.
func TestFailureMatrixPart(t *testing.T) {
	cells := matrix.Cells(nil, []string{"charge", "approve", "refund"},
		[]string{matrix.LostAfter, matrix.DownPast, matrix.CancelBefore, matrix.Killed}, matrix.DefaultTiming)
	var watcher *matrix.Watcher
	s, _ := startStackWithConfig(t, func(cfg *stack.Config) {
		watcher = matrix.NewWatcher(cfg.Output)
		cfg.Output, cfg.Env = watcher, matrix.Env(cells, matrix.DefaultTiming)
	})
	rep, err := matrix.Run(context.Background(), s, watcher, cells, 12, logWriter{t})
	if err != nil {
		t.Fatal(err)
	}
	wantPassed(t, rep, "the matrix has inconsistent cells")
	// The cells must have exercised what they name: a cancel that always
	// came too late, or a kill that never happened, would prove nothing.
	cancelled := 0
	for _, c := range rep.Cells {
		if !c.Reached() {
			t.Errorf("%s %s %s: the driver did %v of what the cell needs", c.Mode, c.Op, c.Fault, c.Acted)
		}
		if c.Fault == matrix.CancelBefore && c.Op == "charge" && c.Status == "CANCELLED" {
			cancelled++
		}
	}
	if cancelled != 2 {
		t.Fatalf("%d of 2 customer cancels before the charge cancelled the purchase", cancelled)
	}
}
