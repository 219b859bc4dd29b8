package consumer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/sagaforge/saga/internal/messaging/consumer"
	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/messaging/kafkaio"
	"github.com/sagaforge/saga/internal/messaging/outbox"
	"github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/internal/services/inventory"
	"github.com/sagaforge/saga/internal/services/inventory/inventoryapi"
	"github.com/sagaforge/saga/internal/services/servicetest"
)

func orderCreated(orderID string, mode saga.Mode, qty int) events.Envelope {
	return events.New(events.Source("order"), events.OrderCreated, orderID, mode,
		events.OrderCreatedData{OrderID: orderID, CustomerID: "alice", Items: []input.Item{{SKU: "SKU-2", Quantity: qty}}}, time.Now())
}

// The same, handled one at a time and in batches of what was fetched: a
// batch stops at the undecodable message, which is dead-lettered alone.
func TestInventoryConsumerHandlesEachEventOnceAndDeadLettersWhatItCannotRead(t *testing.T) {
	t.Run("one at a time", func(t *testing.T) { consumeOnce(t, false, false) })
	t.Run("in batches", func(t *testing.T) { consumeOnce(t, true, false) })
	// A middleware (the lab's fault plan) that acts on the last event
	// only: that one is handled alone, the others still in batches.
	t.Run("in batches, one event wrapped", func(t *testing.T) { consumeOnce(t, true, true) })
}

// inventoryOnBroker starts a broker with one partition per topic (so the
// last message handled means all were) and an inventory service.
func inventoryOnBroker(t *testing.T) (kafkaio.Brokers, servicetest.Fixture[*inventory.Store, inventoryapi.Client]) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.SeedTopics(1, events.Topics...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return kafkaio.Plain(c.ListenAddrs()...), servicetest.Start(t, inventory.Service, inventoryapi.NewClient)
}

func consumeOnce(t *testing.T, batches, wrapLast bool) {
	brokers, svc := inventoryOnBroker(t)
	ctx := context.Background()
	store, ob := svc.Store, svc.Outbox

	first := orderCreated("c-1", saga.Choreography, 2)
	last := orderCreated("c-2", saga.Choreography, 3)
	var msgs []kafka.Message
	for _, m := range []any{
		first,
		first, // redelivered, as after a crash before the offset commit
		orderCreated("o-1", saga.Orchestration, 5), // the orchestrator drives this one
		"this is not an event",
		last,
	} {
		value, _ := json.Marshal(m)
		if s, ok := m.(string); ok {
			value = []byte(s)
		}
		msgs = append(msgs, kafka.Message{Topic: events.TopicOrder, Value: value})
	}
	w := kafkaio.NewWriter(brokers)
	defer w.Close()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	var logged bytes.Buffer
	runner := consumer.NewRunner(brokers, w, slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if batches {
		runner.Batches, runner.MaxBatch = ob, 32
	}
	subs, err := inventory.Subscriptions(store)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(done)
		_ = runner.Run(runCtx, subs[0])
	}()
	waitFor(t, "the last event handled", func() bool { _, err := store.Get(ctx, "c-2"); return err == nil })
	stop()
	<-done
	// All five were on the topic before the consumer started, so it
	// fetched several at once: the first two (an event and its
	// redelivery) at least went in one transaction.
	if inOne := strings.Contains(logged.String(), "events handled in one transaction"); inOne != batches {
		t.Fatalf("batched: %v, want %v; log:\n%s", inOne, batches, logged.String())
	}

	st, err := store.Stock(ctx, "SKU-2")
	if err != nil {
		t.Fatal(err)
	}
	if st.Reserved != 5 {
		t.Fatalf("SKU-2 reserved %d, want 2 (c-1, once) + 3 (c-2)", st.Reserved)
	}
	if _, err := store.Get(ctx, "o-1"); err == nil {
		t.Fatal("the consumer acted on an orchestrated order")
	}
	var processed []outbox.ProcessedEvent
	if err := ob.DB(ctx).Order("event_id").Find(&processed).Error; err != nil {
		t.Fatal(err)
	}
	if len(processed) != 2 {
		t.Fatalf("inbox holds %d events, want c-1's and c-2's", len(processed))
	}

	// The undecodable message went to the dead-letter topic with its reason.
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers.Addrs, Topic: events.TopicDeadLetter, MaxWait: 50 * time.Millisecond})
	defer r.Close()
	readCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	m, err := r.ReadMessage(readCtx)
	if err != nil {
		t.Fatal(err)
	}
	_, dl, err := consumer.DecodeDeadLetter(m.Value)
	if err != nil {
		t.Fatal(err)
	}
	if dl.Consumer != "inventory.on-order" || dl.Offset != 3 || !strings.Contains(dl.Reason, "cannot decode") || dl.Payload != "this is not an event" {
		t.Fatalf("dead letter %+v", dl)
	}
}

// A middleware (the lab's fault plan) that acts on one event leaves the
// others batched: events fetched before it share a transaction, which
// bypasses the middleware, and it is handled alone, through the
// middleware. How many events each fetch brings is the reader's affair
// (the first may bring one), so the alone event comes late, after enough
// others that some of them share a batch.
func TestAnEventAMiddlewareActsOnIsHandledAloneTheOthersBatched(t *testing.T) {
	brokers, svc := inventoryOnBroker(t)
	ctx := context.Background()
	w := kafkaio.NewWriter(brokers)
	defer w.Close()
	const n, alone = 20, "c-15"
	var msgs []kafka.Message
	for i := 1; i <= n; i++ { // all there before the consumer starts
		value, _ := json.Marshal(orderCreated(fmt.Sprintf("c-%d", i), saga.Choreography, 1))
		msgs = append(msgs, kafka.Message{Topic: events.TopicOrder, Value: value})
	}
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	runner := consumer.NewRunner(brokers, w, slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug})))
	runner.Batches, runner.MaxBatch = svc.Outbox, 32
	var mu sync.Mutex
	var wrapped []string // the orders whose events went through the middleware
	runner.Wrap = func(op string, next consumer.Handler) consumer.Handler {
		return func(ctx context.Context, e events.Envelope) error {
			mu.Lock()
			wrapped = append(wrapped, e.Subject)
			mu.Unlock()
			return next(ctx, e)
		}
	}
	runner.Alone = func(op, orderID string) bool { return op == "reserve" && orderID == alone }
	stop := consume(t, runner, svc.Store)
	waitFor(t, "all reserved", func() bool { _, err := svc.Store.Get(ctx, fmt.Sprintf("c-%d", n)); return err == nil })
	stop()
	if !strings.Contains(logged.String(), "events handled in one transaction") {
		t.Fatalf("no batch with a middleware set; log:\n%s", logged.String())
	}
	mu.Lock()
	defer mu.Unlock()
	before := 0 // events before the alone one that went through the middleware
	for _, id := range wrapped {
		var i int
		if _, err := fmt.Sscanf(id, "c-%d", &i); err == nil && i < 15 {
			before++
		}
	}
	if !slices.Contains(wrapped, alone) || before == 14 {
		t.Fatalf("the middleware saw %v; want %s's event (handled alone), and not every event before it (some were batched)", wrapped, alone)
	}
}

// Offsets are committed only once the effects of their events are
// durable: while Durable fails the group's committed offset stays where it
// was, though the effects are in the database; once it succeeds they are
// committed without a new event to carry them.
func TestOffsetsWaitForTheEffectsToBeDurable(t *testing.T) {
	brokers, svc := inventoryOnBroker(t)
	ctx := context.Background()
	w := kafkaio.NewWriter(brokers)
	defer w.Close()
	for _, e := range []events.Envelope{orderCreated("c-1", saga.Choreography, 1), orderCreated("c-2", saga.Choreography, 1)} {
		value, _ := json.Marshal(e)
		if err := w.WriteMessages(ctx, kafka.Message{Topic: events.TopicOrder, Value: value}); err != nil {
			t.Fatal(err)
		}
	}
	var durable atomic.Bool
	refused := make(chan struct{}, 100)
	runner := consumer.NewRunner(brokers, w, slog.New(slog.DiscardHandler))
	runner.CommitEvery = 10 * time.Millisecond
	runner.Durable = func(context.Context) error {
		if durable.Load() {
			return nil
		}
		select {
		case refused <- struct{}{}:
		default:
		}
		return errors.New("disk not synced")
	}
	defer consume(t, runner, svc.Store)()

	committed := func() int64 {
		t.Helper()
		ends, err := kafkaio.Ends(ctx, brokers, []string{events.TopicOrder})
		if err != nil {
			t.Fatal(err)
		}
		got, err := kafkaio.Committed(ctx, brokers, "inventory.on-order", events.TopicOrder, ends)
		if err != nil {
			t.Fatal(err)
		}
		return got[kafkaio.TopicPartition{Topic: events.TopicOrder, Partition: 0}]
	}
	waitFor(t, "both reservations", func() bool { _, err := svc.Store.Get(ctx, "c-2"); return err == nil })
	for len(refused) > 0 { // refusals before the effects
		<-refused
	}
	for range 3 { // three flushes since: each asked Durable, which refused
		<-refused
	}
	if n := committed(); n != 0 {
		t.Fatalf("committed offset %d while the effects were not durable, want 0", n)
	}
	durable.Store(true)
	waitFor(t, "the offsets committed", func() bool { return committed() == 2 })
}

// consume runs runner on the inventory's subscription to the order
// topic; the function it returns stops it and waits until it has.
func consume(t *testing.T, runner *consumer.Runner, store *inventory.Store) (stop func()) {
	t.Helper()
	subs, err := inventory.Subscriptions(store)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = runner.Run(ctx, subs[0]) }()
	return func() { cancel(); <-done }
}

// waitFor polls cond until it holds, failing t after 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
