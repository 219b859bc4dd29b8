package integration

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/internal/services/order/orderapi"
	"github.com/sagaforge/saga/lab/stack"
	"github.com/sagaforge/saga/lab/stack/stacktest"
)

// eventsOf reads an order's events through `starter events`, in the order
// they happened.
func eventsOf(t *testing.T, s *stack.Stack, orderID string) []events.Envelope {
	t.Helper()
	code, stdout, stderr := runStarter(t, s, "events", "--order", orderID, "-o", "jsonl")
	if code != 0 {
		t.Fatalf("starter events: exit %d: %s", code, stderr)
	}
	var out []events.Envelope
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if line == "" {
			continue
		}
		e, err := events.Decode([]byte(line))
		if err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		out = append(out, e)
	}
	return out
}

func typesOf(evs []events.Envelope) string {
	types := make([]string, len(evs))
	for i, e := range evs {
		types[i] = string(e.Type)
	}
	return strings.Join(types, " ")
}

// waitForEvents waits until the order's event sequence is want; publication
// trails the commit by a few milliseconds.
func waitForEvents(t *testing.T, s *stack.Stack, orderID, want string) []events.Envelope {
	t.Helper()
	var got []events.Envelope
	stacktest.WaitFor(t, 20*time.Second, "events "+want+" of "+orderID+" (last seen: "+typesOf(got)+")", func() bool {
		got = eventsOf(t, s, orderID)
		return typesOf(got) == want || len(got) > len(strings.Fields(want))
	})
	if typesOf(got) != want {
		t.Fatalf("events of %s:\n got %s\nwant %s", orderID, typesOf(got), want)
	}
	return got
}

func TestOrchestratedPurchasesPublishExactlyTheirEvents(t *testing.T) {
	s := startStack(t)
	approved := buy(t, s, "--customer", "alice", "--item", "SKU-1:2")
	outOfStock := buy(t, s, "--customer", "alice", "--item", "SKU-OUT:1")
	declined := buy(t, s, "--customer", "bob", "--item", "SKU-2:1")

	for _, tc := range []struct {
		orderID, want string
	}{
		{approved.OrderID, "OrderCreated StockReserved PaymentCaptured OrderApproved StockShipped"},
		{outOfStock.OrderID, "OrderCreated StockRejected OrderCancelled"},
		{declined.OrderID, "OrderCreated StockReserved PaymentDeclined StockReleased OrderCancelled"},
	} {
		evs := waitForEvents(t, s, tc.orderID, tc.want)
		for _, e := range evs {
			if e.Subject != tc.orderID || e.SagaMode != saga.Orchestration || e.Topic() != topicOf(e.Type) {
				t.Fatalf("event %s of %s: subject %q, mode %q, source %q", e.Type, tc.orderID, e.Subject, e.SagaMode, e.Source)
			}
		}
	}
	// The payload carries what a consumer needs without calling back.
	var created events.OrderCreatedData
	evs := eventsOf(t, s, approved.OrderID)
	if err := json.Unmarshal(evs[0].Data, &created); err != nil || created.TotalCents != approved.TotalCents || created.CustomerID != "alice" {
		t.Fatalf("OrderCreated data %+v (%v), want alice's order of %s", created, err, approved.TotalCents)
	}
}

func topicOf(typ events.Type) string {
	switch {
	case strings.HasPrefix(string(typ), "Order"):
		return events.TopicOrder
	case strings.HasPrefix(string(typ), "Stock"):
		return events.TopicInventory
	}
	return events.TopicPayment
}

func TestEventCommittedBeforeACrashIsPublishedAfterRestart(t *testing.T) {
	s := startStack(t)
	ctx := context.Background()
	if err := s.Kill("broker"); err != nil {
		t.Fatal(err)
	}
	// The order commits (and its event with it) while nothing can publish...
	orders := orderapi.NewClient(s.OrderURL(), nil, "")
	if _, err := orders.Create(ctx, orderapi.CreateOrderRequest{OrderID: "crash-1", CustomerID: "alice",
		Items: []input.Item{{SKU: "SKU-1", Quantity: 1}}}); err != nil {
		t.Fatal(err)
	}
	// ...and the service dies before its relay gets the chance.
	if err := s.Kill("order"); err != nil {
		t.Fatal(err)
	}
	if err := s.Restart(ctx, "broker"); err != nil {
		t.Fatal(err)
	}
	if err := s.Restart(ctx, "order"); err != nil {
		t.Fatal(err)
	}
	evs := waitForEvents(t, s, "crash-1", "OrderCreated")
	if evs[0].Subject != "crash-1" {
		t.Fatalf("event %+v", evs[0])
	}
}
