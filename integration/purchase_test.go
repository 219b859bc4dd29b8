package integration

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/platform/money"
	"github.com/sagaforge/saga/internal/platform/temporalx"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/internal/services/inventory/inventoryapi"
	"github.com/sagaforge/saga/internal/services/order/orderapi"
	"github.com/sagaforge/saga/internal/services/payment/paymentapi"
	"github.com/sagaforge/saga/lab/stack/stacktest"
	"github.com/sagaforge/saga/starter"
)

type clients struct {
	orders   orderapi.Client
	stock    inventoryapi.Client
	payments paymentapi.Client
}

func clientsOf(urls interface {
	OrderURL() string
	InventoryURL() string
	PaymentURL() string
}) clients {
	return clients{orderapi.NewClient(urls.OrderURL(), nil, ""), inventoryapi.NewClient(urls.InventoryURL(), nil, ""), paymentapi.NewClient(urls.PaymentURL(), nil, "")}
}

func TestPurchasesLeaveAllThreeDatabasesConsistent(t *testing.T) {
	s := startStack(t)
	ctx := context.Background()
	c := clientsOf(s)

	approved := buy(t, s, "--customer", "alice", "--item", "SKU-1:2", "--item", "SKU-2:1")
	outOfStock := buy(t, s, "--customer", "alice", "--item", "SKU-1:1", "--item", "SKU-OUT:1")
	declined := buy(t, s, "--customer", "bob", "--item", "SKU-2:1")

	if approved.Status != "APPROVED" || approved.TotalCents != 2*4990+19900 || len(approved.Compensations) != 0 {
		t.Fatalf("approved purchase: %+v", approved)
	}
	if outOfStock.Status != "CANCELLED" || !strings.Contains(outOfStock.Reason, "SKU-OUT") ||
		strings.Join(outOfStock.Compensations, ",") != "cancel" {
		t.Fatalf("out-of-stock purchase: %+v", outOfStock)
	}
	if declined.Status != "CANCELLED" || !strings.Contains(declined.Reason, "insufficient funds") ||
		strings.Join(declined.Compensations, ",") != "release"+","+"cancel" {
		t.Fatalf("declined purchase: %+v", declined)
	}
	if !strings.HasPrefix(approved.UIURL, s.Temporal().UIURL+"/namespaces/default/workflows/purchase-"+approved.OrderID) {
		t.Fatalf("UI link %q does not point at the workflow", approved.UIURL)
	}

	// The order service agrees with the sagas.
	for id, want := range map[string]orderapi.Status{approved.OrderID: orderapi.StatusApproved,
		outOfStock.OrderID: orderapi.StatusCancelled, declined.OrderID: orderapi.StatusCancelled} {
		o, err := c.orders.Get(ctx, id)
		if err != nil || o.Status != want {
			t.Fatalf("order %s: %+v, %v; want %s", id, o, err, want)
		}
	}
	// Inventory: the approved order's stock has shipped; the others hold none.
	for id, want := range map[string]inventoryapi.Status{approved.OrderID: inventoryapi.Shipped,
		outOfStock.OrderID: inventoryapi.Rejected, declined.OrderID: inventoryapi.Released} {
		r, err := c.stock.Reservation(ctx, id)
		if err != nil || r.Status != want {
			t.Fatalf("reservation %s: %+v, %v; want %s", id, r, err, want)
		}
	}
	stock, err := c.stock.Stock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantStock := map[string][3]int{"SKU-1": {998, 0, 2}, "SKU-2": {99, 0, 1}, "SKU-OUT": {0, 0, 0}}
	for _, st := range stock.Stock {
		if w := wantStock[st.SKU]; st.Available != w[0] || st.Reserved != w[1] || st.Shipped != w[2] {
			t.Errorf("stock %s: %d available / %d reserved / %d shipped, want %v", st.SKU, st.Available, st.Reserved, st.Shipped, w)
		}
	}
	// Payment: captured once for the approved order, declined for bob, never
	// attempted for the out-of-stock order; balances add up.
	if p, err := c.payments.Payment(ctx, approved.OrderID); err != nil || p.Status != paymentapi.Captured || p.AmountCents != approved.TotalCents {
		t.Fatalf("payment of the approved order: %+v, %v", p, err)
	}
	if p, err := c.payments.Payment(ctx, declined.OrderID); err != nil || p.Status != paymentapi.Declined {
		t.Fatalf("payment of the declined order: %+v, %v", p, err)
	}
	if _, err := c.payments.Payment(ctx, outOfStock.OrderID); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("the out-of-stock order was charged: %v", err)
	}
	accounts, err := c.payments.Accounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantBalance := map[string]money.Cents{"alice": 1_000_000 - approved.TotalCents, "bob": 5_000}
	for _, a := range accounts.Accounts {
		if a.BalanceCents != wantBalance[a.CustomerID] {
			t.Errorf("balance of %s: %s, want %s", a.CustomerID, a.BalanceCents, wantBalance[a.CustomerID])
		}
	}
}

func TestSameOrderTwiceRunsOneSaga(t *testing.T) {
	s := startStack(t)
	first := buy(t, s, "--customer", "alice", "--item", "SKU-1:1", "--order-id", "twice-1")
	second := buy(t, s, "--customer", "alice", "--item", "SKU-1:1", "--order-id", "twice-1")
	if first.RunID == "" || second.RunID != first.RunID || second.Status != "APPROVED" {
		t.Fatalf("second start made a new run or outcome: first %+v, second %+v", first, second)
	}
	code, stdout, stderr := runStarter(t, s, "status", "twice-1", "--json")
	if code != 0 || !strings.Contains(stdout, `"status":"APPROVED"`) {
		t.Fatalf("status: exit %d, %s %s", code, stdout, stderr)
	}
	r, err := clientsOf(s).stock.Stock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range r.Stock {
		if st.SKU == "SKU-1" && st.Reserved+st.Shipped != 1 {
			t.Fatalf("SKU-1 reserved %d and shipped %d times, want once", st.Reserved, st.Shipped)
		}
	}
}

func TestSagaRidesOutAKilledService(t *testing.T) {
	s := startStack(t)
	ctx := context.Background()
	if err := s.Kill("payment"); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runStarter(t, s, "purchase", "--customer", "alice", "--item", "SKU-2:1", "--order-id", "while-down", "--json")
	if code != 0 || !strings.Contains(stdout, `"status":"RUNNING"`) {
		t.Fatalf("start while payment is down: exit %d %s %s", code, stdout, stderr)
	}
	c, err := temporalx.Dial(ctx, s.Temporal(), nil, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Restart only once the saga has reached the charge (stock is reserved
	// and it is still running), so the outage is real. The forward steps
	// are local activities, retried inside the workflow task.
	stock := clientsOf(s).stock
	stacktest.WaitFor(t, 30*time.Second, "the saga to reach the charge", func() bool {
		r, err := stock.Reservation(ctx, "while-down")
		return err == nil && r.Status == inventoryapi.Reserved
	})
	desc, err := c.DescribeWorkflow(ctx, saga.WorkflowID("while-down"), "")
	if err != nil || desc.RawResponse.GetWorkflowExecutionInfo().GetStatus().String() != "Running" {
		t.Fatalf("saga while payment is down: %v, %v; want it running", desc, err)
	}
	if err := s.Restart(ctx, "payment"); err != nil {
		t.Fatal(err)
	}
	var res saga.Result
	if err := c.GetWorkflow(ctx, saga.WorkflowID("while-down"), "").Get(ctx, &res); err != nil {
		t.Fatal(err)
	}
	if res.Status != saga.Approved {
		t.Fatalf("after the payment service came back: %+v, want APPROVED", res)
	}
}

func TestStarterErrorsAreOneLineWithExitCodes(t *testing.T) {
	s := startStack(t)
	for _, tc := range []struct {
		name string
		args []string
		code int
		says string
	}{
		{"no items", []string{"purchase", "--customer", "alice"}, 2, "--item"},
		{"bad quantity", []string{"purchase", "--customer", "alice", "--item", "SKU-1:-1"}, 2, "quantity"},
		{"unknown flag", []string{"purchase", "--customer", "alice", "--item", "SKU-1:1", "--colour", "red"}, 2, "colour"},
		{"bad order id", []string{"status", "no/slashes"}, 2, "order ID"},
		{"unknown order", []string{"status", "never-started"}, 1, "no purchase saga"},
		{"unknown command", []string{"refund"}, 2, "unknown command"},
		{"temporal unreachable", []string{"status", "x", "--temporal-address", "127.0.0.1:1", "--temporal-wait", "0s"}, 1, "cannot reach Temporal at 127.0.0.1:1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runStarter(t, s, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.says) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Fatalf("exit %d, stderr %q; want exit %d and one line mentioning %q", code, stderr, tc.code, tc.says)
			}
		})
	}
}

func TestAuditPassesAfterSagasAndCatchesABypass(t *testing.T) {
	s := startStack(t)
	buyOneOfEach(t, s)
	code, stdout, stderr := runStarter(t, s, "audit")
	if code != 0 || strings.Count(stdout, " pass ") != 8 {
		t.Fatalf("audit after sagas: exit %d\n%s%s", code, stdout, stderr)
	}
	// An order approved behind the sagas' back holds neither stock nor money.
	orders := orderapi.NewClient(s.OrderURL(), nil, "")
	ctx := context.Background()
	if _, err := orders.Create(ctx, orderapi.CreateOrderRequest{OrderID: "bypass", CustomerID: "alice", Items: []input.Item{{SKU: "SKU-1", Quantity: 1}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := orders.Approve(ctx, "bypass"); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = runStarter(t, s, "audit")
	if code != starter.ExitNo || !regexp.MustCompile(`FAIL +bypass`).MatchString(stdout) || !strings.Contains(stderr, "1 of 8 invariants do not hold") {
		t.Fatalf("audit after a bypass: exit %d\n%s%s", code, stdout, stderr)
	}
}
