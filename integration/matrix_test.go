package integration

import (
	"context"
	"testing"

	"github.com/sagaforge/saga/lab/matrix"
	"github.com/sagaforge/saga/lab/stack"
)

// TestFailureMatrixPart is the part of make matrix that fits in make test:
// a compensatable step, the pivot, the retriable step after it and a
// compensation, each answer lost after the work, down past the step
// deadline, cancelled just before and killed, in both modes. Every cell
// must end consistent, and the audit hold.
func TestFailureMatrixPart(t *testing.T) {
	cells := matrix.Cells(nil, []string{"charge", "approve", "ship", "refund"},
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
		// After the pivot the saga only goes forward: no cancel, no
		// outage and no kill at the ship step undoes the sale.
		if c.Op == "ship" && c.Status != "APPROVED" {
			t.Errorf("%s ship %s ended %s; want APPROVED and shipped", c.Mode, c.Fault, c.Status)
		}
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
