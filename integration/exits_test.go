package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/messaging/kafkaio"
	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/internal/services/inventory/inventoryapi"
	"github.com/sagaforge/saga/internal/services/order/orderapi"
	"github.com/sagaforge/saga/internal/services/payment/paymentapi"
	"github.com/sagaforge/saga/lab/stack"
	"github.com/sagaforge/saga/lab/stack/stacktest"
	"github.com/sagaforge/saga/starter"
)

// wantConsistent checks what each service holds for a settled order:
// APPROVED with the stock shipped and the money captured, or CANCELLED
// holding neither.
func wantConsistent(t *testing.T, c clients, orderID string, want orderapi.Status) {
	t.Helper()
	ctx := context.Background()
	var o orderapi.OrderResponse
	stacktest.WaitFor(t, 30*time.Second, orderID+" "+string(want)+" with its holds settled", func() bool {
		var err error
		if o, err = c.orders.Get(ctx, orderID); err != nil || o.Status != want {
			return false
		}
		r, rerr := c.stock.Reservation(ctx, orderID)
		p, perr := c.payments.Payment(ctx, orderID)
		if !answered(rerr) || !answered(perr) {
			return false // a lookup that failed says nothing of what is held
		}
		if want == orderapi.StatusApproved {
			return rerr == nil && r.Status == inventoryapi.Shipped && perr == nil && p.Status == paymentapi.Captured && p.AmountCents == o.TotalCents
		}
		return (rerr != nil || (r.Status != inventoryapi.Reserved && r.Status != inventoryapi.Shipped)) && (perr != nil || p.Status != paymentapi.Captured)
	})
}

// answered tells whether a lookup got the service's answer: the record,
// or that there is none.
func answered(err error) bool { return err == nil || errors.Is(err, fault.ErrNotFound) }

// auditPasses runs "starter audit" and fails the test unless every
// invariant holds.
func auditPasses(t *testing.T, s *stack.Stack) {
	t.Helper()
	code, stdout, stderr := runStarter(t, s, "audit")
	if code != 0 || strings.Count(stdout, " pass ") != 8 {
		t.Fatalf("audit: exit %d\n%s%s", code, stdout, stderr)
	}
}

// The first broken purchase: every answer of the approval is lost
// (half after the work), for longer than the step deadline. The saga must
// go forward, not refund a customer who keeps the goods; the same when the
// workflow is cancelled while the approval is in flight.
func TestApprovalAnswerLostPastTheStepDeadlineEndsApproved(t *testing.T) {
	s, logs := startStackWithLogs(t,
		"SAGA_FAULTS=POST /orders/o-pivot/approve=1,POST /orders/o-pivot-cancelled/approve=1",
		"SAGA_STEP_DEADLINE=3s")
	c := clientsOf(s)

	rep := buy(t, s, "--order-id", "o-pivot", "--customer", "alice", "--item", "SKU-1:1")
	if rep.Status != saga.Approved || len(rep.Compensations) != 0 {
		t.Fatalf("report %+v, want APPROVED with nothing compensated", rep)
	}
	wantConsistent(t, c, "o-pivot", orderapi.StatusApproved)

	code, _, stderr := runStarter(t, s, "purchase", "--order-id", "o-pivot-cancelled", "--customer", "alice", "--item", "SKU-2:1")
	if code != 0 {
		t.Fatalf("start: exit %d: %s", code, stderr)
	}
	stacktest.WaitFor(t, 30*time.Second, "the approval of o-pivot-cancelled in flight", func() bool {
		return strings.Contains(logs.String(), "/orders/o-pivot-cancelled/approve")
	})
	tc := stacktest.Dial(t, s)
	if err := tc.CancelWorkflow(context.Background(), saga.WorkflowID("o-pivot-cancelled"), ""); err != nil {
		t.Fatal(err)
	}
	var res saga.Result
	if err := tc.GetWorkflow(context.Background(), saga.WorkflowID("o-pivot-cancelled"), "").Get(context.Background(), &res); err != nil {
		t.Fatalf("saga after a workflow cancel during the approval: %v", err)
	}
	if res.Status != saga.Approved || len(res.Compensations) != 0 {
		t.Fatalf("result %+v, want APPROVED: a cancel must not interrupt the pivot", res)
	}
	wantConsistent(t, c, "o-pivot-cancelled", orderapi.StatusApproved)
	auditPasses(t, s)
}

// The second broken purchase: a choreographed purchase cancelled
// while payment is down. When payment is back, the charge must be refused
// and the stock released: nothing held for a CANCELLED order.
func TestChoreographyCancelledInFlightHoldsNothing(t *testing.T) {
	s := startStack(t)
	ctx := context.Background()
	c := clientsOf(s)
	waitingForPayment(t, s, "c-x", "SKU-2:2")
	code, stdout, stderr := runStarter(t, s, "cancel", "c-x", "--reason", "changed my mind", "--json")
	if code != 0 {
		t.Fatalf("starter cancel of a choreographed order: exit %d: %s", code, stderr)
	}
	var rep struct {
		Status, Reason string
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || rep.Status != "CANCELLED" || !strings.Contains(rep.Reason, "changed my mind") {
		t.Fatalf("cancel report %s (%v)", stdout, err)
	}
	if err := s.Restart(ctx, "payment"); err != nil {
		t.Fatal(err)
	}
	wantConsistent(t, c, "c-x", orderapi.StatusCancelled)
	// Payment reads OrderCancelled and StockReserved from two topics, in
	// either order: its tombstone refuses the charge, or the cancel refunds
	// it. Either way it settles and holds no money.
	stacktest.WaitFor(t, 30*time.Second, "payment for c-x settled", func() bool {
		p, err := c.payments.Payment(ctx, "c-x")
		return err == nil && (p.Status == paymentapi.Voided || p.Status == paymentapi.Refunded)
	})
	if r, err := c.stock.Reservation(ctx, "c-x"); err != nil || r.Status != inventoryapi.Released {
		t.Fatalf("reservation %+v (%v), want RELEASED", r, err)
	}
	auditPasses(t, s)
}

// cancelledWithoutPayment waits, while payment is away, for the order
// service to cancel orderID for a reason that says why; then it brings
// payment back and checks that the three services agree.
func cancelledWithoutPayment(t *testing.T, s *stack.Stack, c clients, orderID, why string) {
	t.Helper()
	ctx := context.Background()
	stacktest.WaitFor(t, 30*time.Second, orderID+" cancelled for "+why, func() bool {
		o, err := c.orders.Get(ctx, orderID)
		return err == nil && o.Status == orderapi.StatusCancelled && strings.Contains(o.Reason, why)
	})
	if err := s.Restart(ctx, "payment"); err != nil {
		t.Fatal(err)
	}
	wantConsistent(t, c, orderID, orderapi.StatusCancelled)
}

// A choreographed saga that makes no progress (payment down past the
// deadline) is cancelled and compensated, never left PENDING.
func TestChoreographyPastItsDeadlineIsCompensated(t *testing.T) {
	s := startStack(t, "SAGA_DEADLINE=3s")
	c := clientsOf(s)
	if err := s.Kill("payment"); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runStarter(t, s, "purchase", "--mode", "choreography", "--order-id", "c-late", "--customer", "alice", "--item", "SKU-1:3", "--wait", "--wait-timeout", "1s")
	if code != 1 || !strings.Contains(stderr, "still RUNNING") || !strings.Contains(stderr, "waiting for charge") {
		t.Fatalf("purchase --wait past its timeout: exit %d: %s; want exit 1 saying it waits for the charge", code, stderr)
	}
	cancelledWithoutPayment(t, s, c, "c-late", "deadline")
	auditPasses(t, s)
}

// A step that a consumer dead-letters fails its choreographed saga: the
// order service cancels the order and the others compensate.
func TestDeadLetteredStepCancelsTheChoreographedSaga(t *testing.T) {
	s, logs := startStackWithLogs(t)
	ctx := context.Background()
	c := clientsOf(s)
	evs := waitingForPayment(t, s, "c-dead", "SKU-2:1")
	// What payment's consumer publishes when it gives up on StockReserved.
	payload, _ := json.Marshal(evs[1])
	dl := events.DeadLetter{Consumer: "payment.on-inventory", Topic: events.TopicInventory, Key: "c-dead",
		Reason: "failed 40 times in 1m0s: database is locked", Attempts: 40, FailedAt: time.Now().UTC(), Payload: string(payload)}
	e := events.New(events.Source("consumers/"+dl.Consumer), events.EventDeadLettered, "c-dead", saga.Choreography, dl, dl.FailedAt)
	msg, err := kafkaio.Message(e)
	if err != nil {
		t.Fatal(err)
	}
	w := kafkaio.NewWriter(kafkaio.Plain(s.BrokerAddr()))
	defer w.Close()
	if err := w.WriteMessages(ctx, msg); err != nil {
		t.Fatal(err)
	}
	cancelledWithoutPayment(t, s, c, "c-dead", "payment.on-inventory could not handle StockReserved")

	// The operator's view, and a second try: the event goes back to its
	// topic, and payment takes it for the delivery it is.
	code, stdout, stderr := runStarter(t, s, "deadletters", "-o", "jsonl")
	var row starter.DeadLetterRow
	if code != 0 || json.Unmarshal([]byte(strings.TrimSpace(stdout)), &row) != nil ||
		row.OrderID != "c-dead" || row.EventType != events.StockReserved || row.Consumer != "payment.on-inventory" || !strings.Contains(row.Reason, "database is locked") {
		t.Fatalf("deadletters: exit %d: %s%s", code, stdout, stderr)
	}
	if code, _, stderr := runStarter(t, s, "deadletters", "--replay", "nope"); code != 2 || !strings.Contains(stderr, "PARTITION:OFFSET") {
		t.Fatalf("deadletters --replay nope: exit %d: %s", code, stderr)
	}
	code, stdout, stderr = runStarter(t, s, "deadletters", "--replay", row.ID)
	if code != 0 || !strings.Contains(stdout, "back to inventory.events") {
		t.Fatalf("deadletters --replay %s: exit %d: %s%s", row.ID, code, stdout, stderr)
	}
	// This dead letter was written by hand, so payment also read the
	// original when it came back: the replay, behind it on the same
	// partition, carries an event ID it has handled and moves nothing twice.
	stacktest.WaitFor(t, 30*time.Second, "payment to ignore the replayed StockReserved", func() bool {
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.HasPrefix(line, "payment") && strings.Contains(line, `msg="duplicate delivery ignored"`) && strings.Contains(line, "order_id=c-dead") && strings.Contains(line, "event=StockReserved") {
				return true
			}
		}
		return false
	})
	wantConsistent(t, c, "c-dead", orderapi.StatusCancelled)
	auditPasses(t, s)
}

// An order ID belongs to one saga: re-running it in the other mode is bad
// input (exit 2, one line), and the first saga's order is left alone.
func TestStarterRefusesAnOrderIDOfTheOtherMode(t *testing.T) {
	s := startStack(t)
	c := clientsOf(s)
	buy(t, s, "--mode", "choreography", "--order-id", "c-mine", "--customer", "alice", "--item", "SKU-1:1")
	buy(t, s, "--order-id", "o-mine", "--customer", "alice", "--item", "SKU-1:1")
	for _, args := range [][]string{
		{"purchase", "--order-id", "c-mine", "--customer", "alice", "--item", "SKU-1:1", "--wait"},
		{"purchase", "--mode", "choreography", "--order-id", "o-mine", "--customer", "alice", "--item", "SKU-1:1", "--wait"},
	} {
		code, stdout, stderr := runStarter(t, s, args...)
		if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "exists as a") || stdout != "" {
			t.Fatalf("%v: exit %d, stdout %q, stderr %q; want exit 2 and one line", args, code, stdout, stderr)
		}
	}
	wantConsistent(t, c, "c-mine", orderapi.StatusApproved)
	wantConsistent(t, c, "o-mine", orderapi.StatusApproved)
	auditPasses(t, s)
}

// Starters that find Temporal restarting wait for it, saying so, instead
// of giving up: starting a saga again is safe, since its workflow ID is its
// order's. Each purchase then ends as it should, once.
func TestStarterWaitsForTemporalToComeBack(t *testing.T) {
	s := startStack(t)
	ctx := context.Background()
	if err := s.Kill("temporal"); err != nil {
		t.Fatal(err)
	}
	const n = 3
	var logs [n]stacktest.Log // each starter's stderr, read while it runs
	codes, outs := make(chan int, n), make([]bytes.Buffer, n)
	for i := range n {
		go func() {
			codes <- s.Starter(&outs[i], &logs[i]).Run(ctx, []string{"purchase", "--order-id", fmt.Sprintf("o-back-%d", i),
				"--customer", "alice", "--item", "SKU-1:1", "--wait", "--json"})
		}()
	}
	stacktest.WaitFor(t, 10*time.Second, "every starter to say it waits for Temporal", func() bool {
		for i := range logs {
			if !strings.Contains(logs[i].String(), "waiting for Temporal") {
				return false
			}
		}
		return true
	})
	if err := s.Restart(ctx, "temporal"); err != nil {
		t.Fatal(err)
	}
	for range n {
		if code := <-codes; code != starter.ExitOK {
			t.Errorf("a starter exited %d", code)
		}
	}
	for i := range n {
		var rep starter.Report
		if err := json.Unmarshal(outs[i].Bytes(), &rep); err != nil || rep.Status != saga.Approved {
			t.Errorf("purchase %d: %v %q; stderr %s", i, err, outs[i].String(), logs[i].String())
		}
	}
	auditPasses(t, s)
}
