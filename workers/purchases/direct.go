package purchases

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/saga"
)

// Direct is the purchase API's "direct" mode, a benchmark's baseline and
// never a way to serve customers: the saga's steps, through the same
// activities the worker runs, called in sequence by the request's own
// goroutine, compensating inline on a refusal. Nothing is durable: a crash
// half-way, or a service down for a moment, leaves the three databases
// disagreeing for good. That is what the two real modes pay for, and the
// figure they are measured against through the same door.
type Direct struct {
	impls map[string]any
}

// NewDirect runs the saga's steps over acts, the worker's activities
// (activities.New); an acts lacking one of the saga's activities is refused.
func NewDirect(acts any) (*Direct, error) {
	impls, err := saga.Implementations(acts)
	if err != nil {
		return nil, err
	}
	return &Direct{impls: impls}, nil
}

// Run runs the purchase's every step, the retriable ones after the pivot
// included, and answers its outcome: APPROVED, or CANCELLED once a refusal
// before the pivot has been undone. Any other failure is returned as it
// came, with the steps done so far left as they are.
func (d *Direct) Run(ctx context.Context, in saga.Input) (Report, error) {
	exec := func(activity string, in, out any) error { return saga.Invoke(ctx, d.impls[activity], in, out) }
	f := saga.Facts{Input: in}
	rep := Report{OrderID: in.OrderID, Mode: string(saga.Direct), Progress: saga.Begun()}
	var done []saga.Step
	for _, st := range saga.Purchase.Steps {
		err := st.Call.Run(&f, exec)
		var refusal *temporal.ApplicationError
		switch {
		case err == nil:
			rep.Steps = append(rep.Steps, st.Name)
			done = append(done, st)
			continue
		case st.Class == saga.Retriable || !errors.As(err, &refusal) || !refusal.NonRetryable():
			return Report{}, fmt.Errorf("direct purchase %s: %s: %w", in.OrderID, st.Name, err)
		}
		f.Reason = refusal.Message()
		for i := len(done) - 1; i >= 0; i-- {
			if u := done[i].Undo; u != nil {
				if err := u.Call.Run(&f, exec); err != nil {
					return Report{}, fmt.Errorf("direct purchase %s: %s: %w", in.OrderID, u.Name, err)
				}
				rep.Compensations = append(rep.Compensations, u.Name)
			}
		}
		rep.Status, rep.Reason, rep.TotalCents = saga.Cancelled, f.Reason, f.TotalCents
		return rep, nil
	}
	rep.Status, rep.TotalCents = saga.Approved, f.TotalCents
	return rep, nil
}

// errNoDirect refuses the direct mode on a worker that was not started for
// benchmarks.
var errNoDirect = fmt.Errorf("%w: mode direct is a benchmark's baseline with no durability; this worker was not started with --bench-direct", fault.ErrInvalid)
