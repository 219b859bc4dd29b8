package order_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sagaforge/saga/internal/messaging/consumer"
	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/platform/web/webtest"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/internal/services/order"
	"github.com/sagaforge/saga/internal/services/order/orderapi"
	"github.com/sagaforge/saga/internal/services/servicetest"
)

var newFixture = servicetest.Starter(order.Service, orderapi.NewClient)

func createReq(id string) orderapi.CreateOrderRequest {
	return orderapi.CreateOrderRequest{OrderID: id, CustomerID: "alice",
		Items: []input.Item{{SKU: "SKU-2", Quantity: 1}, {SKU: "SKU-1", Quantity: 2}}}
}

func TestCreateIsIdempotentAndPricedFromCatalog(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	first, err := f.Client.Create(ctx, createReq("o-1"))
	if err != nil {
		t.Fatal(err)
	}
	if first.Status != orderapi.StatusPending || first.TotalCents != 2*4990+19900 || first.Mode != saga.Orchestration {
		t.Fatalf("created %+v, want PENDING orchestration order of 298.80", first)
	}
	again, err := f.Client.Create(ctx, createReq("o-1"))
	if err != nil {
		t.Fatal(err)
	}
	if again.CreatedAt != first.CreatedAt || again.TotalCents != first.TotalCents {
		t.Fatalf("repeat returned %+v, want the first result %+v", again, first)
	}
	all, err := f.Client.List(ctx, "")
	if err != nil || len(all.Orders) != 1 {
		t.Fatalf("after a repeated create: %d orders, err %v; want 1", len(all.Orders), err)
	}
	other := createReq("o-1")
	other.Items[0].Quantity = 5
	if _, err := f.Client.Create(ctx, other); !errors.Is(err, fault.ErrIdempotencyConflict) {
		t.Fatalf("same ID, other items: err %v, want idempotency conflict", err)
	}
	f.WantEvents(t, "o-1:OrderCreated")
}

func TestStateMachineRefusesIllegalTransitions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, id := range []string{"approved", "cancelled"} {
		if _, err := f.Client.Create(ctx, createReq(id)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.Client.Approve(ctx, "approved"); err != nil {
		t.Fatal(err)
	}
	if o, err := f.Client.Approve(ctx, "approved"); err != nil || o.Status != orderapi.StatusApproved {
		t.Fatalf("approving twice: %+v, %v; want APPROVED and no error", o, err)
	}
	if _, err := f.Client.Cancel(ctx, "cancelled", orderapi.CancelOrderRequest{Reason: "out of stock"}); err != nil {
		t.Fatal(err)
	}
	o, err := f.Client.Cancel(ctx, "cancelled", orderapi.CancelOrderRequest{Reason: "second reason"})
	if err != nil || o.Reason != "out of stock" {
		t.Fatalf("cancelling twice: %+v, %v; want the first reason kept", o, err)
	}
	if _, err := f.Client.Approve(ctx, "cancelled"); !errors.Is(err, fault.ErrIllegalTransition) {
		t.Fatalf("approve a cancelled order: %v, want illegal transition", err)
	}
	if _, err := f.Client.Cancel(ctx, "approved", orderapi.CancelOrderRequest{Reason: "late"}); !errors.Is(err, fault.ErrIllegalTransition) {
		t.Fatalf("cancel an approved order: %v, want illegal transition", err)
	}
	if status, p := webtest.Send(t, http.MethodPost, f.URL+"/orders/cancelled/approve", "", ""); status != http.StatusConflict || p.Code != "illegal-transition" {
		t.Fatalf("approve cancelled over HTTP: %d %+v, want 409 illegal-transition", status, p)
	}
	if _, err := f.Client.Approve(ctx, "never-created"); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("approve unknown order: %v, want not found", err)
	}
	f.WantEvents(t, "approved:OrderCreated", "cancelled:OrderCreated", "approved:OrderApproved", "cancelled:OrderCancelled")
}

// A compensation's cancel names its purchase: it cancels that purchase's
// order, and refuses, changing nothing, an order another purchase holds
// under the same ID (other customer, items or mode).
func TestACancelNamingItsOwnerLeavesAnotherPurchaseAlone(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	mine := createReq("mine")
	for _, id := range []string{"mine", "theirs"} {
		if _, err := f.Client.Create(ctx, createReq(id)); err != nil {
			t.Fatal(err)
		}
	}
	owner := func(customer string, mode saga.Mode) *orderapi.Owner {
		return &orderapi.Owner{CustomerID: customer, Items: mine.Items, Mode: mode}
	}
	for _, o := range []*orderapi.Owner{owner("bob", ""), owner("alice", saga.Choreography), {CustomerID: "alice", Items: mine.Items[:1]}} {
		_, err := f.Client.Cancel(ctx, "theirs", orderapi.CancelOrderRequest{Reason: "compensated", Owner: o})
		if !errors.Is(err, fault.ErrIdempotencyConflict) {
			t.Fatalf("cancel for %+v: %v, want an idempotency conflict", o, err)
		}
	}
	if got, err := f.Client.Get(ctx, "theirs"); err != nil || got.Status != orderapi.StatusPending {
		t.Fatalf("their order after refused cancels: %+v, %v; want it PENDING", got, err)
	}
	o, err := f.Client.Cancel(ctx, "mine", orderapi.CancelOrderRequest{Reason: "compensated", Owner: owner("alice", saga.Orchestration)})
	if err != nil || o.Status != orderapi.StatusCancelled {
		t.Fatalf("cancel naming the owner: %+v, %v; want CANCELLED", o, err)
	}
	if o, err := f.Client.Cancel(ctx, "unknown", orderapi.CancelOrderRequest{Reason: "compensated", Owner: owner("alice", "")}); err != nil || !o.Tombstone {
		t.Fatalf("cancel of an unknown order naming an owner: %+v, %v; want a tombstone", o, err)
	}
	f.WantEvents(t, "mine:OrderCreated", "theirs:OrderCreated", "mine:OrderCancelled", "unknown:OrderCancelled")
}

func TestCancelBeforeCreateLeavesTombstoneThatRefusesLateCreate(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	o, err := f.Client.Cancel(ctx, "early", orderapi.CancelOrderRequest{Reason: "saga compensated"})
	if err != nil {
		t.Fatalf("cancel of an unknown order must succeed: %v", err)
	}
	if !o.Tombstone || o.Status != orderapi.StatusCancelled {
		t.Fatalf("got %+v, want a CANCELLED tombstone", o)
	}
	if _, err := f.Client.Create(ctx, createReq("early")); !errors.Is(err, fault.ErrCompensated) {
		t.Fatalf("late create after tombstone: %v, want already compensated", err)
	}
	got, err := f.Client.Get(ctx, "early")
	if err != nil || got.Status != orderapi.StatusCancelled || len(got.Lines) != 0 {
		t.Fatalf("after the late create: %+v, %v; want the tombstone unchanged", got, err)
	}
	f.WantEvents(t, "early:OrderCancelled")
}

func TestOrdersSurviveRestart(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.Client.Create(ctx, createReq("durable")); err != nil {
		t.Fatal(err)
	}
	reopened := f.Restart(t)
	got, err := reopened.Client.Get(ctx, "durable")
	if err != nil || got.Status != orderapi.StatusPending || len(got.Lines) != 2 {
		t.Fatalf("after reopening the file: %+v, %v", got, err)
	}
}

func TestBadInputIsRefusedAndWritesNothing(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name, method, path, contentType, body string
	}{
		{"malformed JSON", "POST", "/orders", "application/json", `{"order_id":`},
		{"not an object", "POST", "/orders", "application/json", `[1,2]`},
		{"unknown field", "POST", "/orders", "application/json", `{"order_id":"b1","customer_id":"alice","items":[{"sku":"SKU-1","quantity":1}],"coupon":"x"}`},
		{"trailing data", "POST", "/orders", "application/json", `{"order_id":"b1","customer_id":"alice","items":[{"sku":"SKU-1","quantity":1}]} {}`},
		{"wrong content type", "POST", "/orders", "text/plain", `{"order_id":"b1","customer_id":"alice","items":[{"sku":"SKU-1","quantity":1}]}`},
		{"zero quantity", "POST", "/orders", "application/json", `{"order_id":"b1","customer_id":"alice","items":[{"sku":"SKU-1","quantity":0}]}`},
		{"negative quantity", "POST", "/orders", "application/json", `{"order_id":"b1","customer_id":"alice","items":[{"sku":"SKU-1","quantity":-3}]}`},
		{"fractional quantity", "POST", "/orders", "application/json", `{"order_id":"b1","customer_id":"alice","items":[{"sku":"SKU-1","quantity":1.5}]}`},
		{"huge quantity", "POST", "/orders", "application/json", `{"order_id":"b1","customer_id":"alice","items":[{"sku":"SKU-1","quantity":99999999}]}`},
		{"unknown sku", "POST", "/orders", "application/json", `{"order_id":"b1","customer_id":"alice","items":[{"sku":"SKU-404","quantity":1}]}`},
		{"unknown customer", "POST", "/orders", "application/json", `{"order_id":"b1","customer_id":"mallory","items":[{"sku":"SKU-1","quantity":1}]}`},
		{"empty order", "POST", "/orders", "application/json", `{"order_id":"b1","customer_id":"alice","items":[]}`},
		{"duplicate sku", "POST", "/orders", "application/json", `{"order_id":"b1","customer_id":"alice","items":[{"sku":"SKU-1","quantity":1},{"sku":"SKU-1","quantity":2}]}`},
		{"missing order id", "POST", "/orders", "application/json", `{"customer_id":"alice","items":[{"sku":"SKU-1","quantity":1}]}`},
		{"bad order id", "POST", "/orders", "application/json", `{"order_id":"a b/c","customer_id":"alice","items":[{"sku":"SKU-1","quantity":1}]}`},
		{"unknown mode", "POST", "/orders", "application/json", `{"order_id":"b1","customer_id":"alice","items":[{"sku":"SKU-1","quantity":1}],"mode":"yolo"}`},
		{"oversized body", "POST", "/orders", "application/json", webtest.Oversized()},
		{"cancel without reason", "POST", "/orders/b2/cancel", "application/json", `{}`},
		{"cancel malformed", "POST", "/orders/b2/cancel", "application/json", `{"reason":}`},
		{"approve with a body", "POST", "/orders/b2/approve", "application/json", `{"force":true}`},
		{"list bad status", "GET", "/orders?status=LOST", "", ""},
		{"list bad mode", "GET", "/orders?mode=sideways", "", ""},
		{"list forged cursor", "GET", "/orders?before=bm90LWEtY3Vyc29y", "", ""},
		{"list cursor not base64", "GET", "/orders?before=%25%25", "", ""},
		{"list huge page", "GET", "/orders?before=&limit=1000000", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, p := webtest.Send(t, tc.method, f.URL+tc.path, tc.contentType, tc.body)
			if status != http.StatusBadRequest || p.Code != "invalid-request" {
				t.Fatalf("got %d %+v, want 400 invalid-request", status, p)
			}
		})
	}
	all, err := f.Store.List(context.Background(), order.ListFilter{})
	if err != nil || len(all) != 0 {
		t.Fatalf("bad input wrote %d orders (err %v), want none", len(all), err)
	}
	f.WantEvents(t)
}

// A reason is stored fit for either engine and for a log line: PostgreSQL
// refuses NUL outright, and a newline would forge a log record.
func TestCancelReasonIsStoredClean(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.Client.Create(ctx, createReq("o-nul")); err != nil {
		t.Fatal(err)
	}
	o, err := f.Store.Cancel(ctx, "o-nul", "bad\x00card\nlevel=ERROR")
	if err != nil || o.Reason != "bad card level=ERROR" {
		t.Fatalf("cancel: %q, %v", o.Reason, err)
	}
	if o, _ := f.Store.Get(ctx, "o-nul"); o.Reason != "bad card level=ERROR" {
		t.Fatalf("stored reason %q", o.Reason)
	}
}

// createOrders creates an order per ID, driven by its mode, and approves
// those named in approved.
func createOrders(t *testing.T, f servicetest.Fixture[*order.Store, orderapi.Client], modes map[string]saga.Mode, approved ...string) {
	t.Helper()
	ctx := context.Background()
	for id, mode := range modes {
		req := createReq(id)
		req.Mode = mode
		if _, err := f.Client.Create(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range approved {
		if _, err := f.Client.Approve(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
}

// A choreographed saga that makes no progress is cancelled at its deadline;
// orchestrated orders and settled ones are left alone.
func TestChoreographedOrderPastItsDeadlineIsCancelled(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	createOrders(t, f, map[string]saga.Mode{"c-stuck": saga.Choreography, "o-slow": saga.Orchestration, "c-done": saga.Choreography}, "c-done")
	if ids, err := f.Store.ExpireChoreographed(ctx, time.Hour, time.Now()); err != nil || len(ids) != 0 {
		t.Fatalf("expired %v (%v) an hour early, want none", ids, err)
	}
	ids, err := f.Store.ExpireChoreographed(ctx, -time.Second, time.Now()) // every order is past it
	if err != nil || len(ids) != 1 || ids[0] != "c-stuck" {
		t.Fatalf("expired %v (%v), want only c-stuck", ids, err)
	}
	for id, want := range map[string]orderapi.Status{"c-stuck": orderapi.StatusCancelled, "o-slow": orderapi.StatusPending, "c-done": orderapi.StatusApproved} {
		o, err := f.Store.Get(ctx, id)
		if err != nil || o.Status != want {
			t.Fatalf("%s: %s (%v), want %s", id, o.Status, err, want)
		}
	}
	o, _ := f.Store.Get(ctx, "c-stuck")
	if !strings.Contains(o.Reason, "deadline") {
		t.Fatalf("reason %q does not say the deadline passed", o.Reason)
	}
}

// The deadline counts from the saga's last progress, not its creation: a
// step another service reported later (StockReserved) moves it, and only
// what the consumers have read by upTo counts.
func TestTheDeadlineCountsFromTheLastProgress(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	createOrders(t, f, map[string]saga.Mode{"c-slow": saga.Choreography, "c-idle": saga.Choreography})
	subs, err := order.Subscriptions(f.Store)
	if err != nil {
		t.Fatal(err)
	}
	note, ok := fenceOf(subs, events.StockReserved)
	if !ok {
		t.Fatal("no subscription notes StockReserved as progress")
	}
	created := time.Now()
	reserved := created.Add(90 * time.Second)
	e := events.New(events.Source("inventory"), events.StockReserved, "c-slow", saga.Choreography, events.StockReservedData{OrderID: "c-slow"}, reserved)
	if err := note(ctx, e); err != nil {
		t.Fatal(err)
	}
	// Two minutes after creation, read up to then: c-idle made no progress
	// since; c-slow reserved its stock 30 s ago.
	ids, err := f.Store.ExpireChoreographed(ctx, 2*time.Minute, created.Add(2*time.Minute+time.Second))
	if err != nil || len(ids) != 1 || ids[0] != "c-idle" {
		t.Fatalf("expired %v (%v), want only c-idle", ids, err)
	}
	ids, err = f.Store.ExpireChoreographed(ctx, 2*time.Minute, reserved.Add(2*time.Minute+time.Second))
	if err != nil || len(ids) != 1 || ids[0] != "c-slow" {
		t.Fatalf("expired %v (%v) two minutes after its last progress, want c-slow", ids, err)
	}
}

// fenceOf finds the handler subs run for every event of type t.
func fenceOf(subs []consumer.Subscription, t events.Type) (consumer.Handler, bool) {
	for _, sub := range subs {
		if h, ok := sub.Fences[t]; ok {
			return h, true
		}
	}
	return nil, false
}

// The order's own mode decides: an event that claims choreography cannot
// approve or cancel an orchestrated order in the middle of its saga.
func TestEventsActOnlyOnOrdersWhoseOwnModeIsChoreography(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	req := createReq("o-orch")
	req.Mode = saga.Orchestration
	if _, err := f.Client.Create(ctx, req); err != nil {
		t.Fatal(err)
	}
	req = createReq("c-chor")
	req.Mode = saga.Choreography
	if _, err := f.Client.Create(ctx, req); err != nil {
		t.Fatal(err)
	}
	handlers := map[events.Type]consumer.Handler{}
	subs, err := order.Subscriptions(f.Store)
	if err != nil {
		t.Fatal(err)
	}
	for _, sub := range subs {
		for typ, h := range sub.Handlers {
			handlers[typ] = h
		}
		for typ, h := range sub.Compensations {
			handlers[typ] = h
		}
	}
	captured := func(id string) events.Envelope {
		return events.New(events.Source("payment"), events.PaymentCaptured, id, saga.Choreography, events.PaymentCapturedData{OrderID: id}, time.Now())
	}
	rejected := func(id string) events.Envelope {
		return events.New(events.Source("inventory"), events.StockRejected, id, saga.Choreography, events.StockRejectedData{OrderID: id, Reason: "forged"}, time.Now())
	}
	for _, e := range []events.Envelope{captured("o-orch"), rejected("o-orch"), captured("c-chor")} {
		if err := handlers[e.Type](ctx, e); err != nil {
			t.Fatalf("%s for %s: %v", e.Type, e.Subject, err)
		}
	}
	if o, _ := f.Store.Get(ctx, "o-orch"); o.Status != orderapi.StatusPending {
		t.Fatalf("orchestrated order after forged choreography events: %s, want PENDING", o.Status)
	}
	if o, _ := f.Store.Get(ctx, "c-chor"); o.Status != orderapi.StatusApproved {
		t.Fatalf("choreographed order after PaymentCaptured: %s, want APPROVED", o.Status)
	}
}

// A dead letter is a step that failed for good: the order service cancels
// a choreographed order it names, whatever mode the dead letter claims (an
// undecodable event's has none), and leaves an orchestrated one to its
// workflow; a dead letter of a step after the pivot cancels nothing.
func TestADeadLetterCancelsOnlyAChoreographedOrderBeforeItsPivot(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	createOrders(t, f, map[string]saga.Mode{"c-dead": saga.Choreography, "o-dead": saga.Orchestration, "c-shipping": saga.Choreography}, "c-shipping")
	subs, err := order.Subscriptions(f.Store)
	if err != nil {
		t.Fatal(err)
	}
	onDeadLetter, ok := consumer.Compensation(subs, events.EventDeadLettered)
	if !ok {
		t.Fatal("the order service does not react to dead letters")
	}
	deadLetter := func(id, consumerName string, failed events.Envelope) events.Envelope {
		payload, _ := json.Marshal(failed)
		e := events.New(events.Source("consumers/"+consumerName), events.EventDeadLettered, id, "",
			events.DeadLetter{Consumer: consumerName, Key: id, Reason: "kept failing", Payload: string(payload)}, time.Now())
		e.SagaMode = "" // as a dead letter of an undecodable event
		return e
	}
	reserved := func(id string) events.Envelope {
		return events.New(events.Source("inventory"), events.StockReserved, id, saga.Choreography, events.StockReservedData{OrderID: id}, time.Now())
	}
	approved := func(id string) events.Envelope {
		return events.New(events.Source("order"), events.OrderApproved, id, saga.Choreography, events.OrderApprovedData{OrderID: id}, time.Now())
	}
	for _, e := range []events.Envelope{
		deadLetter("c-dead", "payment.on-inventory", reserved("c-dead")),
		deadLetter("o-dead", "payment.on-inventory", reserved("o-dead")),
		deadLetter("c-shipping", "inventory.on-order", approved("c-shipping")),
	} {
		if err := onDeadLetter(ctx, e); err != nil {
			t.Fatalf("dead letter of %s: %v", e.Subject, err)
		}
	}
	for id, want := range map[string]orderapi.Status{"c-dead": orderapi.StatusCancelled, "o-dead": orderapi.StatusPending, "c-shipping": orderapi.StatusApproved} {
		if o, _ := f.Store.Get(ctx, id); o.Status != want {
			t.Errorf("%s after its dead letter: %s, want %s", id, o.Status, want)
		}
	}
}

// BenchmarkCreateApprove is the order service's hot path through HTTP and a
// file-backed SQLite database: create an order and approve it.
func BenchmarkCreateApprove(b *testing.B) {
	f := newFixture(b)
	servicetest.Bench(b, func(ctx context.Context, id string) error {
		if _, err := f.Client.Create(ctx, createReq(id)); err != nil {
			return err
		}
		_, err := f.Client.Approve(ctx, id)
		return err
	})
}

// FuzzOrderRequests sends arbitrary bodies to the order service's mutating
// endpoints (see servicetest.Fuzz); whatever happened, every order that is
// not a tombstone has exactly one OrderCreated event, so a refusal wrote
// no order and a create wrote one order and its event.
func FuzzOrderRequests(f *testing.F) {
	fx := newFixture(f)
	fx.Fuzz(f, servicetest.Fuzz{
		Collection: "/orders", Actions: []string{"approve", "cancel"},
		Seeds: []string{
			`{"order_id":"f1","customer_id":"alice","items":[{"sku":"SKU-1","quantity":2}]}`,
			`{"order_id":"f1","customer_id":"alice","items":[{"sku":"SKU-1","quantity":2}],"mode":"choreography"}`,
			`{"order_id":"f2","customer_id":"bob","items":[{"sku":"SKU-1","quantity":1},{"sku":"SKU-2","quantity":1}]}`,
			`{"order_id":"f1","customer_id":"alice","items":[{"sku":"SKU-1","quantity":-1}]}`,
			`{"order_id":"f1","customer_id":"alice","items":[{"sku":"SKU-1","quantity":1e9}]}`,
			`{"order_id":"f1","customer_id":"alice","items":[{"sku":"SKU-1","quantity":1},{"sku":"SKU-1","quantity":1}]}`,
			`{"order_id":"f1","customer_id":"","items":null}`,
			`{"reason":"customer asked"}`,
			`{"order_id":`, `[]`, `null`, `"x"`, ``,
		},
		Check: func(t *testing.T, ctx context.Context) {
			orders, err := fx.Store.List(ctx, order.ListFilter{})
			if err != nil {
				t.Fatal(err)
			}
			created := map[string]int{}
			for _, e := range fx.Events(t) {
				if id, ok := strings.CutSuffix(e, ":OrderCreated"); ok {
					created[id]++
				}
			}
			live := 0
			for _, o := range orders {
				if !o.Tombstone {
					live++
					if created[o.ID] != 1 {
						t.Fatalf("order %s has %d OrderCreated events, want 1", o.ID, created[o.ID])
					}
				}
			}
			if live != len(created) {
				t.Fatalf("%d orders but %d OrderCreated events", live, len(created))
			}
		},
	})
}

// The newest-first list pages by creation time and ID: each page starts
// where the last ended, with no order twice or missed; mode and status
// narrow it.
func TestNewestFirstPages(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var want []string
	for i := range 7 {
		req := createReq(fmt.Sprintf("p-%d", i))
		if i%2 == 1 {
			req.Mode = saga.Choreography
		}
		if _, err := f.Client.Create(ctx, req); err != nil {
			t.Fatal(err)
		}
		want = append([]string{req.OrderID}, want...)
	}
	var got []string
	q := orderapi.ListQuery{Limit: 3}
	for pages := 0; ; pages++ {
		page, err := f.Client.Newest(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Orders {
			got = append(got, o.OrderID)
		}
		if page.Next == "" {
			if pages != 2 {
				t.Errorf("%d pages of at most 3 for 7 orders, want 3", pages+1)
			}
			break
		}
		q.Before = page.Next
	}
	if !slices.Equal(got, want) {
		t.Fatalf("pages held %v, want %v", got, want)
	}
	chor, err := f.Client.Newest(ctx, orderapi.ListQuery{Mode: saga.Choreography, Status: orderapi.StatusPending})
	if err != nil || len(chor.Orders) != 3 || chor.Orders[0].OrderID != "p-5" || chor.Orders[2].OrderID != "p-1" {
		t.Fatalf("choreographed orders: %+v, %v; want p-5, p-3, p-1", chor.Orders, err)
	}
}
