package step_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sagaforge/saga/internal/messaging/consumer"
	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/messaging/outbox"
	"github.com/sagaforge/saga/internal/platform/database/dbtest"
	"github.com/sagaforge/saga/internal/platform/fault"
	platforminput "github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/platform/keyset"
	"github.com/sagaforge/saga/internal/platform/web"
	"github.com/sagaforge/saga/internal/platform/web/webtest"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/internal/services/inventory"
	"github.com/sagaforge/saga/internal/services/inventory/inventoryapi"
	"github.com/sagaforge/saga/internal/services/payment"
	"github.com/sagaforge/saga/internal/services/payment/paymentapi"
	"github.com/sagaforge/saga/internal/services/servicetest"
)

// The step rules hold for every participant, over its HTTP API and on the
// engine under test: each test runs against inventory and payment.

// input is what a call of the step asks for.
type input int

const (
	usual   input = iota // what the step grants
	other                // another request under the same order ID
	refused              // what the step refuses (no stock, no money)
)

// participant is one service's step, run on a fresh database.
type participant struct {
	name string
	// Statuses and event types of a held, refused and undone record, and
	// of a tombstone.
	held, refusedAs, undone, voided string
	forward, refusal, undo          string
	// refusal is the business failure the step refuses with, and problem
	// and code its HTTP status and problem code.
	refusalErr error
	problem    int
	code       string
	// bad are requests the step's API refuses as bad input.
	bad  []badRequest
	open func(t *testing.T) run
}

// run is a participant's service under test.
type run struct {
	step func(ctx context.Context, orderID string, in input) (string, error)
	undo func(ctx context.Context, orderID string) (string, error)
	// holding is what the service holds for orders now (stock reserved,
	// money taken).
	holding func(t *testing.T) int64
	// usual is how much one usual step holds.
	usual      int64
	approve    func(ctx context.Context, orderID string) error
	wantEvents func(t testing.TB, want ...string)
	// records counts the step's records; url is the API's base URL.
	records func(t *testing.T) int64
	url     string
	// subscriptions are the service's event handlers.
	subscriptions func() ([]consumer.Subscription, error)
	// inbox counts the consumed events the service recorded.
	inbox func(t *testing.T) int64
}

// badRequest is a request the service refuses as bad input.
type badRequest struct{ name, path, body string }

var participants = []participant{
	{
		name: "inventory", held: "RESERVED", refusedAs: "REJECTED", undone: "RELEASED", voided: "VOIDED",
		forward: "StockReserved", refusal: "StockRejected", undo: "StockReleased",
		refusalErr: fault.ErrOutOfStock, problem: http.StatusConflict, code: "out-of-stock",
		bad: []badRequest{
			{"malformed JSON", "/reservations", `{"order_id":"b1","items":[`},
			{"unknown field", "/reservations", `{"order_id":"b1","items":[{"sku":"SKU-1","quantity":1}],"warehouse":"x"}`},
			{"zero quantity", "/reservations", `{"order_id":"b1","items":[{"sku":"SKU-1","quantity":0}]}`},
			{"negative quantity", "/reservations", `{"order_id":"b1","items":[{"sku":"SKU-1","quantity":-1}]}`},
			{"unknown sku", "/reservations", `{"order_id":"b1","items":[{"sku":"SKU-404","quantity":1}]}`},
			{"unknown sku after a known one", "/reservations", `{"order_id":"b1","items":[{"sku":"SKU-1","quantity":1},{"sku":"SKU-9","quantity":1}]}`},
			{"empty", "/reservations", `{"order_id":"b1","items":[]}`},
			{"duplicate sku", "/reservations", `{"order_id":"b1","items":[{"sku":"SKU-1","quantity":1},{"sku":"SKU-1","quantity":1}]}`},
			{"bad order id", "/reservations", `{"order_id":"","items":[{"sku":"SKU-1","quantity":1}]}`},
			{"oversized body", "/reservations", webtest.Oversized()},
			{"release with an unknown field", "/reservations/b1/release", `{"all":true}`},
			{"release bad id", "/reservations/a%20b/release", ``},
		},
		open: func(t *testing.T) run {
			f := servicetest.Start(t, inventory.Service, inventoryapi.NewClient)
			// The refused reservation has a line in stock: it must take
			// all or nothing.
			items := map[input][]platforminput.Item{usual: {{SKU: "SKU-2", Quantity: 4}}, other: {{SKU: "SKU-2", Quantity: 9}}, refused: {{SKU: "SKU-1", Quantity: 1}, {SKU: "SKU-OUT", Quantity: 1}}}
			return run{
				step: func(ctx context.Context, id string, in input) (string, error) {
					r, err := f.Client.Reserve(ctx, inventoryapi.ReserveRequest{OrderID: id, Items: items[in]})
					return string(r.Status), err
				},
				undo: func(ctx context.Context, id string) (string, error) {
					r, err := f.Client.Release(ctx, id, inventoryapi.ReleaseRequest{})
					return string(r.Status), err
				},
				holding: sum(f.Store.AllStock, func(st inventory.Stock) int64 { return int64(st.Initial - st.Available) }),
				records: sum(func(ctx context.Context) ([]inventory.Reservation, error) {
					return f.Store.Page(ctx, keyset.Page{Limit: keyset.MaxLimit})
				}, func(inventory.Reservation) int64 { return 1 }),
				usual: 4, approve: f.Store.MarkApproved, wantEvents: f.WantEvents, url: f.URL,
				subscriptions: func() ([]consumer.Subscription, error) { return inventory.Subscriptions(f.Store) },
				inbox:         inboxRows(f.Store.Outbox),
			}
		},
	},
	{
		name: "payment", held: "CAPTURED", refusedAs: "DECLINED", undone: "REFUNDED", voided: "VOIDED",
		forward: "PaymentCaptured", refusal: "PaymentDeclined", undo: "PaymentRefunded",
		refusalErr: fault.ErrInsufficientFunds, problem: http.StatusPaymentRequired, code: "insufficient-funds",
		bad: []badRequest{
			{"malformed JSON", "/payments", `{"order_id":`},
			{"unknown field", "/payments", `{"order_id":"b1","customer_id":"alice","amount_cents":100,"card":"4111"}`},
			{"amount as float", "/payments", `{"order_id":"b1","customer_id":"alice","amount_cents":99.8}`},
			{"amount as string", "/payments", `{"order_id":"b1","customer_id":"alice","amount_cents":"100"}`},
			{"zero amount", "/payments", `{"order_id":"b1","customer_id":"alice","amount_cents":0}`},
			{"negative amount", "/payments", `{"order_id":"b1","customer_id":"alice","amount_cents":-100}`},
			{"huge amount", "/payments", `{"order_id":"b1","customer_id":"alice","amount_cents":9223372036854775807}`},
			{"unknown customer", "/payments", `{"order_id":"b1","customer_id":"mallory","amount_cents":100}`},
			{"missing customer", "/payments", `{"order_id":"b1","amount_cents":100}`},
			{"bad order id", "/payments", `{"order_id":"../x","customer_id":"alice","amount_cents":100}`},
			{"oversized body", "/payments", webtest.Oversized()},
			{"refund with a body", "/payments/b1/refund", `{"amount_cents":1}`},
		},
		open: func(t *testing.T) run {
			f := servicetest.Start(t, payment.Service, paymentapi.NewClient)
			charges := map[input]paymentapi.ChargeRequest{usual: {CustomerID: "alice", AmountCents: 19900}, other: {CustomerID: "alice", AmountCents: 1}, refused: {CustomerID: "bob", AmountCents: 19900}}
			return run{
				step: func(ctx context.Context, id string, in input) (string, error) {
					req := charges[in]
					req.OrderID = id
					p, err := f.Client.Charge(ctx, req)
					return string(p.Status), err
				},
				undo: func(ctx context.Context, id string) (string, error) {
					p, err := f.Client.Refund(ctx, id)
					return string(p.Status), err
				},
				holding: sum(f.Store.Accounts, func(a payment.Account) int64 { return int64(a.Initial - a.Balance) }),
				records: sum(func(ctx context.Context) ([]payment.Payment, error) {
					return f.Store.Payments(ctx, "", keyset.Page{Limit: keyset.MaxLimit})
				}, func(payment.Payment) int64 { return 1 }),
				usual: 19900, approve: f.Store.MarkApproved, wantEvents: f.WantEvents, url: f.URL,
				subscriptions: func() ([]consumer.Subscription, error) { return payment.Subscriptions(f.Store) },
				inbox:         inboxRows(f.Store.Outbox),
			}
		},
	},
}

// sum adds up what each of the rows list reads holds.
func sum[T any](list func(context.Context) ([]T, error), held func(T) int64) func(*testing.T) int64 {
	return func(t *testing.T) int64 {
		rows, err := list(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var total int64
		for _, r := range rows {
			total += held(r)
		}
		return total
	}
}

// inboxRows counts the consumed events ob's service recorded.
func inboxRows(ob *outbox.Outbox) func(*testing.T) int64 {
	return func(t *testing.T) int64 {
		var n int64
		if err := ob.DB(context.Background()).Model(&outbox.ProcessedEvent{}).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
}

// each runs test against every participant.
func each(t *testing.T, test func(t *testing.T, p participant, r run)) {
	for _, p := range participants {
		t.Run(p.name, func(t *testing.T) { test(t, p, p.open(t)) })
	}
}

func TestBadInputIsRefusedAndWritesNothing(t *testing.T) {
	each(t, func(t *testing.T, p participant, r run) {
		for _, tc := range p.bad {
			t.Run(tc.name, func(t *testing.T) {
				status, prob := webtest.Send(t, http.MethodPost, r.url+tc.path, "application/json", tc.body)
				if status != http.StatusBadRequest || prob.Code != "invalid-request" {
					t.Fatalf("got %d %+v, want 400 invalid-request", status, prob)
				}
			})
		}
		if n := r.records(t); n != 0 {
			t.Fatalf("bad input wrote %d records, want none", n)
		}
		if got := r.holding(t); got != 0 {
			t.Fatalf("bad input made the service hold %d", got)
		}
		r.wantEvents(t)
	})
}

func TestAStepRunsOncePerOrder(t *testing.T) {
	each(t, func(t *testing.T, p participant, r run) {
		ctx := context.Background()
		for range 3 {
			if status, err := r.step(ctx, "o-1", usual); err != nil || status != p.held {
				t.Fatalf("step: %s, %v; want %s", status, err, p.held)
			}
		}
		if got := r.holding(t); got != r.usual {
			t.Fatalf("after three identical steps the service holds %d, want %d", got, r.usual)
		}
		if _, err := r.step(ctx, "o-1", other); !errors.Is(err, fault.ErrIdempotencyConflict) {
			t.Fatalf("same order, other input: %v, want an idempotency conflict", err)
		}
		r.wantEvents(t, "o-1:"+p.forward)
	})
}

func TestARefusalIsRecordedAndRepeated(t *testing.T) {
	each(t, func(t *testing.T, p participant, r run) {
		ctx := context.Background()
		if _, err := r.step(ctx, "o-no", refused); !errors.Is(err, p.refusalErr) {
			t.Fatalf("step it refuses: %v, want %s", err, p.code)
		}
		// The repeat, over HTTP: the same refusal, as its problem.
		var prob *web.Problem
		if _, err := r.step(ctx, "o-no", refused); !errors.As(err, &prob) || prob.Status != p.problem || prob.Code != p.code {
			t.Fatalf("repeat: %v, want a %d %s problem", err, p.problem, p.code)
		}
		if status, err := r.undo(ctx, "o-no"); err != nil || status != p.refusedAs {
			t.Fatalf("undo of a refusal: %s, %v; want success with the record left %s", status, err, p.refusedAs)
		}
		if got := r.holding(t); got != 0 {
			t.Fatalf("a refused step holds %d", got)
		}
		r.wantEvents(t, "o-no:"+p.refusal)
	})
}

func TestUndoGivesBackOnceAndATombstoneRefusesALateStep(t *testing.T) {
	each(t, func(t *testing.T, p participant, r run) {
		ctx := context.Background()
		if _, err := r.step(ctx, "o-2", usual); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if status, err := r.undo(ctx, "o-2"); err != nil || status != p.undone {
				t.Fatalf("undo: %s, %v; want %s", status, err, p.undone)
			}
		}
		if _, err := r.step(ctx, "o-2", usual); !errors.Is(err, fault.ErrCompensated) {
			t.Fatalf("step after its undo: %v, want already compensated", err)
		}
		if status, err := r.undo(ctx, "never"); err != nil || status != p.voided {
			t.Fatalf("undo before the step: %s, %v; want a %s tombstone", status, err, p.voided)
		}
		if _, err := r.step(ctx, "never", usual); !errors.Is(err, fault.ErrCompensated) {
			t.Fatalf("late step after a tombstone: %v, want already compensated", err)
		}
		if got := r.holding(t); got != 0 {
			t.Fatalf("after the undo and the refused late step the service holds %d", got)
		}
		r.wantEvents(t, "o-2:"+p.forward, "o-2:"+p.undo, "never:"+p.undo)
	})
}

// Retries of one order's calls can arrive together (a timed-out call and
// its retry, two replicas). On PostgreSQL they run in parallel
// transactions; the step must still be taken once and given back once.
func TestRacingRepeatsRunAndUndoOnce(t *testing.T) {
	each(t, func(t *testing.T, p participant, r run) {
		ctx := context.Background()
		race := func(call func(context.Context, string) (string, error), id string) {
			dbtest.Race(t, 8, func() error { _, err := call(ctx, id); return err })
		}
		race(func(ctx context.Context, id string) (string, error) { return r.step(ctx, id, usual) }, "o-race")
		if got := r.holding(t); got != r.usual {
			t.Fatalf("after racing steps the service holds %d, want %d", got, r.usual)
		}
		race(r.undo, "o-race")
		if got := r.holding(t); got != 0 {
			t.Fatalf("after racing undos the service holds %d", got)
		}
		race(r.undo, "o-never")
		r.wantEvents(t, "o-race:"+p.forward, "o-race:"+p.undo, "o-never:"+p.undo)
	})
}

// Once the order is approved (the saga's pivot) the step is final: a late
// or mistaken undo is refused over HTTP and gives nothing back.
func TestTheFenceRefusesTheUndoOfAnApprovedOrder(t *testing.T) {
	each(t, func(t *testing.T, p participant, r run) {
		ctx := context.Background()
		if _, err := r.step(ctx, "o-ok", usual); err != nil {
			t.Fatal(err)
		}
		for range 2 { // idempotent
			if err := r.approve(ctx, "o-ok"); err != nil {
				t.Fatal(err)
			}
		}
		_, err := r.undo(ctx, "o-ok")
		if !errors.Is(err, fault.ErrIllegalTransition) || !strings.Contains(err.Error(), "approved") {
			t.Fatalf("undo of an approved order: %v, want an illegal transition that says it is approved", err)
		}
		if got := r.holding(t); got != r.usual {
			t.Fatalf("after the refused undo the service holds %d, want %d", got, r.usual)
		}
		// A record that holds nothing, or none, takes no fence: its undo
		// still answers as before.
		if _, err := r.step(ctx, "o-no", refused); err == nil {
			t.Fatal("the refused step was granted")
		}
		for _, id := range []string{"o-no", "o-unknown"} {
			if err := r.approve(ctx, id); err != nil {
				t.Fatalf("approval of %s: %v, want nothing to do", id, err)
			}
		}
		if status, err := r.undo(ctx, "o-no"); err != nil || status != p.refusedAs {
			t.Fatalf("undo of an approved refusal: %s, %v; want %s left as it is", status, err, p.refusedAs)
		}
	})
}

// The approval that fences a held record is recorded with its event, so a
// redelivery changes nothing; an approval that finds the record fenced
// already, or holding nothing, writes nothing at all: the fence is final
// by itself, and a consumer pays a read for it, not a transaction.
func TestAnApprovalWritesOnlyWhenItFences(t *testing.T) {
	each(t, func(t *testing.T, p participant, r run) {
		ctx := context.Background()
		if _, err := r.step(ctx, "o-ok", usual); err != nil {
			t.Fatal(err)
		}
		if _, err := r.step(ctx, "o-no", refused); err == nil {
			t.Fatal("the refused step was granted")
		}
		approve := func(orderID, eventID string) {
			t.Helper()
			if err := r.approve(outbox.Consuming(ctx, p.name, eventID), orderID); err != nil {
				t.Fatalf("approval of %s (event %s): %v", orderID, eventID, err)
			}
		}
		approve("o-ok", "e-1")
		if got := r.inbox(t); got != 1 {
			t.Fatalf("after the approval that fenced, %d consumed events recorded, want 1", got)
		}
		approve("o-ok", "e-2") // another delivery of an approval: fenced already
		approve("o-no", "e-3") // a refusal holds nothing to fence
		approve("o-unknown", "e-4")
		if got := r.inbox(t); got != 1 {
			t.Fatalf("after approvals with nothing to fence, %d consumed events recorded, want still 1", got)
		}
		if _, err := r.undo(ctx, "o-ok"); !errors.Is(err, fault.ErrIllegalTransition) {
			t.Fatalf("undo of the approved order: %v, want the fence's refusal", err)
		}
	})
}

// A choreographed compensation undoes only what the choreography did: the
// order service's OrderCancelled leaves a step the orchestrator took, and
// with no step yet it leaves the tombstone that refuses a late one.
func TestAChoreographedUndoLeavesTheOrchestratorsStep(t *testing.T) {
	ctx := context.Background()
	each(t, func(t *testing.T, p participant, r run) {
		subs, err := r.subscriptions()
		if err != nil {
			t.Fatal(err)
		}
		cancelled, ok := consumer.Compensation(subs, events.OrderCancelled)
		if !ok {
			t.Fatal("no compensation for OrderCancelled")
		}
		event := func(orderID string) events.Envelope {
			return events.New("/order", events.OrderCancelled, orderID, saga.Choreography,
				events.OrderCancelledData{Reason: "cancelled by the customer"}, time.Now())
		}

		if status, err := r.step(ctx, "orchestrated", usual); err != nil || status != p.held {
			t.Fatalf("step: %s, %v", status, err)
		}
		if err := cancelled(ctx, event("orchestrated")); err != nil {
			t.Fatal(err)
		}
		if held := r.holding(t); held != r.usual {
			t.Fatalf("after a choreographed cancel of the orchestrator's order, %d held, want %d", held, r.usual)
		}

		if err := cancelled(ctx, event("cancelled-first")); err != nil {
			t.Fatal(err)
		}
		if _, err := r.step(ctx, "cancelled-first", usual); !errors.Is(err, fault.ErrCompensated) {
			t.Fatalf("step after the choreographed cancel: %v, want the tombstone's refusal", err)
		}
		if held := r.holding(t); held != r.usual {
			t.Fatalf("%d held, want %d", held, r.usual)
		}
	})
}
