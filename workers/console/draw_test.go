package console

import (
	"testing"
	"time"

	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/workers/purchases"
)

// A timeline is laid out on its scale: bars where their spans are,
// overlapping spans counted once in the busy time, compensations named in
// the order they ran, and no cancel once the pivot is done.
func TestDrawTimeline(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	tl := purchases.Timeline{Start: t0, End: at(100), Settled: true, Status: saga.Cancelled, Spans: []purchases.Span{
		{Name: "create", Kind: purchases.KindStep, Class: saga.Compensatable, Service: "order", Start: at(0), End: at(10)},
		{Name: "reserve", Kind: purchases.KindStep, Class: saga.Compensatable, Service: "inventory", Start: at(5), End: at(20)},
		{Name: "charge", Kind: purchases.KindStep, Class: saga.Compensatable, Service: "payment", Start: at(40), End: at(50), Outcome: purchases.OutcomeRefused},
		{Name: "release", Kind: purchases.KindCompensation, Service: "inventory", Start: at(60), End: at(70)},
		{Name: "cancel", Kind: purchases.KindCompensation, Service: "order", Start: at(80), End: at(80)},
	}}
	v := drawTimeline(tl, 200*time.Millisecond, at(100))
	if v.Scale != 200*time.Millisecond || v.Bars[2].Left != 20 || v.Bars[2].Width != 5 {
		t.Errorf("charge drawn at %.1f%% for %.1f%% of %s, want 20%% for 5%% of 200ms", v.Bars[2].Left, v.Bars[2].Width, v.Scale)
	}
	if v.Bars[4].Width <= 0 {
		t.Error("a span of no length is not drawn")
	}
	if v.Busy != 40*time.Millisecond || v.Idle != 60*time.Millisecond {
		t.Errorf("busy %s, idle %s; want 40ms and 60ms (create and reserve overlap)", v.Busy, v.Idle)
	}
	if v.Undone != "release (inventory), cancel (order)" || v.Steps != 3 || v.Compensations != 2 {
		t.Errorf("undone %q, %d steps, %d compensations", v.Undone, v.Steps, v.Compensations)
	}
	tl.Settled, tl.Status = false, saga.Running
	tl.Spans = append(tl.Spans[:2], purchases.Span{Name: "approve", Kind: purchases.KindStep, Class: saga.Pivot, Start: at(30), End: at(31)})
	if drawTimeline(tl, 0, at(100)).Cancel {
		t.Error("a running purchase past its pivot offers a cancel")
	}
	tl.Spans = tl.Spans[:2]
	if !drawTimeline(tl, 0, at(100)).Cancel {
		t.Error("a running purchase before its pivot offers no cancel")
	}
}
