package purchases

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/workflows"
)

// yesShop is the three services answering yes to every step of the saga,
// registered from its table; declined makes the charge a refusal.
type yesShop struct{ declined bool }

func (yesShop) CreateOrder(context.Context, saga.Input) (saga.CreateOrderOutput, error) {
	return saga.CreateOrderOutput{TotalCents: 9980}, nil
}
func (yesShop) ReserveStock(context.Context, saga.ReserveStockInput) error { return nil }
func (s yesShop) ChargePayment(context.Context, saga.ChargePaymentInput) error {
	if s.declined {
		return temporal.NewNonRetryableApplicationError("insufficient funds", fault.TypeOf(fault.ErrInsufficientFunds), nil)
	}
	return nil
}
func (yesShop) ApproveOrder(context.Context, saga.OrderRef) error { return nil }
func (yesShop) OrderStatus(context.Context, saga.OrderRef) (string, error) {
	return string(saga.Approved), nil
}
func (yesShop) ShipStock(context.Context, saga.OrderRef) error             { return nil }
func (yesShop) CancelOrder(context.Context, saga.CancelOrderInput) error   { return nil }
func (yesShop) ReleaseStock(context.Context, saga.ReleaseStockInput) error { return nil }
func (yesShop) RefundPayment(context.Context, saga.OrderRef) error         { return nil }

// runSaga runs the purchase workflow with steps that succeed, except the
// charge when declined, with pivots watching the order; it returns the
// workflow's own report and the watch.
func runSaga(t *testing.T, pivots *Pivots, declined bool) (Report, *pivotWatch) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{pivots}})
	env.RegisterWorkflowWithOptions(workflows.Purchase{Policy: workflows.DefaultPolicy()}.Run, workflow.RegisterOptions{Name: saga.WorkflowType})
	impls, err := saga.Implementations(yesShop{declined: declined})
	if err != nil {
		t.Fatal(err)
	}
	for name, fn := range impls {
		env.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
	}
	w, stop := pivots.watch("ord-1")
	t.Cleanup(stop)
	env.ExecuteWorkflow(saga.WorkflowType, saga.Input{OrderID: "ord-1", CustomerID: "alice", Items: []input.Item{{SKU: "SKU-1", Quantity: 2}}})
	var res saga.Result
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatalf("saga: %v", err)
	}
	var rep Report
	fill(&rep, res)
	return rep, w
}

// The answer given at the pivot is the workflow's result as it stands at
// the pivot, field by field: the steps after it, which only go forward,
// are not done yet, and the first of them is the current step.
func TestAnswerAtThePivotIsTheSagasResult(t *testing.T) {
	result, w := runSaga(t, NewPivots(), false)
	select {
	case <-w.approved:
	default:
		t.Fatal("the approval went by unseen")
	}
	pivot := slices.Index(result.Steps, saga.Purchase.Pivot().Name)
	if pivot < 0 || pivot+1 >= len(result.Steps) {
		t.Fatalf("the saga's steps %v: want the pivot and a step after it", result.Steps)
	}
	want := result
	want.Steps, want.CurrentStep = result.Steps[:pivot+1], result.Steps[pivot+1]
	if got := w.report(Report{}); !reflect.DeepEqual(got, want) {
		t.Fatalf("answer at the pivot %+v, the saga's result at its pivot %+v", got, want)
	}
}

// A saga that never reaches its pivot is never answered early: its answer
// is Temporal's result.
func TestNoAnswerAtThePivotForADeclinedSaga(t *testing.T) {
	rep, w := runSaga(t, NewPivots(), true)
	select {
	case <-w.approved:
		t.Fatal("a declined saga was announced approved")
	default:
	}
	if rep.Status != saga.Cancelled {
		t.Fatalf("declined saga ended %s", rep.Status)
	}
}

// Requests waiting for the same order share one watch, which goes when the
// last of them stops; steps of orders nobody waits for are ignored.
func TestPivotWatchesAreShared(t *testing.T) {
	p := NewPivots()
	a, stopA := p.watch("ord-1")
	b, stopB := p.watch("ord-1")
	if a != b {
		t.Fatal("two watches of one order")
	}
	p.stepDone(saga.ApproveOrder.Name, []any{saga.OrderRef{OrderID: "ord-2"}}, nil)
	p.stepDone(saga.CreateOrder.Name, []any{saga.Input{OrderID: "ord-1"}}, saga.CreateOrderOutput{TotalCents: 4990})
	stopA()
	p.stepDone(saga.ApproveOrder.Name, []any{saga.OrderRef{OrderID: "ord-1"}}, nil)
	p.stepDone(saga.ApproveOrder.Name, []any{saga.OrderRef{OrderID: "ord-1"}}, nil) // a retried task
	select {
	case <-b.approved:
	default:
		t.Fatal("the second request's watch went with the first")
	}
	stopB()
	if len(p.waiting) != 0 {
		t.Fatalf("watches left: %v", p.waiting)
	}
}

// An approval seen here whose create step ran on another worker is not
// answered early: its total is not known here, and the answer would say 0.
func TestNoAnswerAtThePivotWithoutTheTotal(t *testing.T) {
	p := NewPivots()
	w, stop := p.watch("ord-1")
	defer stop()
	p.stepDone(saga.ApproveOrder.Name, []any{saga.OrderRef{OrderID: "ord-1"}}, nil)
	select {
	case <-w.approved:
		t.Fatalf("answered at the pivot with total %s, never learnt", w.report(Report{}).TotalCents)
	default:
	}
}
