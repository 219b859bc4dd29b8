package purchases_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/sagaforge/saga/activities"
	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/internal/services/endpoints"
	"github.com/sagaforge/saga/internal/services/inventory"
	"github.com/sagaforge/saga/internal/services/inventory/inventoryapi"
	"github.com/sagaforge/saga/internal/services/order"
	"github.com/sagaforge/saga/internal/services/order/orderapi"
	"github.com/sagaforge/saga/internal/services/payment"
	"github.com/sagaforge/saga/internal/services/payment/paymentapi"
	"github.com/sagaforge/saga/internal/services/servicetest"
	"github.com/sagaforge/saga/workers/purchases"
)

// A worker not started for benchmarks refuses the direct mode as bad input,
// before it calls any service: no order is created.
func TestTheDirectModeIsRefusedUnlessTheWorkerTakesIt(t *testing.T) {
	svc := choreographed(t)
	ctx := context.Background()
	_, err := svc.Purchase(ctx, purchases.Request{Mode: saga.Direct,
		Input: saga.Input{OrderID: "direct-refused", CustomerID: "alice", Items: []input.Item{{SKU: "SKU-1", Quantity: 1}}}}, 0)
	if !errors.Is(err, fault.ErrInvalid) || !strings.Contains(err.Error(), "--bench-direct") {
		t.Fatalf("want an invalid-input error naming --bench-direct, got %v", err)
	}
	if _, err := svc.Orders.Get(ctx, "direct-refused"); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("the refused purchase left an order behind: %v", err)
	}
}

// The direct mode runs the saga's steps over the three real services and
// answers the outcome: every step of an approved purchase, the pivot's
// retriable ship included; a refused charge undone in reverse order.
func TestTheDirectModeRunsEveryStepAndUndoesARefusal(t *testing.T) {
	orders := servicetest.Start(t, order.Service, orderapi.NewClient)
	stock := servicetest.Start(t, inventory.Service, inventoryapi.NewClient)
	pay := servicetest.Start(t, payment.Service, paymentapi.NewClient)
	direct, err := purchases.NewDirect(activities.New(endpoints.Clients{Orders: orders.Client, Inventory: stock.Client, Payments: pay.Client}))
	if err != nil {
		t.Fatal(err)
	}
	svc := &purchases.Service{Orders: orders.Client, Direct: direct}
	ctx := context.Background()
	buy := func(id, customer, sku string, qty int) purchases.Report {
		t.Helper()
		rep, err := svc.Purchase(ctx, purchases.Request{Mode: saga.Direct,
			Input: saga.Input{OrderID: id, CustomerID: customer, Items: []input.Item{{SKU: sku, Quantity: qty}}}}, 0)
		if err != nil {
			t.Fatalf("purchase %s: %v", id, err)
		}
		return rep
	}

	ok := buy("direct-ok", "alice", "SKU-1", 1)
	if ok.Status != saga.Approved || ok.Mode != "direct" || ok.TotalCents <= 0 ||
		!slices.Equal(ok.Steps, []string{"create", "reserve", "charge", "approve", "ship"}) || len(ok.Compensations) != 0 {
		t.Fatalf("approved purchase: %+v", ok)
	}
	if o, err := orders.Client.Get(ctx, "direct-ok"); err != nil || o.Status != orderapi.StatusApproved {
		t.Fatalf("its order: %+v, %v", o, err)
	}
	if again := buy("direct-ok", "alice", "SKU-1", 1); again.Status != saga.Approved || again.TotalCents != ok.TotalCents {
		t.Fatalf("a repeat answers as the first did: %+v", again)
	}

	// Alice's balance in the demo seed does not cover a hundred keyboards'
	// worth of monitors; stock does.
	declined := buy("direct-declined", "alice", "SKU-2", 100)
	if declined.Status != saga.Cancelled || !slices.Equal(declined.Steps, []string{"create", "reserve"}) ||
		!slices.Equal(declined.Compensations, []string{"release", "cancel"}) || declined.Reason == "" {
		t.Fatalf("declined purchase: %+v", declined)
	}
	if o, err := orders.Client.Get(ctx, "direct-declined"); err != nil || o.Status != orderapi.StatusCancelled {
		t.Fatalf("its order: %+v, %v", o, err)
	}
}
