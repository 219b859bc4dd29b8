package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/platform/money"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/workflows"
)

// shop is an in-memory stand-in for the three services with the same rules
// (idempotency, tombstones, refusals), plus knobs to inject failures. It lets
// a test assert what the saga did to each "database", not just which calls
// it made.
type shop struct {
	mu       sync.Mutex
	calls    []string
	orders   map[string]string // order ID -> PENDING/APPROVED/CANCELLED
	owners   map[string]string // order ID -> the customer whose purchase created it
	reasons  map[string]string
	stock    map[string]int
	reserved map[string][]input.Item
	shipped  map[string][]input.Item
	balance  map[string]money.Cents
	charged  map[string]money.Cents
	prices   map[string]money.Cents

	transientFailures map[string]int   // activity -> failures left before it works
	refuse            map[string]error // activity -> error it always returns
	hangAfterWork     map[string]int   // activity -> calls left that do the work, then never answer
	// cancelWorkflowOn cancels the workflow (as the Web UI or "temporal
	// workflow cancel" would) when this activity is first entered.
	cancelWorkflowOn string
	// cancelOrderOn cancels the order in the order "service" when this
	// activity is first entered, as an operator's direct cancel would.
	cancelOrderOn string
	// cancelOn sends the customer's cancel update with this reason when
	// the activity is first entered; answers keeps what each one got.
	cancelOn map[string]string
	answers  answers
	env      *testsuite.TestWorkflowEnvironment
	// regular are the activities started as regular activities, in order
	// (the local ones run inside the workflow task).
	regular []string
}

// answers are the cancel updates' outcomes, in the order they came.
type answers struct {
	mu   sync.Mutex
	got  []saga.Result
	errs []error
}

func (a *answers) add(res saga.Result, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.got, a.errs = append(a.got, res), append(a.errs, err)
}

func newShop() *shop {
	return &shop{
		orders: map[string]string{}, owners: map[string]string{}, reasons: map[string]string{},
		stock:             map[string]int{"SKU-1": 1000, "SKU-2": 100, "SKU-OUT": 0},
		reserved:          map[string][]input.Item{},
		shipped:           map[string][]input.Item{},
		balance:           map[string]money.Cents{"alice": 1_000_000, "bob": 5_000},
		charged:           map[string]money.Cents{},
		prices:            map[string]money.Cents{"SKU-1": 4990, "SKU-2": 19900, "SKU-OUT": 1000},
		transientFailures: map[string]int{}, refuse: map[string]error{}, hangAfterWork: map[string]int{},
	}
}

// wantUndone fails t unless the saga of orderID left nothing behind: the
// order CANCELLED, nothing held or charged, and every SKU's stock and every
// balance as newShop seeds them.
func wantUndone(t *testing.T, s *shop, orderID string) {
	t.Helper()
	seed := newShop()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.orders[orderID] != "CANCELLED" || len(s.reserved)+len(s.charged)+len(s.shipped) != 0 ||
		!maps.Equal(s.stock, seed.stock) || !maps.Equal(s.balance, seed.balance) {
		t.Fatalf("order %s %s, held %v, charged %v, stock %v, balances %v; want everything undone",
			orderID, s.orders[orderID], s.reserved, s.charged, s.stock, s.balance)
	}
}

// enter records the call and applies injected failures that come before
// the work.
func (s *shop) enter(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, name)
	if name == s.cancelOrderOn {
		s.cancelOrderOn = ""
		for id := range s.orders {
			s.orders[id] = "CANCELLED"
		}
	}
	if name == s.cancelWorkflowOn {
		s.cancelWorkflowOn = ""
		s.env.CancelWorkflow()
	}
	if why, ok := s.cancelOn[name]; ok {
		delete(s.cancelOn, name)
		s.env.UpdateWorkflow(saga.UpdateCancel, name, &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) { s.answers.add(saga.Result{}, err) },
			OnComplete: func(v any, err error) {
				res, _ := v.(saga.Result)
				s.answers.add(res, err)
			},
		}, saga.CancelRequest{Reason: why})
	}
	if err := s.refuse[name]; err != nil {
		return err
	}
	if s.transientFailures[name] > 0 {
		s.transientFailures[name]--
		return errors.New("503 service unavailable")
	}
	return nil
}

// leave applies an injected hang: the work is done but the answer never
// reaches the workflow, as when a response is lost in a timeout.
func (s *shop) leave(ctx context.Context, name string) error {
	s.mu.Lock()
	hang := s.hangAfterWork[name] > 0
	if hang {
		s.hangAfterWork[name]--
	}
	s.mu.Unlock()
	if hang {
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

func refusal(errType, msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, errType, nil)
}

// do runs one activity of the shop: its injected refusal or outage, then
// work under the shop's lock, then its injected lost answer.
func (s *shop) do(ctx context.Context, name string, work func() error) error {
	if err := s.enter(name); err != nil {
		return err
	}
	s.mu.Lock()
	err := work()
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.leave(ctx, name)
}

func (s *shop) CreateOrder(ctx context.Context, in saga.Input) (out saga.CreateOrderOutput, err error) {
	// out is read after do returns: in "return out, s.do(...)" the order in
	// which out and the call are evaluated is unspecified.
	err = s.do(ctx, saga.CreateOrder.Name, func() error {
		for _, it := range in.Items {
			price, ok := s.prices[it.SKU]
			if !ok {
				return refusal(fault.TypeOf(fault.ErrInvalid), "unknown sku "+it.SKU)
			}
			out.TotalCents += price * money.Cents(it.Quantity)
		}
		if owner, exists := s.owners[in.OrderID]; exists && owner != in.CustomerID {
			return refusal(fault.TypeOf(fault.ErrIdempotencyConflict), "order "+in.OrderID+" exists with other items or customer")
		}
		if _, exists := s.orders[in.OrderID]; !exists {
			s.orders[in.OrderID], s.owners[in.OrderID] = "PENDING", in.CustomerID
		}
		return nil
	})
	return out, err
}

func (s *shop) ApproveOrder(ctx context.Context, in saga.OrderRef) error {
	return s.do(ctx, saga.ApproveOrder.Name, func() error {
		if s.orders[in.OrderID] == "CANCELLED" {
			return refusal(fault.TypeOf(fault.ErrIllegalTransition), "order is CANCELLED")
		}
		s.orders[in.OrderID] = "APPROVED"
		return nil
	})
}

func (s *shop) OrderStatus(ctx context.Context, in saga.OrderRef) (status string, err error) {
	err = s.do(ctx, saga.OrderStatus.Name, func() error {
		status = s.orders[in.OrderID]
		return nil
	})
	return status, err
}

func (s *shop) CancelOrder(ctx context.Context, in saga.CancelOrderInput) error {
	return s.do(ctx, saga.CancelOrder.Name, func() error {
		if owner, ok := s.owners[in.OrderID]; ok && owner != in.CustomerID {
			return refusal(fault.TypeOf(fault.ErrIdempotencyConflict), "order "+in.OrderID+" belongs to another purchase")
		}
		if s.orders[in.OrderID] == "APPROVED" {
			return refusal(fault.TypeOf(fault.ErrIllegalTransition), "order is APPROVED")
		}
		s.orders[in.OrderID], s.reasons[in.OrderID] = "CANCELLED", in.Reason
		return nil
	})
}

func (s *shop) ReserveStock(ctx context.Context, in saga.ReserveStockInput) error {
	return s.do(ctx, saga.ReserveStock.Name, func() error {
		if _, done := s.reserved[in.OrderID]; done {
			return nil
		}
		if _, shipped := s.shipped[in.OrderID]; shipped { // gone forward: done
			return nil
		}
		for _, it := range in.Items {
			if s.stock[it.SKU] < it.Quantity {
				return refusal(fault.TypeOf(fault.ErrOutOfStock), fmt.Sprintf("out of stock: %s (requested %d, available %d)", it.SKU, it.Quantity, s.stock[it.SKU]))
			}
		}
		for _, it := range in.Items {
			s.stock[it.SKU] -= it.Quantity
		}
		s.reserved[in.OrderID] = in.Items
		return nil
	})
}

func (s *shop) ReleaseStock(ctx context.Context, in saga.ReleaseStockInput) error {
	return s.do(ctx, saga.ReleaseStock.Name, func() error {
		for _, it := range s.reserved[in.OrderID] {
			s.stock[it.SKU] += it.Quantity
		}
		delete(s.reserved, in.OrderID)
		return nil
	})
}

func (s *shop) ChargePayment(ctx context.Context, in saga.ChargePaymentInput) error {
	return s.do(ctx, saga.ChargePayment.Name, func() error {
		if _, done := s.charged[in.OrderID]; done {
			return nil
		}
		if s.balance[in.CustomerID] < in.AmountCents {
			return refusal(fault.TypeOf(fault.ErrInsufficientFunds), "insufficient funds: balance does not cover "+in.AmountCents.String())
		}
		s.balance[in.CustomerID] -= in.AmountCents
		s.charged[in.OrderID] = in.AmountCents
		return nil
	})
}

func (s *shop) RefundPayment(ctx context.Context, in saga.OrderRef) error {
	return s.do(ctx, saga.RefundPayment.Name, func() error {
		if amount, ok := s.charged[in.OrderID]; ok {
			s.balance["alice"] += amount // every test that pays is alice's
			delete(s.charged, in.OrderID)
		}
		return nil
	})
}

func (s *shop) ShipStock(ctx context.Context, in saga.OrderRef) error {
	return s.do(ctx, saga.ShipStock.Name, func() error {
		if _, done := s.shipped[in.OrderID]; done {
			return nil
		}
		items, ok := s.reserved[in.OrderID]
		if !ok {
			return refusal(fault.TypeOf(fault.ErrIllegalTransition), "no stock reserved for order "+in.OrderID+"; nothing to ship")
		}
		s.shipped[in.OrderID] = items
		delete(s.reserved, in.OrderID)
		return nil
	})
}

// fastPolicy keeps the production shape with timeouts short enough that a
// test that waits for one finishes quickly.
func fastPolicy(local bool) workflows.Policy {
	p := workflows.DefaultPolicy()
	p.LocalSteps = local
	p.StepTimeout = 300 * time.Millisecond
	p.StepRetry.MaximumAttempts = 5
	return p
}

// TestMain runs every test twice: forward steps as local activities (the
// default) and as regular activities.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		localSteps = false
		code = m.Run()
	}
	os.Exit(code)
}

var localSteps = true

// execute runs the purchase workflow on s in the test suite and returns its
// result or its error.
func execute(t *testing.T, s *shop, in saga.Input) (saga.Result, error) {
	t.Helper()
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	s.env = env
	env.RegisterWorkflowWithOptions(workflows.Purchase{Policy: fastPolicy(localSteps)}.Run, workflow.RegisterOptions{Name: saga.WorkflowType})
	impls, err := saga.Implementations(s)
	if err != nil {
		t.Fatal(err)
	}
	for name, fn := range impls {
		env.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
	}
	env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.regular = append(s.regular, info.ActivityType.Name)
	})
	env.ExecuteWorkflow(saga.WorkflowType, in)
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	var res saga.Result
	err = env.GetWorkflowError()
	if err == nil {
		if gerr := env.GetWorkflowResult(&res); gerr != nil {
			t.Fatal(gerr)
		}
	}
	return res, err
}

// run runs the workflow to a result; a workflow error fails the test.
func run(t *testing.T, s *shop, in saga.Input) saga.Result {
	t.Helper()
	res, err := execute(t, s, in)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func alice(items ...input.Item) saga.Input {
	return saga.Input{OrderID: "o-1", CustomerID: "alice", Items: items}
}

func item(sku string, qty int) input.Item { return input.Item{SKU: sku, Quantity: qty} }

func wantCalls(t *testing.T, s *shop, want ...string) {
	t.Helper()
	if !slices.Equal(s.calls, want) {
		t.Fatalf("activity calls\n got %v\nwant %v", s.calls, want)
	}
}

func TestApproved(t *testing.T) {
	s := newShop()
	res := run(t, s, alice(item("SKU-1", 2), item("SKU-2", 1)))
	if res.Status != saga.Approved || res.TotalCents != 29880 || len(res.Compensations) != 0 {
		t.Fatalf("result %+v, want APPROVED for 298.80 with no compensation", res)
	}
	if !slices.Equal(res.Steps, []string{"create", "reserve", "charge", "approve", "ship"}) {
		t.Fatalf("steps %v", res.Steps)
	}
	wantCalls(t, s, saga.CreateOrder.Name, saga.ReserveStock.Name, saga.ChargePayment.Name, saga.ApproveOrder.Name, saga.ShipStock.Name)
	if s.orders["o-1"] != "APPROVED" || s.stock["SKU-1"] != 998 || s.balance["alice"] != 1_000_000-29880 || len(s.shipped["o-1"]) != 2 || len(s.reserved) != 0 {
		t.Fatalf("state: order %s, SKU-1 %d, alice %s, shipped %v, reserved %v", s.orders["o-1"], s.stock["SKU-1"], s.balance["alice"], s.shipped, s.reserved)
	}
}

func TestOutOfStockCancelsOrderAndRunsNothingElse(t *testing.T) {
	s := newShop()
	res := run(t, s, alice(item("SKU-1", 1), item("SKU-OUT", 1)))
	if res.Status != saga.Cancelled || !strings.Contains(res.Reason, "out of stock") {
		t.Fatalf("result %+v, want CANCELLED for out of stock", res)
	}
	wantCalls(t, s, saga.CreateOrder.Name, saga.ReserveStock.Name, saga.CancelOrder.Name)
	if !slices.Equal(res.Compensations, []string{"cancel"}) {
		t.Fatalf("compensations %v, want only cancel order", res.Compensations)
	}
	if s.orders["o-1"] != "CANCELLED" || s.reasons["o-1"] != res.Reason || s.stock["SKU-1"] != 1000 {
		t.Fatalf("state: order %s (%q), SKU-1 %d", s.orders["o-1"], s.reasons["o-1"], s.stock["SKU-1"])
	}
}

func TestDeclinedReleasesStockAndCancelsOrder(t *testing.T) {
	s := newShop()
	in := saga.Input{OrderID: "o-bob", CustomerID: "bob", Items: []input.Item{item("SKU-2", 1)}}
	res := run(t, s, in)
	if res.Status != saga.Cancelled || !strings.Contains(res.Reason, "insufficient funds") {
		t.Fatalf("result %+v, want CANCELLED for insufficient funds", res)
	}
	wantCalls(t, s, saga.CreateOrder.Name, saga.ReserveStock.Name, saga.ChargePayment.Name,
		saga.ReleaseStock.Name, saga.CancelOrder.Name)
	if !slices.Equal(res.Compensations, []string{"release", "cancel"}) {
		t.Fatalf("compensations %v", res.Compensations)
	}
	if s.stock["SKU-2"] != 100 || s.orders["o-bob"] != "CANCELLED" || s.balance["bob"] != 5000 {
		t.Fatalf("state: SKU-2 %d, order %s, bob %s", s.stock["SKU-2"], s.orders["o-bob"], s.balance["bob"])
	}
}

func TestApproveFailureRefundsReleasesAndCancelsInReverseOrder(t *testing.T) {
	s := newShop()
	s.refuse[saga.ApproveOrder.Name] = refusal(fault.TypeOf(fault.ErrIllegalTransition), "order o-1 cannot be approved")
	res := run(t, s, alice(item("SKU-2", 2)))
	if res.Status != saga.Cancelled {
		t.Fatalf("result %+v, want CANCELLED", res)
	}
	wantCalls(t, s, saga.CreateOrder.Name, saga.ReserveStock.Name, saga.ChargePayment.Name, saga.ApproveOrder.Name,
		saga.RefundPayment.Name, saga.ReleaseStock.Name, saga.CancelOrder.Name)
	if !slices.Equal(res.Compensations, []string{"refund", "release", "cancel"}) {
		t.Fatalf("compensations %v, want refund, release, cancel", res.Compensations)
	}
	wantUndone(t, s, "o-1")
}

func TestTransientErrorsAreRetried(t *testing.T) {
	s := newShop()
	s.transientFailures[saga.ReserveStock.Name] = 2
	s.transientFailures[saga.ChargePayment.Name] = 3
	res := run(t, s, alice(item("SKU-1", 1)))
	if res.Status != saga.Approved {
		t.Fatalf("result %+v, want APPROVED after retries", res)
	}
	wantCalls(t, s, saga.CreateOrder.Name,
		saga.ReserveStock.Name, saga.ReserveStock.Name, saga.ReserveStock.Name,
		saga.ChargePayment.Name, saga.ChargePayment.Name, saga.ChargePayment.Name, saga.ChargePayment.Name,
		saga.ApproveOrder.Name, saga.ShipStock.Name)
	if s.stock["SKU-1"] != 999 || s.balance["alice"] != 1_000_000-4990 {
		t.Fatalf("retries took effect more than once: SKU-1 %d, alice %s", s.stock["SKU-1"], s.balance["alice"])
	}
}

func TestStepThatTimesOutAfterDoingItsWorkIsCompensated(t *testing.T) {
	s := newShop()
	s.hangAfterWork[saga.ChargePayment.Name] = 1000
	res := run(t, s, alice(item("SKU-2", 1)))
	// The SDK's timeout and the activity's own expired context race: the
	// reason says either, and both mean the charge ran out of time.
	if res.Status != saga.Cancelled || !(strings.Contains(res.Reason, "timed out") || strings.Contains(res.Reason, "deadline exceeded")) {
		t.Fatalf("result %+v, want CANCELLED after a timeout", res)
	}
	// With local steps, not a refusal means a fenced abort: the order
	// first, then every compensatable step; regular activities undo what
	// they registered, in reverse order.
	want := []string{"cancel", "refund", "release"}
	if !localSteps {
		want = []string{"refund", "release", "cancel"}
	}
	if !slices.Equal(res.Compensations, want) {
		t.Fatalf("compensations %v, want the order cancelled, then the charge refunded even though it never answered", res.Compensations)
	}
	wantUndone(t, s, "o-1")
}

func TestCompensationRetriesTransientErrors(t *testing.T) {
	s := newShop()
	s.transientFailures[saga.ReleaseStock.Name] = 3
	in := saga.Input{OrderID: "o-bob", CustomerID: "bob", Items: []input.Item{item("SKU-2", 1)}}
	res := run(t, s, in)
	if res.Status != saga.Cancelled || s.stock["SKU-2"] != 100 {
		t.Fatalf("result %+v, SKU-2 %d; want CANCELLED with stock back", res, s.stock["SKU-2"])
	}
	if n := strings.Count(strings.Join(s.calls, " "), saga.ReleaseStock.Name); n != 4 {
		t.Fatalf("release stock called %d times, want 3 failures and 1 success", n)
	}
}

// A compensation's first try runs inside the workflow task, as the steps
// do: a declined purchase is undone with no activity scheduled. One whose
// first try fails transiently goes on as a regular activity, retried, and
// only it does.
func TestCompensationsTryLocallyFirst(t *testing.T) {
	if !localSteps {
		t.Skip("with regular steps, every compensation is a regular activity")
	}
	declined := saga.Input{OrderID: "o-bob", CustomerID: "bob", Items: []input.Item{item("SKU-2", 1)}}
	s := newShop()
	if res := run(t, s, declined); res.Status != saga.Cancelled || len(s.regular) != 0 {
		t.Fatalf("result %+v, regular activities %v; want CANCELLED with none", res, s.regular)
	}
	wantUndone(t, s, "o-bob")

	s = newShop()
	s.transientFailures[saga.ReleaseStock.Name] = 2
	if res := run(t, s, declined); res.Status != saga.Cancelled || !slices.Equal(s.regular, []string{saga.ReleaseStock.Name, saga.ReleaseStock.Name}) {
		t.Fatalf("result %+v, regular activities %v; want CANCELLED, release retried as an activity", res, s.regular)
	}
	wantUndone(t, s, "o-bob")
}

func TestCompensationThatCannotBeDoneFailsTheWorkflowPlainly(t *testing.T) {
	s := newShop()
	s.refuse[saga.ReleaseStock.Name] = refusal(fault.TypeOf(fault.ErrNotFound), "reservation store lost")
	in := saga.Input{OrderID: "o-bob", CustomerID: "bob", Items: []input.Item{item("SKU-2", 1)}}
	_, err := execute(t, s, in)
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != saga.ErrTypeCompensationFailed {
		t.Fatalf("workflow error %v, want %s", err, saga.ErrTypeCompensationFailed)
	}
	if !strings.Contains(appErr.Error(), "release: ") || !strings.Contains(appErr.Error(), "manual repair") {
		t.Fatalf("error %q does not say which compensation failed and what to do", appErr.Error())
	}
	var partial saga.Result
	if err := appErr.Details(&partial); err != nil || partial.Status != saga.Failed {
		t.Fatalf("details %+v (%v), want the partial result with status FAILED", partial, err)
	}
	if s.orders["o-bob"] != "CANCELLED" {
		t.Fatalf("the other compensations must still run: order is %s", s.orders["o-bob"])
	}
}

func TestInvalidOrderIsCancelledWithoutCompensating(t *testing.T) {
	s := newShop()
	res := run(t, s, alice(item("SKU-404", 1)))
	if res.Status != saga.Cancelled || !strings.Contains(res.Reason, "unknown sku") {
		t.Fatalf("result %+v, want CANCELLED for the unknown sku", res)
	}
	wantCalls(t, s, saga.CreateOrder.Name)
}

func TestStepThatNeverRecoversGivesUpAndCompensates(t *testing.T) {
	s := newShop()
	s.transientFailures[saga.ChargePayment.Name] = 1000 // the payment service is down
	res := run(t, s, alice(item("SKU-1", 3)))
	if res.Status != saga.Cancelled || !strings.Contains(res.Reason, "charge") {
		t.Fatalf("result %+v, want CANCELLED naming the charge step", res)
	}
	if s.stock["SKU-1"] != 1000 || s.orders["o-1"] != "CANCELLED" {
		t.Fatalf("state: SKU-1 %d, order %s", s.stock["SKU-1"], s.orders["o-1"])
	}
}

// The pivot: an approval whose answer is lost for longer than the step
// deadline may have committed, so the saga asks the order service instead of
// refunding a customer who keeps the goods.
func TestApprovalAnswerLostPastTheDeadlineGoesForward(t *testing.T) {
	s := newShop()
	s.hangAfterWork[saga.ApproveOrder.Name] = 1000 // every answer is lost
	res := run(t, s, alice(item("SKU-2", 1)))
	if res.Status != saga.Approved || len(res.Compensations) != 0 || !slices.Equal(res.Steps[len(res.Steps)-2:], []string{"approve", "ship"}) {
		t.Fatalf("result %+v, want APPROVED and shipped with nothing compensated", res)
	}
	if !slices.Contains(s.calls, saga.OrderStatus.Name) || slices.Contains(s.calls, saga.RefundPayment.Name) {
		t.Fatalf("calls %v: want the order's status asked, and no refund", s.calls)
	}
	if s.orders["o-1"] != "APPROVED" || s.balance["alice"] != 1_000_000-19900 || s.stock["SKU-2"] != 99 {
		t.Fatalf("state: order %s, alice %s, SKU-2 %d; want approved, charged and reserved", s.orders["o-1"], s.balance["alice"], s.stock["SKU-2"])
	}
}

// When the order service says the order is still PENDING, the approval was
// never done, and it is tried again rather than compensated.
func TestApprovalThatNeverReachedTheServiceIsTriedAgain(t *testing.T) {
	s := newShop()
	s.transientFailures[saga.ApproveOrder.Name] = 5 // the policy's attempts, all before the work
	res := run(t, s, alice(item("SKU-1", 1)))
	if res.Status != saga.Approved || len(res.Compensations) != 0 {
		t.Fatalf("result %+v, want APPROVED", res)
	}
	i := slices.Index(s.calls, saga.OrderStatus.Name)
	if i < 0 || !slices.Equal(s.calls[i:], []string{saga.OrderStatus.Name, saga.ApproveOrder.Name, saga.ShipStock.Name}) {
		t.Fatalf("calls %v: want the status asked (PENDING), then approve once more, then ship", s.calls)
	}
}

// An order cancelled behind the saga's back (an operator's POST
// /orders/{id}/cancel) refuses the approval: that is a definite no, and the
// steps are compensated.
func TestApprovalOfAnOrderCancelledMeanwhileCompensates(t *testing.T) {
	s := newShop()
	s.transientFailures[saga.ApproveOrder.Name] = 5
	s.cancelOrderOn = saga.OrderStatus.Name
	res := run(t, s, alice(item("SKU-1", 1)))
	if res.Status != saga.Cancelled {
		t.Fatalf("result %+v, want CANCELLED", res)
	}
	wantUndone(t, s, "o-1")
}

func TestWorkflowCancelDuringThePivotDoesNotInterruptIt(t *testing.T) {
	s := newShop()
	s.cancelWorkflowOn = saga.ApproveOrder.Name
	s.hangAfterWork[saga.ApproveOrder.Name] = 1
	res := run(t, s, alice(item("SKU-1", 1)))
	if res.Status != saga.Approved || len(res.Compensations) != 0 || s.orders["o-1"] != "APPROVED" || s.balance["alice"] != 1_000_000-4990 {
		t.Fatalf("result %+v, order %s, alice %s; want APPROVED, charged, nothing undone", res, s.orders["o-1"], s.balance["alice"])
	}
}

func TestWorkflowCancelBeforeThePivotCompensates(t *testing.T) {
	s := newShop()
	s.cancelWorkflowOn = saga.ChargePayment.Name
	res := run(t, s, alice(item("SKU-1", 1)))
	if res.Status != saga.Cancelled {
		t.Fatalf("result %+v, want CANCELLED", res)
	}
	wantUndone(t, s, "o-1")
	if slices.Contains(s.calls, saga.ApproveOrder.Name) {
		t.Fatalf("calls %v: the pivot must not start once a cancel has arrived", s.calls)
	}
}

// An idempotency conflict means the order ID belongs to another purchase:
// nothing of ours exists to undo, and cancelling would cancel theirs.
func TestIdempotencyConflictOnCreateCompensatesNothing(t *testing.T) {
	s := newShop()
	s.refuse[saga.CreateOrder.Name] = refusal(fault.TypeOf(fault.ErrIdempotencyConflict), "order o-1 exists with other items or customer")
	res := run(t, s, alice(item("SKU-1", 1)))
	if res.Status != saga.Cancelled || len(res.Compensations) != 0 {
		t.Fatalf("result %+v, want CANCELLED with no compensation", res)
	}
	wantCalls(t, s, saga.CreateOrder.Name)
}

// With local steps, a workflow task that ran the steps and was then lost
// leaves their effects but no record, and its retry may take another path.
// Here the lost task charged and approved; the retry finds the reserve
// service down past the deadline. The fenced abort finds the order approved
// and goes forward instead of failing on refusals to undo a sale.
func TestAbortAfterALostApprovalGoesForward(t *testing.T) {
	if !localSteps {
		t.Skip("regular activities are recorded when scheduled; no task is lost with its steps")
	}
	s := newShop()
	s.orders["o-1"], s.charged["o-1"], s.balance["alice"] = "APPROVED", 4990, 1_000_000-4990
	s.reserved["o-1"], s.stock["SKU-1"] = []input.Item{item("SKU-1", 1)}, 999
	s.transientFailures[saga.ReserveStock.Name] = 1000
	res := run(t, s, alice(item("SKU-1", 1)))
	if res.Status != saga.Approved || len(res.Compensations) != 0 || len(res.Steps) != 5 || len(s.shipped["o-1"]) != 1 {
		t.Fatalf("result %+v, shipped %v; want APPROVED with every step, shipped, and nothing compensated", res, s.shipped)
	}
	if s.orders["o-1"] != "APPROVED" || s.balance["alice"] != 1_000_000-4990 {
		t.Fatalf("state: order %s, alice %s; want the sale to stand", s.orders["o-1"], s.balance["alice"])
	}
}

// A workflow task lost after it ran every step, the ship included, is
// retried from the start: every step is answered as done, and the saga
// ends APPROVED with nothing undone and nothing taken twice.
func TestATaskLostAfterTheShipGoesThroughAgain(t *testing.T) {
	if !localSteps {
		t.Skip("regular activities are recorded when scheduled; no task is lost with its steps")
	}
	s := newShop()
	s.orders["o-1"], s.owners["o-1"], s.charged["o-1"], s.balance["alice"] = "APPROVED", "alice", 4990, 1_000_000-4990
	s.shipped["o-1"], s.stock["SKU-1"] = []input.Item{item("SKU-1", 1)}, 999
	res := run(t, s, alice(item("SKU-1", 1)))
	if res.Status != saga.Approved || len(res.Compensations) != 0 || len(res.Steps) != 5 {
		t.Fatalf("result %+v; want APPROVED with every step and nothing undone", res)
	}
	if s.stock["SKU-1"] != 999 || s.balance["alice"] != 1_000_000-4990 || len(s.shipped["o-1"]) != 1 {
		t.Fatalf("stock %d, alice %s, shipped %v; want the first attempt's effects only", s.stock["SKU-1"], s.balance["alice"], s.shipped)
	}
}

// A customer's cancel that meets an order a lost task had approved does
// not cancel: the saga goes forward, the cancel is refused saying the
// purchase went through, and the result carries the order's total even
// though this run's create never answered.
func TestACancelThatMeetsALostApprovalIsRefused(t *testing.T) {
	if !localSteps {
		t.Skip("regular activities are recorded when scheduled; no task is lost with its steps")
	}
	s := newShop()
	s.orders["o-1"], s.owners["o-1"], s.charged["o-1"], s.balance["alice"] = "APPROVED", "alice", 4990, 1_000_000-4990
	s.reserved["o-1"], s.stock["SKU-1"] = []input.Item{item("SKU-1", 1)}, 999
	s.hangAfterWork[saga.CreateOrder.Name] = 1
	s.cancelOn = map[string]string{saga.CreateOrder.Name: "changed my mind"}
	res := run(t, s, alice(item("SKU-1", 1)))
	if res.Status != saga.Approved || res.TotalCents != 4990 || len(s.shipped["o-1"]) != 1 {
		t.Fatalf("result %+v, shipped %v; want APPROVED at 49.90, shipped", res, s.shipped)
	}
	s.answers.mu.Lock()
	defer s.answers.mu.Unlock()
	if len(s.answers.errs) != 1 || s.answers.errs[0] == nil || !strings.Contains(s.answers.errs[0].Error(), "went through") {
		t.Fatalf("cancel answered %+v %v; want it refused as gone through", s.answers.got, s.answers.errs)
	}
	var appErr *temporal.ApplicationError
	if !errors.As(s.answers.errs[0], &appErr) || appErr.Type() != fault.TypeOf(fault.ErrIllegalTransition) {
		t.Fatalf("cancel refused with %v; want a %s", s.answers.errs[0], fault.TypeOf(fault.ErrIllegalTransition))
	}
}

// A saga whose order ID another purchase holds, and whose create never
// answered, undoes nothing: the other purchase's order, stock and payment
// stay as they were, and the saga does not report that purchase's approval
// as its own.
func TestAnOrderOfAnotherPurchaseIsLeftAlone(t *testing.T) {
	for _, status := range []string{"PENDING", "APPROVED"} {
		t.Run(status, func(t *testing.T) {
			s := newShop()
			s.orders["o-1"], s.owners["o-1"], s.charged["o-1"], s.balance["bob"] = status, "bob", 1000, 4000
			s.reserved["o-1"], s.stock["SKU-OUT"] = []input.Item{item("SKU-OUT", 1)}, 0
			s.transientFailures[saga.CreateOrder.Name] = 1000 // its answers are lost
			res := run(t, s, alice(item("SKU-1", 1)))
			if res.Status != saga.Cancelled || len(res.Compensations) != 0 || !strings.Contains(res.Reason, "another purchase") {
				t.Fatalf("result %+v; want CANCELLED, nothing undone, saying why", res)
			}
			if s.orders["o-1"] != status || s.charged["o-1"] != 1000 || len(s.reserved["o-1"]) != 1 || len(s.shipped) != 0 {
				t.Fatalf("bob's order %s, charged %v, reserved %v, shipped %v; want it untouched", s.orders["o-1"], s.charged, s.reserved, s.shipped)
			}
		})
	}
}

// A cancel that reaches a retried task before its lost steps ran again
// still undoes them: every compensatable step is undone, reached or not.
func TestCancelUndoesStepsALostTaskMayHaveDone(t *testing.T) {
	if !localSteps {
		t.Skip("regular activities are recorded when scheduled")
	}
	s := newShop()
	s.reserved["o-1"] = []input.Item{item("SKU-1", 1)} // done by the lost task
	s.stock["SKU-1"] = 999
	s.cancelWorkflowOn = saga.CreateOrder.Name
	s.hangAfterWork[saga.CreateOrder.Name] = 1
	res := run(t, s, alice(item("SKU-1", 1)))
	if res.Status != saga.Cancelled || s.stock["SKU-1"] != 1000 || len(s.reserved) != 0 || s.orders["o-1"] != "CANCELLED" {
		t.Fatalf("result %+v, SKU-1 %d, reserved %v, order %s; want the lost reservation released", res, s.stock["SKU-1"], s.reserved, s.orders["o-1"])
	}
}

// A customer's cancel asked again while its compensations run (its first
// answer was lost, say) is the same cancel: accepted, and answered with the
// saga's outcome rather than refused as too late. A cancel with another
// reason is refused.
func TestARepeatedCancelWhileCompensatingIsTheSameCancel(t *testing.T) {
	s := newShop()
	s.transientFailures[saga.ChargePayment.Name] = 1000 // payment is down: the charge retries
	s.transientFailures[saga.ReleaseStock.Name] = 2     // and the release takes a few tries
	s.cancelOn = map[string]string{
		saga.ChargePayment.Name: "changed my mind",
		saga.ReleaseStock.Name:  "changed my mind",
		saga.CancelOrder.Name:   "another reason",
	}
	res := run(t, s, alice(item("SKU-1", 1)))
	if res.Status != saga.Cancelled || !strings.Contains(res.Reason, "changed my mind") {
		t.Fatalf("result %+v, want CANCELLED by the customer", res)
	}
	s.answers.mu.Lock()
	defer s.answers.mu.Unlock()
	if len(s.answers.errs) != 3 {
		t.Fatalf("answers %+v %v, want three", s.answers.got, s.answers.errs)
	}
	refused := 0
	for i, err := range s.answers.errs {
		switch {
		case err != nil && strings.Contains(err.Error(), "can no longer be cancelled"):
			refused++
		case err != nil:
			t.Errorf("cancel %d: %v", i, err)
		case s.answers.got[i].Status != saga.Cancelled || s.answers.got[i].Reason != res.Reason:
			t.Errorf("cancel %d answered %+v, want the saga's outcome %+v", i, s.answers.got[i], res)
		}
	}
	if refused != 1 {
		t.Fatalf("answers %+v %v: want the cancel with another reason, and only it, refused", s.answers.got, s.answers.errs)
	}
}

// The retriable step after the pivot retries past the step deadline, for as
// long as it takes, and nothing is compensated meanwhile.
func TestShipRetriesPastTheStepDeadline(t *testing.T) {
	s := newShop()
	s.transientFailures[saga.ShipStock.Name] = 12 // more than a step's attempts
	res := run(t, s, alice(item("SKU-2", 1)))
	if res.Status != saga.Approved || len(res.Compensations) != 0 || res.Steps[len(res.Steps)-1] != "ship" {
		t.Fatalf("result %+v, want APPROVED and shipped, nothing compensated", res)
	}
	if n := strings.Count(strings.Join(s.calls, " "), saga.ShipStock.Name); n != 13 || len(s.shipped["o-1"]) != 1 {
		t.Fatalf("ship called %d times, shipped %v; want 12 failures, then the shipment", n, s.shipped)
	}
}

// A refusal after the pivot is a defect: the saga stays approved, undoes
// nothing, and does not count the step as done.
func TestARefusedShipIsADefectNotAnUndo(t *testing.T) {
	s := newShop()
	s.refuse[saga.ShipStock.Name] = refusal(fault.TypeOf(fault.ErrIllegalTransition), "nothing to ship")
	res := run(t, s, alice(item("SKU-1", 1)))
	if res.Status != saga.Approved || len(res.Compensations) != 0 || slices.Contains(res.Steps, "ship") {
		t.Fatalf("result %+v, want APPROVED without the ship step and nothing compensated", res)
	}
	if s.orders["o-1"] != "APPROVED" || s.balance["alice"] != 1_000_000-4990 || len(s.reserved["o-1"]) != 1 {
		t.Fatalf("state: order %s, alice %s, reserved %v; want the sale to stand", s.orders["o-1"], s.balance["alice"], s.reserved)
	}
	wantCalls(t, s, saga.CreateOrder.Name, saga.ReserveStock.Name, saga.ChargePayment.Name, saga.ApproveOrder.Name, saga.ShipStock.Name)
}
