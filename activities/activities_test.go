package activities_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/sagaforge/saga/activities"
	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/platform/web"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/internal/services/endpoints"
	"github.com/sagaforge/saga/internal/services/inventory"
	"github.com/sagaforge/saga/internal/services/inventory/inventoryapi"
	"github.com/sagaforge/saga/internal/services/order"
	"github.com/sagaforge/saga/internal/services/order/orderapi"
	"github.com/sagaforge/saga/internal/services/payment"
	"github.com/sagaforge/saga/internal/services/payment/paymentapi"
	"github.com/sagaforge/saga/internal/services/servicetest"
)

// newEnv runs the three real services on real databases (dbtest) and
// the activities against them.
func newEnv(t *testing.T) *testsuite.TestActivityEnvironment {
	return activityEnv(activities.New(endpoints.Clients{
		Orders:    servicetest.Start(t, order.Service, orderapi.NewClient).Client,
		Inventory: servicetest.Start(t, inventory.Service, inventoryapi.NewClient).Client,
		Payments:  servicetest.Start(t, payment.Service, paymentapi.NewClient).Client}))
}

func activityEnv(acts *activities.Activities) *testsuite.TestActivityEnvironment {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	if err := activities.Register(env, acts); err != nil {
		panic(err)
	}
	return env
}

func appError(t *testing.T, err error) *temporal.ApplicationError {
	t.Helper()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		t.Fatalf("error %v (%T) is not an application error", err, err)
	}
	return appErr
}

func TestRefusalsAreNonRetryableAndTyped(t *testing.T) {
	env := newEnv(t)
	if _, err := env.ExecuteActivity(saga.CreateOrder.Name, saga.Input{
		OrderID: "o-1", CustomerID: "bob", Items: []input.Item{{SKU: "SKU-2", Quantity: 1}}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		activity string
		input    any
		errType  string
	}{
		{"out of stock", saga.ReserveStock.Name, saga.ReserveStockInput{OrderID: "o-2", Items: []input.Item{{SKU: "SKU-OUT", Quantity: 1}}}, fault.TypeOf(fault.ErrOutOfStock)},
		{"declined", saga.ChargePayment.Name, saga.ChargePaymentInput{OrderID: "o-1", CustomerID: "bob", AmountCents: 19900}, fault.TypeOf(fault.ErrInsufficientFunds)},
		{"unknown sku", saga.CreateOrder.Name, saga.Input{OrderID: "o-3", CustomerID: "alice", Items: []input.Item{{SKU: "NOPE", Quantity: 1}}}, fault.TypeOf(fault.ErrInvalid)},
		{"approve unknown", saga.ApproveOrder.Name, saga.OrderRef{OrderID: "o-404"}, fault.TypeOf(fault.ErrNotFound)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := env.ExecuteActivity(tc.activity, tc.input)
			appErr := appError(t, err)
			if appErr.Type() != tc.errType || !appErr.NonRetryable() {
				t.Fatalf("got type %q non-retryable=%v (%v), want non-retryable %q", appErr.Type(), appErr.NonRetryable(), err, tc.errType)
			}
		})
	}
	if _, err := env.ExecuteActivity(saga.CancelOrder.Name, saga.CancelOrderInput{OrderID: "o-1", Reason: "declined"}); err != nil {
		t.Fatal(err)
	}
	_, err := env.ExecuteActivity(saga.ApproveOrder.Name, saga.OrderRef{OrderID: "o-1"})
	if appErr := appError(t, err); appErr.Type() != fault.TypeOf(fault.ErrIllegalTransition) {
		t.Fatalf("approve a cancelled order: %v, want %s", err, fault.TypeOf(fault.ErrIllegalTransition))
	}
}

func TestCompensationsSucceedWithNothingToUndo(t *testing.T) {
	env := newEnv(t)
	for _, c := range []struct {
		activity string
		input    any
	}{
		{saga.RefundPayment.Name, saga.OrderRef{OrderID: "ghost"}},
		{saga.ReleaseStock.Name, saga.ReleaseStockInput{OrderID: "ghost", Reason: "compensated"}},
		{saga.CancelOrder.Name, saga.CancelOrderInput{OrderID: "ghost", Reason: "compensated"}},
	} {
		if _, err := env.ExecuteActivity(c.activity, c.input); err != nil {
			t.Fatalf("%s with nothing to undo: %v", c.activity, err)
		}
	}
	// The tombstones refuse the late actions.
	_, err := env.ExecuteActivity(saga.ChargePayment.Name, saga.ChargePaymentInput{OrderID: "ghost", CustomerID: "alice", AmountCents: 100})
	if appErr := appError(t, err); appErr.Type() != fault.TypeOf(fault.ErrCompensated) {
		t.Fatalf("late charge: %v, want %s", err, fault.TypeOf(fault.ErrCompensated))
	}
}

func TestServerErrorsAndOutagesStayRetryable(t *testing.T) {
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "database is locked", http.StatusServiceUnavailable)
	}))
	defer broken.Close()
	// A service whose token was rotated under the worker: its 401 says
	// nothing about the order, so a compensation must keep trying.
	rotated := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		web.WriteProblem(w, r, web.ProblemFrom(fmt.Errorf("%w: a valid bearer token is required", fault.ErrUnauthorized)))
	}))
	defer rotated.Close()
	forbidden := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "forbidden", http.StatusForbidden)
	}))
	defer forbidden.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close() // nothing listens here any more
	for _, tc := range []struct {
		name     string
		at       endpoints.Endpoints
		activity string
		input    any
	}{
		{"503", endpoints.Endpoints{Inventory: broken.URL}, saga.ReserveStock.Name, saga.ReserveStockInput{OrderID: "o-1", Items: []input.Item{{SKU: "SKU-1", Quantity: 1}}}},
		{"connection refused", endpoints.Endpoints{Order: down.URL}, saga.CancelOrder.Name, saga.CancelOrderInput{OrderID: "o-1", Reason: "x"}},
		{"401 from a rotated token", endpoints.Endpoints{Payment: rotated.URL}, saga.RefundPayment.Name, saga.OrderRef{OrderID: "o-1"}},
		{"403 from a proxy", endpoints.Endpoints{Inventory: forbidden.URL}, saga.ReleaseStock.Name, saga.ReleaseStockInput{OrderID: "o-1", Reason: "x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := activityEnv(activities.New(tc.at.Clients(nil)))
			_, err := env.ExecuteActivity(tc.activity, tc.input)
			if err == nil {
				t.Fatal("want an error")
			}
			var appErr *temporal.ApplicationError
			if errors.As(err, &appErr) && appErr.NonRetryable() {
				t.Fatalf("%v is non-retryable; a transient failure must be retried", err)
			}
		})
	}
}
