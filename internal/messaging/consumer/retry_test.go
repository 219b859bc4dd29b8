package consumer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/messaging/kafkaio"
	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/saga"
)

type recordingDLQ struct {
	mu   sync.Mutex
	msgs []kafka.Message
}

func (d *recordingDLQ) WriteMessages(_ context.Context, msgs ...kafka.Message) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.msgs = append(d.msgs, msgs...)
	return nil
}

func message(t *testing.T) kafka.Message {
	t.Helper()
	m, err := kafkaio.Message(events.New("inventory", events.StockReserved, "ord-1", saga.Choreography, map[string]any{}, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// A transient failure that lasts longer than a few quick retries (the event
// it depends on is held up by a rebalance) is waited out, not
// dead-lettered; chaos found StockReserved dead-lettered after 2.6 s while
// payment's OrderCreated consumer was still rejoining its group.
func TestTransientFailureIsRetriedUntilItClears(t *testing.T) {
	dlq := &recordingDLQ{}
	r := NewRunner(kafkaio.Brokers{}, dlq, slog.New(slog.DiscardHandler))
	r.Backoff, r.MaxBackoff = time.Millisecond, 2*time.Millisecond
	calls := 0
	sub := Subscription{Name: "payment.on-inventory", Handlers: map[events.Type]Handler{
		events.StockReserved: func(context.Context, events.Envelope) error {
			calls++
			if calls <= 20 {
				return errors.New("order not seen yet")
			}
			return nil
		},
	}}
	r.handle(context.Background(), r.log, sub, message(t))
	if calls != 21 || len(dlq.msgs) != 0 {
		t.Fatalf("%d calls, %d dead letters; want 21 calls and the event handled", calls, len(dlq.msgs))
	}
}

// One that outlasts RetryFor is dead-lettered with the reason, so the
// partition moves on.
func TestTransientFailureOutlastingRetryForIsDeadLettered(t *testing.T) {
	dlq := &recordingDLQ{}
	r := NewRunner(kafkaio.Brokers{}, dlq, slog.New(slog.DiscardHandler))
	r.Backoff, r.MaxBackoff, r.RetryFor = time.Millisecond, 2*time.Millisecond, 20*time.Millisecond
	sub := Subscription{Name: "payment.on-inventory", Handlers: map[events.Type]Handler{
		events.StockReserved: func(context.Context, events.Envelope) error { return errors.New("database down") },
	}}
	r.handle(context.Background(), r.log, sub, message(t))
	if len(dlq.msgs) != 1 {
		t.Fatalf("%d dead letters, want 1", len(dlq.msgs))
	}
	e, dl, err := decodeDeadLetter(dlq.msgs[0].Value)
	if err != nil || dl.Consumer != sub.Name || dl.Attempts < 2 || e.Subject != "ord-1" || e.SagaMode != saga.Choreography {
		t.Fatalf("dead letter %+v (%v)", dl, err)
	}
}

// A binary-mode event that fails for good is dead-lettered whole: its
// attributes travel in headers, so the dead letter keeps it in structured
// mode, and a replay (a value alone) still carries its type and order.
func TestABinaryModeEventIsDeadLetteredWhole(t *testing.T) {
	dlq := &recordingDLQ{}
	r := NewRunner(kafkaio.Brokers{}, dlq, slog.New(slog.DiscardHandler))
	r.Backoff, r.MaxBackoff, r.RetryFor = time.Millisecond, 2*time.Millisecond, 10*time.Millisecond
	sub := Subscription{Name: "payment.on-inventory", Handlers: map[events.Type]Handler{
		events.StockReserved: func(context.Context, events.Envelope) error { return errors.New("database down") },
	}}
	m := kafka.Message{Topic: events.TopicInventory, Key: []byte("ord-b"), Value: []byte(`{"order_id":"ord-b"}`), Headers: []kafka.Header{
		{Key: "ce_specversion", Value: []byte("1.0")}, {Key: "ce_id", Value: []byte("b-1")}, {Key: "ce_type", Value: []byte(events.StockReserved.Wire())},
		{Key: "ce_source", Value: []byte("/elsewhere")}, {Key: "ce_subject", Value: []byte("ord-b")}, {Key: "ce_sagamode", Value: []byte("choreography")},
		{Key: "content-type", Value: []byte("application/json")}}}
	r.handle(context.Background(), r.log, sub, m)
	if len(dlq.msgs) != 1 {
		t.Fatalf("%d dead letters, want 1", len(dlq.msgs))
	}
	_, dl, err := decodeDeadLetter(dlq.msgs[0].Value)
	if err != nil {
		t.Fatal(err)
	}
	orig, err := events.Decode([]byte(dl.Payload))
	if err != nil || orig.ID != "b-1" || orig.Type != events.StockReserved || orig.Subject != "ord-b" || string(orig.Data) != `{"order_id":"ord-b"}` {
		t.Fatalf("dead letter payload %q decodes to %+v (%v); want the whole event", dl.Payload, orig, err)
	}
}

// The dead letter of an event that could not be decoded carries no mode,
// for nothing says which saga drove its order; it still reaches the order
// service's reaction, which decides by its own record of the order. Stamped
// "orchestration", it was ignored, and an undo that never ran left stock or
// money held.
func TestADeadLetterOfAnUndecodableEventReachesTheOrderService(t *testing.T) {
	dlq := &recordingDLQ{}
	r := NewRunner(kafkaio.Brokers{}, dlq, slog.New(slog.DiscardHandler))
	sub := Subscription{Name: "inventory.on-order", Topic: events.TopicOrder}
	r.handle(context.Background(), r.log, sub, kafka.Message{Topic: events.TopicOrder, Key: []byte("c-1"), Value: []byte("not an event")})
	if len(dlq.msgs) != 1 {
		t.Fatalf("%d dead letters, want 1", len(dlq.msgs))
	}
	e, dl, err := decodeDeadLetter(dlq.msgs[0].Value)
	if err != nil || e.Subject != "c-1" || e.SagaMode != "" || dl.Payload != "not an event" {
		t.Fatalf("dead letter %+v %+v (%v); want order c-1 and no mode", e, dl, err)
	}
	noop := func(context.Context, string, events.DeadLetter) error { return nil }
	subs, err := Wire("order",
		On(noop),
		On(func(context.Context, string, events.StockRejectedData) error { return nil }),
		On(func(context.Context, string, events.StockReleasedData) error { return nil }),
		On(func(context.Context, string, events.PaymentCapturedData) error { return nil }))
	if err != nil {
		t.Fatal(err)
	}
	reached := false
	for _, s := range subs {
		if _, _, ok := r.handler(s, e); ok {
			reached = true
		}
	}
	if !reached {
		t.Fatal("the order service has no handler for the dead letter of an undecodable event")
	}
}

// The fault plan names a consumer's work as the orchestrator's steps are
// named, so that one plan reaches the same step in both modes.
func TestConsumersNameTheirStepsForTheFaultPlan(t *testing.T) {
	for _, c := range []struct {
		consumer string
		typ      events.Type
		mode     saga.Mode
		want     string
	}{
		{"inventory.on-order", events.OrderCreated, saga.Choreography, "reserve"},
		{"inventory.on-order", events.OrderCancelled, saga.Choreography, "release"},
		{"payment.on-inventory", events.StockReserved, saga.Choreography, "charge"},
		{"payment.on-order", events.OrderCancelled, saga.Choreography, "refund"},
		{"order.on-payment", events.PaymentCaptured, saga.Choreography, "approve"},
		{"order.on-deadletter", events.EventDeadLettered, saga.Choreography, "cancel"},
		{"payment.on-order", events.OrderCreated, saga.Choreography, "note charge"},
		{"payment.on-order", events.OrderApproved, saga.Choreography, "fence"},
		{"order.on-order", events.OrderCreated, saga.Choreography, ""},
		// The retriable step after the pivot: a choreographed order ships,
		// an orchestrated one is only fenced (the worker ships it).
		{"inventory.on-order", events.OrderApproved, saga.Choreography, "ship"},
		{"inventory.on-order", events.OrderApproved, saga.Orchestration, "fence"},
	} {
		if got := opOf(c.consumer, events.Envelope{Type: c.typ, SagaMode: c.mode}); got != c.want {
			t.Errorf("opOf(%s, %s in %s) = %q, want %q", c.consumer, c.typ, c.mode, got, c.want)
		}
	}
}

// A service's consumers are wired from the chain: a reaction without its
// handler, or a handler the chain does not give the service, is refused;
// the groups are named after the service and the topic they read.
func TestWireFollowsTheChain(t *testing.T) {
	created := On(func(context.Context, string, events.OrderCreatedData) error { return nil })
	cancelled := On(func(context.Context, string, events.OrderCancelledData) error { return nil })
	approved := On(func(context.Context, string, events.OrderApprovedData) error { return nil })
	declined := On(func(context.Context, string, events.PaymentDeclinedData) error { return nil })
	reserved := On(func(context.Context, string, events.StockReservedData) error { return nil })
	subs, err := Wire("inventory", created, cancelled, approved, declined)
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != 2 || subs[0].Name != "inventory.on-order" || subs[0].Topic != events.TopicOrder || subs[1].Name != "inventory.on-payment" ||
		subs[0].Handlers[events.OrderCreated] == nil || subs[0].Compensations[events.OrderCancelled] == nil || subs[0].Retriables[events.OrderApproved] == nil ||
		subs[1].Compensations[events.PaymentDeclined] == nil {
		t.Fatalf("subscriptions %+v", subs)
	}
	if _, err := Wire("inventory", created, cancelled, declined); err == nil {
		t.Fatal("a reaction without its handler was wired")
	}
	if _, err := Wire("inventory", created, cancelled, approved, declined, reserved); err == nil {
		t.Fatal("a handler the chain does not give inventory was wired")
	}
	if _, err := Wire("inventory", created, cancelled, approved, declined, created); err == nil {
		t.Fatal("one event handled twice was wired")
	}
	notEvent := On(func(context.Context, string, struct{ Reason string }) error { return nil })
	if _, err := Wire("inventory", created, cancelled, approved, declined, notEvent); err == nil || !strings.Contains(err.Error(), "no event's data") {
		t.Fatalf("a handler of data no event carries: %v", err)
	}
}

// A decoded handler is handed the order and its data; data that does not
// decode is a permanent failure, which goes to the dead-letter topic
// instead of being retried.
func TestDecodedHandsOverTheDataOrFailsForGood(t *testing.T) {
	var got []string
	h := decoded(func(_ context.Context, orderID string, d events.OrderCancelledData) error {
		got = append(got, orderID+": "+d.Reason)
		return nil
	})
	good := events.New("/order", events.OrderCancelled, "o-1", saga.Choreography, events.OrderCancelledData{Reason: "changed my mind"}, time.Now())
	if err := h(context.Background(), good); err != nil || len(got) != 1 || got[0] != "o-1: changed my mind" {
		t.Fatalf("good data: %v, handled %q", err, got)
	}
	bad := good
	bad.Data = json.RawMessage(`{"reason":42}`)
	if err := h(context.Background(), bad); !errors.Is(err, ErrPermanent) || len(got) != 1 {
		t.Fatalf("bad data: %v (want permanent), handled %q", err, got)
	}
}

// A retriable step after the pivot outlasts every window: its transient
// failures are retried past RetryFor and CompensateFor alike.
func TestRetriableStepRetriesPastEveryWindow(t *testing.T) {
	dlq := &recordingDLQ{}
	r := NewRunner(kafkaio.Brokers{}, dlq, slog.New(slog.DiscardHandler))
	r.Backoff, r.MaxBackoff, r.RetryFor, r.CompensateFor = time.Millisecond, 2*time.Millisecond, 5*time.Millisecond, 5*time.Millisecond
	start, calls := time.Now(), 0
	sub := Subscription{Name: "inventory.on-inventory", Retriables: map[events.Type]Handler{
		events.StockReserved: func(context.Context, events.Envelope) error {
			calls++
			if time.Since(start) < 50*time.Millisecond {
				return errors.New("inventory database down")
			}
			return nil
		},
	}}
	r.handle(context.Background(), r.log, sub, message(t))
	if len(dlq.msgs) != 0 || calls < 2 {
		t.Fatalf("%d calls, %d dead letters; want the step retried until it went through", calls, len(dlq.msgs))
	}
}

// A refusal of a retriable step is a defect: dead-lettered at once, with
// the reason, even a refusal whose own event would carry a forward step on.
func TestRetriableStepRefusedIsADefectDeadLettered(t *testing.T) {
	dlq := &recordingDLQ{}
	r := NewRunner(kafkaio.Brokers{}, dlq, slog.New(slog.DiscardHandler))
	calls := 0
	sub := Subscription{Name: "inventory.on-inventory", Retriables: map[events.Type]Handler{
		events.StockReserved: func(context.Context, events.Envelope) error {
			calls++
			return fmt.Errorf("%w: reservation for order ord-1 is RELEASED; nothing to ship", fault.ErrIllegalTransition)
		},
	}}
	r.handle(context.Background(), r.log, sub, message(t))
	if calls != 1 || len(dlq.msgs) != 1 {
		t.Fatalf("%d calls, %d dead letters; want one try and its dead letter", calls, len(dlq.msgs))
	}
	if _, dl, err := decodeDeadLetter(dlq.msgs[0].Value); err != nil || !strings.Contains(dl.Reason, "defect") || !strings.Contains(dl.Reason, "nothing to ship") {
		t.Fatalf("dead letter %+v (%v); want the defect and the service's words", dl, err)
	}
}

// decodeDeadLetter reads a dead-letter message: its envelope and data.
func decodeDeadLetter(b []byte) (events.Envelope, events.DeadLetter, error) {
	e, err := events.Decode(b)
	if err != nil {
		return e, events.DeadLetter{}, err
	}
	dl, err := e.DeadLetter()
	return e, dl, err
}
