package integration

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sagaforge/saga/internal/messaging/chain"
	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/platform/money"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/internal/services/order/orderapi"
	"github.com/sagaforge/saga/internal/services/payment/paymentapi"
	"github.com/sagaforge/saga/lab/stack"
	"github.com/sagaforge/saga/lab/stack/stacktest"
)

func TestChoreographedPurchasesReachEveryOutcome(t *testing.T) {
	s := startStack(t)
	for _, tc := range []struct {
		name, reason, events string
		args                 []string
		status               saga.Status
		compensations        string
	}{
		{"approved", "", "OrderCreated StockReserved PaymentCaptured OrderApproved StockShipped",
			[]string{"--customer", "alice", "--item", "SKU-1:2"}, "APPROVED", ""},
		// Payment leaves a tombstone on OrderCancelled: it cannot know that
		// no StockReserved will follow, and a late one must not charge.
		{"out of stock", "out of stock", "OrderCreated StockRejected OrderCancelled PaymentRefunded",
			[]string{"--customer", "alice", "--item", "SKU-OUT:1"}, "CANCELLED", "cancel"},
		{"declined", "insufficient funds", "OrderCreated StockReserved PaymentDeclined StockReleased OrderCancelled",
			[]string{"--customer", "bob", "--item", "SKU-2:1"}, "CANCELLED", "release,cancel"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := buy(t, s, append([]string{"--mode", "choreography"}, tc.args...)...)
			if rep.Mode != "choreography" || rep.Status != tc.status || !strings.Contains(rep.Reason, tc.reason) ||
				strings.Join(rep.Compensations, ",") != tc.compensations || rep.WorkflowID != "" {
				t.Fatalf("report %+v", rep)
			}
			for _, e := range waitForEvents(t, s, rep.OrderID, tc.events) {
				if e.SagaMode != saga.Choreography {
					t.Fatalf("%s published with sagamode %q", e.Type, e.SagaMode)
				}
			}
			code, stdout, _ := runStarter(t, s, "status", rep.OrderID, "--json")
			if code != 0 || !strings.Contains(stdout, `"status":"`+string(tc.status)+`"`) {
				t.Fatalf("status: exit %d %s", code, stdout)
			}
		})
	}
}

// waitingForPayment kills payment, starts alice's choreographed purchase of
// item as orderID, and returns its events once its stock is reserved: the
// saga then waits on Kafka for payment's consumer.
func waitingForPayment(t *testing.T, s *stack.Stack, orderID, item string) []events.Envelope {
	t.Helper()
	if err := s.Kill("payment"); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runStarter(t, s, "purchase", "--mode", "choreography", "--order-id", orderID, "--customer", "alice", "--item", item)
	if code != 0 {
		t.Fatalf("start %s: exit %d: %s", orderID, code, stderr)
	}
	return waitForEvents(t, s, orderID, "OrderCreated StockReserved")
}

func TestChoreographyFinishesAfterAConsumerIsKilledMidFlow(t *testing.T) {
	s := startStack(t)
	ctx := context.Background()
	c := clientsOf(s)
	// The saga gets as far as it can without payment: stock reserved, and
	// StockReserved waiting on Kafka for a payment consumer.
	waitingForPayment(t, s, "mid-flow", "SKU-2:2")
	if o, err := c.orders.Get(ctx, "mid-flow"); err != nil || o.Status != orderapi.StatusPending {
		t.Fatalf("order while payment is down: %+v, %v", o, err)
	}
	if err := s.Restart(ctx, "payment"); err != nil {
		t.Fatal(err)
	}
	o, err := c.orders.AwaitSettled(ctx, "mid-flow", 20*time.Second)
	if err != nil || o.Status != orderapi.StatusApproved {
		t.Fatalf("after payment came back: %+v, %v; want APPROVED", o, err)
	}
	if p, err := c.payments.Payment(ctx, "mid-flow"); err != nil || p.Status != paymentapi.Captured || p.AmountCents != 2*19900 {
		t.Fatalf("payment %+v, %v", p, err)
	}
	waitForEvents(t, s, "mid-flow", "OrderCreated StockReserved PaymentCaptured OrderApproved StockShipped")
}

// state is what the three services hold about one order, without what
// legitimately differs between the modes (the mode itself, timestamps).
type state struct {
	OrderStatus, OrderReason string
	Total                    money.Cents
	Lines                    []orderapi.LineResponse
	Reservation              string // status, items and reason; "none" if absent
	Payment                  string // status, amount and reason; "none" if absent
}

func snapshot(t *testing.T, c clients, orderID string) state {
	t.Helper()
	ctx := context.Background()
	o, err := c.orders.Get(ctx, orderID)
	if errors.Is(err, fault.ErrNotFound) {
		o.Status = "none"
	} else if err != nil {
		t.Fatal(err)
	}
	st := state{OrderStatus: string(o.Status), OrderReason: o.Reason, Total: o.TotalCents, Lines: o.Lines, Reservation: "none", Payment: "none"}
	if r, err := c.stock.Reservation(ctx, orderID); err == nil {
		st.Reservation = fmt.Sprintf("%s %v %q", r.Status, r.Items, r.Reason)
	} else if !errors.Is(err, fault.ErrNotFound) {
		t.Fatal(err)
	}
	// A tombstone holds nothing: choreography leaves one where payment
	// cannot know that no charge will come, orchestration never needs it.
	if p, err := c.payments.Payment(ctx, orderID); err == nil {
		if p.Status != paymentapi.Voided {
			st.Payment = fmt.Sprintf("%s %s %q", p.Status, p.AmountCents, p.Reason)
		}
	} else if !errors.Is(err, fault.ErrNotFound) {
		t.Fatal(err)
	}
	return st
}

// totals is the stock and money of the whole system.
type totals struct {
	Stock    map[string][3]int
	Balances map[string]money.Cents
}

func totalsOf(t *testing.T, c clients) totals {
	t.Helper()
	ctx := context.Background()
	stock, err := c.stock.Stock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	accounts, err := c.payments.Accounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := totals{Stock: map[string][3]int{}, Balances: map[string]money.Cents{}}
	for _, s := range stock.Stock {
		out.Stock[s.SKU] = [3]int{s.Available, s.Reserved, s.Shipped}
	}
	for _, a := range accounts.Accounts {
		out.Balances[a.CustomerID] = a.BalanceCents
	}
	return out
}

func TestBothModesEndInIdenticalDatabaseStates(t *testing.T) {
	scenarios := []struct {
		name string
		args []string
	}{
		{"approved, two lines", []string{"--customer", "alice", "--item", "SKU-1:2", "--item", "SKU-2:1"}},
		{"out of stock on one line", []string{"--customer", "alice", "--item", "SKU-1:1", "--item", "SKU-OUT:1"}},
		{"declined", []string{"--customer", "bob", "--item", "SKU-2:1"}},
		{"bob can just afford it", []string{"--customer", "bob", "--item", "SKU-1:1"}},
		{"declined once the balance is spent", []string{"--customer", "bob", "--item", "SKU-1:1"}},
		{"unknown sku", []string{"--customer", "alice", "--item", "SKU-1:1", "--item", "NOPE:1"}},
	}
	// Each mode runs the table on a fresh stack, from the same seed.
	run := func(mode string) (map[string]state, totals) {
		s := startStack(t)
		c := clientsOf(s)
		states := map[string]state{}
		for i, sc := range scenarios {
			id := fmt.Sprintf("scenario-%d", i)
			args := append([]string{"purchase", "--mode", mode, "--order-id", id, "--wait", "--json"}, sc.args...)
			// Choreography refuses bad input when it creates the order (exit
			// 2); the workflow finds out in its first step. Neither writes.
			if code, _, stderr := runStarter(t, s, args...); code != 0 && !(code == 2 && mode == "choreography") {
				t.Fatalf("%s in %s: exit %d: %s", sc.name, mode, code, stderr)
			}
			if _, err := c.orders.Get(context.Background(), id); err == nil {
				waitSettledEvents(t, s, id)
			}
			states[sc.name] = snapshot(t, c, id)
		}
		return states, totalsOf(t, c)
	}
	orchestrated, orchestratedTotals := run("orchestration")
	choreographed, choreographedTotals := run("choreography")
	for _, sc := range scenarios {
		if o, ch := orchestrated[sc.name], choreographed[sc.name]; !reflect.DeepEqual(o, ch) {
			t.Errorf("%s:\n orchestration %+v\n choreography  %+v", sc.name, o, ch)
		}
	}
	if !reflect.DeepEqual(orchestratedTotals, choreographedTotals) {
		t.Errorf("stock and balances differ:\n orchestration %+v\n choreography  %+v", orchestratedTotals, choreographedTotals)
	}
	if got := choreographedTotals.Balances["bob"]; got != 5000-4990 {
		t.Errorf("bob's balance %s, want 0.10: the table no longer exercises what it says", got)
	}
}

// waitSettledEvents waits until the order's final event is on Kafka, its
// steps after the pivot included, so that the next scenario starts from a
// quiet system.
func waitSettledEvents(t *testing.T, s *stack.Stack, orderID string) {
	t.Helper()
	stacktest.WaitFor(t, 20*time.Second, "the final event of "+orderID, func() bool {
		return chain.Summarize(eventsOf(t, s, orderID)).Finished
	})
}
