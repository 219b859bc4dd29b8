package purchases

import (
	"context"
	"sync"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"

	"github.com/sagaforge/saga/internal/platform/money"
	"github.com/sagaforge/saga/internal/saga"
)

// Pivots lets the API answer an orchestrated purchase the moment its pivot
// has committed, instead of after the workflow task that holds it is
// recorded and the result read back (about half of a saga's time on a
// small node; docs/bench/api.md). Once the order service has approved the
// order the saga only goes forward: whatever becomes of the workflow task,
// its retry meets the same answers from the idempotent services and ends
// APPROVED. So the approval's success is the outcome, and it is exact.
//
// It sees the steps as a worker interceptor, so only sagas whose steps run
// in this process are answered early; any other is answered when Temporal
// has its result, as before.
type Pivots struct {
	interceptor.WorkerInterceptorBase
	mu      sync.Mutex
	waiting map[string]*pivotWatch
}

// pivotWatch is one order whose pivot a request waits for.
type pivotWatch struct {
	refs     int
	total    money.Cents   // from the create step
	known    bool          // total came from a create step run here
	approved chan struct{} // closed when the approval is in, with the total known
	closed   bool
}

// NewPivots returns a Pivots with nothing watched.
func NewPivots() *Pivots { return &Pivots{waiting: map[string]*pivotWatch{}} }

// watch starts watching the order's steps; call it before the saga starts,
// and stop when done.
func (p *Pivots) watch(orderID string) (w *pivotWatch, stop func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	w = p.waiting[orderID]
	if w == nil {
		w = &pivotWatch{approved: make(chan struct{})}
		p.waiting[orderID] = w
	}
	w.refs++
	return w, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if w.refs--; w.refs == 0 {
			delete(p.waiting, orderID)
		}
	}
}

// stepDone notes a forward step that succeeded.
func (p *Pivots) stepDone(activityType string, in []any, out any) {
	if len(in) != 1 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch activityType {
	case saga.CreateOrder.Name:
		req, ok1 := in[0].(saga.Input)
		res, ok2 := createOutput(out)
		if w := p.waiting[req.OrderID]; ok1 && ok2 && w != nil {
			w.total, w.known = res.TotalCents, true
		}
	case saga.ApproveOrder.Name:
		ref, ok := in[0].(saga.OrderRef)
		// A create step run by another worker left the total unknown
		// here: the answer then waits for the saga's result instead.
		if w := p.waiting[ref.OrderID]; ok && w != nil && w.known && !w.closed {
			w.closed = true
			close(w.approved)
		}
	}
}

// createOutput reads the create step's result, which comes as the
// function returned it or, through some interceptor chains (the SDK's test
// environment), already encoded.
func createOutput(out any) (saga.CreateOrderOutput, bool) {
	switch v := out.(type) {
	case saga.CreateOrderOutput:
		return v, true
	case *commonpb.Payloads:
		var res saga.CreateOrderOutput
		ok := converter.GetDefaultDataConverter().FromPayloads(v, &res) == nil
		return res, ok
	}
	return saga.CreateOrderOutput{}, false
}

// report is the saga's result as it stands once its pivot is in: approved,
// with the steps through the pivot done and the first step after it (which
// only goes forward) as the current one.
func (w *pivotWatch) report(rep Report) Report {
	rep.Status, rep.Reason = saga.Approved, ""
	rep.Progress = saga.Purchase.Completed()
	rep.CurrentStep = saga.Purchase.Next(rep.Progress)
	rep.TotalCents = w.total
	return rep
}

// InterceptActivity watches the forward steps of this worker's sagas.
func (p *Pivots) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	return &pivotActivity{ActivityInboundInterceptorBase: interceptor.ActivityInboundInterceptorBase{Next: next}, pivots: p}
}

type pivotActivity struct {
	interceptor.ActivityInboundInterceptorBase
	pivots *Pivots
}

func (a *pivotActivity) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	out, err := a.Next.ExecuteActivity(ctx, in)
	if err == nil {
		a.pivots.stepDone(activity.GetInfo(ctx).ActivityType.Name, in.Args, out)
	}
	return out, err
}
