package outbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"gorm.io/gorm"

	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/messaging/kafkaio"
	"github.com/sagaforge/saga/internal/messaging/outbox"
	"github.com/sagaforge/saga/internal/platform/database"
	"github.com/sagaforge/saga/internal/platform/database/dbtest"
	"github.com/sagaforge/saga/internal/saga"
)

var topics = []string{events.TopicOrder, events.TopicInventory, events.TopicPayment}

// broker starts an in-process Kafka-protocol broker on port (0 for any),
// keeping its log in dataDir so that a restart keeps what it had.
func broker(t testing.TB, port int, dataDir string) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.Ports(port), kfake.SeedTopics(3, topics...), kfake.DataDir(dataDir))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func openOutbox(t testing.TB, path string) *outbox.Outbox {
	t.Helper()
	db, err := database.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = database.Close(db) })
	reads, err := database.OpenReads(context.Background(), db, path)
	if err != nil {
		t.Fatal(err)
	}
	if reads != db {
		t.Cleanup(func() { _ = database.Close(reads) })
	}
	ob := outbox.New(db, reads)
	if err := ob.Migrate(context.Background(), slog.New(slog.DiscardHandler), notesSchema); err != nil {
		t.Fatal(err)
	}
	return ob
}

// notesSchema is a service's schema for these tests: one table, one
// version.
var notesSchema = database.Migrations{Name: "notes", Table: "schema_migrations", FS: fstest.MapFS{
	"migrations/sqlite/00001_notes.sql":   {Data: []byte(notesSQL)},
	"migrations/postgres/00001_notes.sql": {Data: []byte(notesSQL)},
}}

const notesSQL = `-- +goose Up
CREATE TABLE notes (id varchar(64) PRIMARY KEY, note text);
-- +goose Down
DROP TABLE notes;
`

// runRelay runs a relay until the test ends.
// relayTo runs ob's relay into the broker at addr until t ends.
func relayTo(t *testing.T, ob *outbox.Outbox, addr string) {
	t.Helper()
	w := kafkaio.NewWriter(kafkaio.Plain(addr))
	t.Cleanup(func() { _ = w.Close() })
	runRelay(t, ob, w)
}

func runRelay(t *testing.T, ob *outbox.Outbox, p outbox.Publisher) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	relay := outbox.NewRelay(ob, p, slog.New(slog.DiscardHandler))
	go func() { defer close(done); _ = relay.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// commit writes n events for orderID, one transaction each, and returns
// their IDs in commit order.
func commit(t *testing.T, ob *outbox.Outbox, orderID string, n int) []string {
	t.Helper()
	var ids []string
	for i := range n {
		e := events.New(events.Source("order"), events.OrderCancelled, orderID, saga.Orchestration,
			events.OrderCancelledData{OrderID: orderID, Reason: fmt.Sprint(i)}, time.Now())
		if err := ob.Transact(context.Background(), func(tx *gorm.DB, emit outbox.Emit) error { emit(e); return nil }); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	return ids
}

// readAll consumes everything on the topics, as `starter events` does, and
// returns the event IDs per order in the order they were read.
func readAll(t *testing.T, addr string) map[string][]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ends, err := kafkaio.Ends(ctx, kafkaio.Plain(addr), topics)
	if err != nil {
		t.Fatal(err)
	}
	progress := kafkaio.NewProgress(ends)
	r := kafkaio.NewGroupReader(kafkaio.Plain(addr), "test-"+events.NewID(), topics, 0)
	defer r.Close()
	got := map[string][]string{}
	for !progress.Done() {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		progress.Saw(m)
		e, err := events.Decode(m.Value)
		if err != nil {
			t.Fatal(err)
		}
		if string(m.Key) != e.Subject {
			t.Fatalf("message key %q, want the order ID %q", m.Key, e.Subject)
		}
		got[e.Subject] = append(got[e.Subject], e.ID)
	}
	return got
}

// pending counts the rows not yet published.
func pending(t *testing.T, ob *outbox.Outbox) int {
	t.Helper()
	rows, err := ob.Messages(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range rows {
		if r.PublishedAt == nil {
			n++
		}
	}
	return n
}

func waitPublished(t *testing.T, ob *outbox.Outbox, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		n := pending(t, ob)
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events still unpublished after %s", n, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRelayPublishesEveryCommittedEventInOrder(t *testing.T) {
	c := broker(t, 0, t.TempDir())
	defer c.Close()
	addr := c.ListenAddrs()[0]
	ob := openOutbox(t, dbtest.DSN(t, "svc"))
	relayTo(t, ob, addr)

	want := map[string][]string{}
	for _, id := range []string{"a", "b", "c"} {
		want[id] = commit(t, ob, id, 40)
	}
	waitPublished(t, ob, 10*time.Second)
	got := readAll(t, addr)
	for id, ids := range want {
		if !slices.Equal(got[id], ids) {
			t.Fatalf("order %s: read %d events %v..., want the %d committed in commit order", id, len(got[id]), head(got[id]), len(ids))
		}
	}
}

func TestRolledBackChangePublishesNothing(t *testing.T) {
	ob := openOutbox(t, dbtest.DSN(t, "svc"))
	err := ob.Transact(context.Background(), func(tx *gorm.DB, emit outbox.Emit) error {
		emit(events.New(events.Source("order"), events.OrderApproved, "x", saga.Orchestration, events.OrderApprovedData{OrderID: "x"}, time.Now()))
		return errors.New("the change failed")
	})
	if err == nil {
		t.Fatal("want the change's error")
	}
	if rows, _ := ob.Messages(context.Background()); len(rows) != 0 {
		t.Fatalf("a rolled-back change left %d outbox rows", len(rows))
	}
}

func TestBrokerDownForAWhileLosesAndReordersNothing(t *testing.T) {
	port := freePort(t)
	dataDir := t.TempDir()
	c := broker(t, port, dataDir)
	addr := c.ListenAddrs()[0]
	ob := openOutbox(t, dbtest.DSN(t, "svc"))
	relayTo(t, ob, addr)

	want := map[string][]string{}
	want["a"] = commit(t, ob, "a", 5)
	waitPublished(t, ob, 10*time.Second)

	c.Close() // the broker goes away; the services keep committing
	want["a"] = append(want["a"], commit(t, ob, "a", 20)...)
	want["b"] = commit(t, ob, "b", 20)
	if n := pending(t, ob); n != 40 {
		t.Fatalf("%d events pending while the broker is down, want 40", n)
	}

	c = broker(t, port, dataDir) // back, with its log
	defer c.Close()
	waitPublished(t, ob, 30*time.Second)
	got := readAll(t, addr)
	for id, ids := range want {
		if !slices.Equal(dedupe(got[id]), ids) {
			t.Fatalf("order %s after the outage: read %v..., want %d events in commit order", id, head(got[id]), len(ids))
		}
	}
}

// failing is a publisher whose broker is unreachable.
type failing struct{}

func (failing) WriteMessages(context.Context, ...kafka.Message) error {
	return errors.New("dial tcp: connection refused")
}

func TestRowsLeftByACrashArePublishedByTheNextProcess(t *testing.T) {
	c := broker(t, 0, t.TempDir())
	defer c.Close()
	addr := c.ListenAddrs()[0]
	path := dbtest.DSN(t, "svc")

	// First process: commits, but cannot publish before it dies.
	first := openOutbox(t, path)
	ctx, crash := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = outbox.NewRelay(first, failing{}, slog.New(slog.DiscardHandler)).Run(ctx)
	}()
	want := commit(t, first, "o", 3)
	crash()
	<-done

	// Next process over the same file: its relay finds the rows.
	next := openOutbox(t, path)
	relayTo(t, next, addr)
	waitPublished(t, next, 10*time.Second)
	if got := readAll(t, addr)["o"]; !slices.Equal(got, want) {
		t.Fatalf("after restart read %v, want %v", got, want)
	}
}

func dedupe(ids []string) []string {
	d := kafkaio.NewDedupe(1000)
	var out []string
	for _, id := range ids {
		if d.First(id) {
			out = append(out, id)
		}
	}
	return out
}

func head(ids []string) []string {
	if len(ids) > 3 {
		return ids[:3]
	}
	return ids
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestInboxRefusesAnEventTwice(t *testing.T) {
	ob := openOutbox(t, dbtest.DSN(t, "svc"))
	ctx := outbox.Consuming(context.Background(), "inventory.on-order", "event-1")
	runs := 0
	effect := func(tx *gorm.DB, emit outbox.Emit) error { runs++; return nil }
	if err := ob.Transact(ctx, effect); err != nil {
		t.Fatal(err)
	}
	if err := ob.Transact(ctx, effect); !errors.Is(err, outbox.ErrAlreadyProcessed) {
		t.Fatalf("second delivery: %v, want ErrAlreadyProcessed", err)
	}
	other := outbox.Consuming(context.Background(), "payment.on-order", "event-1")
	if err := ob.Transact(other, effect); err != nil {
		t.Fatalf("another consumer of the same event: %v", err)
	}
	if runs != 2 {
		t.Fatalf("the effect ran %d times, want once per consumer", runs)
	}
}

// The inbox tells which of the named consumers took which events, and
// when, for the console's hops; a consumer not named is left out.
func TestInboxSaysWhoConsumedWhat(t *testing.T) {
	ob := openOutbox(t, dbtest.DSN(t, "svc"))
	effect := func(tx *gorm.DB, emit outbox.Emit) error { return nil }
	for _, take := range [][2]string{{"inventory.on-order", "e-1"}, {"inventory.on-payment", "e-2"}, {"payment.on-order", "e-1"}, {"inventory.on-order", "e-3"}} {
		if err := ob.Transact(outbox.Consuming(context.Background(), take[0], take[1]), effect); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := ob.Consumed(context.Background(), []string{"inventory.on-order", "inventory.on-payment"}, []string{"e-1", "e-2"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		if r.ProcessedAt.IsZero() {
			t.Errorf("%s took %s at no time", r.Consumer, r.EventID)
		}
		got = append(got, r.Consumer+" "+r.EventID)
	}
	if strings.Join(got, ", ") != "inventory.on-order e-1, inventory.on-payment e-2" {
		t.Errorf("consumed: %v", got)
	}
}

// recorder is a publisher that keeps what it was given, slowly enough that
// two relays would overlap if nothing kept them apart.
type recorder struct {
	mu   sync.Mutex
	msgs []kafka.Message
}

func (r *recorder) WriteMessages(_ context.Context, msgs ...kafka.Message) error {
	time.Sleep(2 * time.Millisecond) // the broker's round trip, widening the window
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, msgs...)
	return nil
}

// Replicas of a service share one PostgreSQL outbox, each with its relay:
// every event must still go out once, and each order's in commit order.
func TestReplicasRelaysShareOneOutbox(t *testing.T) {
	if dbtest.Engine() != "postgres" {
		t.Skip("replicas share a database only on PostgreSQL (SAGA_TEST_POSTGRES)")
	}
	dsn := dbtest.DSN(t, "shared")
	first, second := openOutbox(t, dsn), openOutbox(t, dsn)
	pub := &recorder{}
	runRelay(t, first, pub)
	runRelay(t, second, pub)
	want := map[string][]string{}
	for round := range 20 {
		for _, o := range []string{"o-a", "o-b", "o-c"} {
			want[o] = append(want[o], commit(t, []*outbox.Outbox{first, second}[round%2], o, 3)...)
		}
	}
	waitPublished(t, first, 30*time.Second)
	pub.mu.Lock()
	defer pub.mu.Unlock()
	got := map[string][]string{}
	for _, m := range pub.msgs {
		e, err := events.Decode(m.Value)
		if err != nil {
			t.Fatal(err)
		}
		got[e.Subject] = append(got[e.Subject], e.ID)
	}
	for o, ids := range want {
		if !slices.Equal(got[o], ids) {
			t.Errorf("%s: published %d events %v..., want %d in commit order", o, len(got[o]), got[o][:min(3, len(got[o]))], len(ids))
		}
	}
}

// A relay that finds another replica's relay publishing waits for the
// lock and publishes once it is free, not at its next poll: the other may
// have read the outbox before this replica's commit.
func TestARelayThatFindsTheLockTakenPublishesOnceItIsFree(t *testing.T) {
	ob, relay, holder := relayBehindTheLock(t, "lock")
	relay.Poll = time.Hour // only the wait for the lock can publish in time
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = relay.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	awaitLockRequest(t, holder)
	if err := holder.Commit().Error; err != nil {
		t.Fatal(err)
	}
	waitPublished(t, ob, 30*time.Second)
}

// A relay waiting for the lock stops when its context ends: a shutdown
// does not wait for another replica's batch.
func TestARelayWaitingForTheLockStopsWithItsContext(t *testing.T) {
	_, relay, holder := relayBehindTheLock(t, "lockstop")
	t.Cleanup(func() { holder.Rollback() })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = relay.Run(ctx) }()
	awaitLockRequest(t, holder)
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the relay still waits for the lock after its context ended")
	}
}

// relayBehindTheLock is an outbox in a fresh PostgreSQL database named
// for name, with one event committed and a relay not started yet, while
// holder, the other replica's relay mid-publish, holds the relay lock.
func relayBehindTheLock(t *testing.T, name string) (ob *outbox.Outbox, relay *outbox.Relay, holder *gorm.DB) {
	t.Helper()
	if dbtest.Engine() != "postgres" {
		t.Skip("the relay lock exists only on PostgreSQL (SAGA_TEST_POSTGRES)")
	}
	dsn := dbtest.DSN(t, name)
	ob = openOutbox(t, dsn)
	other, err := database.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = database.Close(other) })
	holder = other.Begin()
	if err := holder.Exec("SELECT pg_advisory_xact_lock(?)", outbox.RelayLockKey).Error; err != nil {
		t.Fatal(err)
	}
	commit(t, ob, "o-1", 1)
	return ob, outbox.NewRelay(ob, &recorder{}, slog.New(slog.DiscardHandler)), holder
}

// awaitLockRequest returns once PostgreSQL shows a relay waiting for the
// advisory lock that db's transaction holds.
func awaitLockRequest(t *testing.T, db *gorm.DB) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var waiting int64
		if err := db.Raw("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted").Scan(&waiting).Error; err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the relay never asked for the lock")
		}
		runtime.Gosched()
	}
}

// Replicas that start together on one PostgreSQL database migrate it one
// at a time: without the advisory lock two of them create the same table
// and one fails to start.
func TestReplicasStartingTogetherMigrateOneAtATime(t *testing.T) {
	if dbtest.Engine() != "postgres" {
		t.Skip("replicas share a database only on PostgreSQL (SAGA_TEST_POSTGRES)")
	}
	dsn := dbtest.DSN(t, "migrate")
	const replicas = 6
	dbs := make([]*outbox.Outbox, replicas)
	for i := range dbs {
		db, err := database.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = database.Close(db) })
		dbs[i] = outbox.New(db, nil)
	}
	start := make(chan struct{})
	errs := make(chan error, replicas)
	for _, ob := range dbs {
		go func() {
			<-start
			errs <- ob.Migrate(context.Background(), slog.New(slog.DiscardHandler), notesSchema)
		}()
	}
	close(start)
	for range replicas {
		if err := <-errs; err != nil {
			t.Errorf("a replica could not migrate: %v", err)
		}
	}
}

// The relay publishes later, in another goroutine: the row keeps the trace
// context of the change that wrote it, and the published message carries
// the relay's producer span, a child of that change, so the consumer
// continues the same trace.
func TestPublishedEventContinuesTheTraceOfItsChange(t *testing.T) {
	spans := recordSpans()
	ob := openOutbox(t, dbtest.DSN(t, "svc"))
	ctx, change := otel.Tracer("test").Start(context.Background(), "POST /orders")
	e := events.New(events.Source("order"), events.OrderCreated, "o-t", saga.Choreography, events.OrderCreatedData{OrderID: "o-t"}, time.Now())
	if err := ob.Transact(ctx, func(_ *gorm.DB, emit outbox.Emit) error { emit(e); return nil }); err != nil {
		t.Fatal(err)
	}
	change.End()
	pub := &recorder{}
	runRelay(t, ob, pub)
	waitPublished(t, ob, 10*time.Second)

	pub.mu.Lock()
	msg := pub.msgs[0]
	pub.mu.Unlock()
	remote := trace.SpanContextFromContext(otel.GetTextMapPropagator().Extract(context.Background(), kafkaio.Headers{Msg: &msg}))
	var publish sdktrace.ReadOnlySpan
	for _, s := range spans.Ended() {
		if s.Name() == "send "+events.TopicOrder && s.SpanContext().TraceID() == change.SpanContext().TraceID() &&
			slices.Contains(s.Attributes(), attribute.String("cloudevents.event_type", events.OrderCreated.Wire())) &&
			slices.Contains(s.Attributes(), attribute.String("messaging.operation.name", "send")) {
			publish = s
		}
	}
	switch {
	case publish == nil:
		t.Fatal("the relay made no publish span")
	case publish.Parent().SpanID() != change.SpanContext().SpanID() || publish.SpanContext().TraceID() != change.SpanContext().TraceID():
		t.Fatalf("publish span's parent %v, want the change %v", publish.Parent(), change.SpanContext())
	case publish.SpanKind() != trace.SpanKindProducer:
		t.Fatalf("publish span kind %v", publish.SpanKind())
	case remote.SpanID() != publish.SpanContext().SpanID() || remote.TraceID() != change.SpanContext().TraceID():
		t.Fatalf("the message's traceparent names %v, want the publish span %v", remote, publish.SpanContext())
	}
}

// recordSpans records every span of this test binary. The relay took its
// tracer from the global provider when the package was loaded, and the
// global provider hands such tracers to the first provider set only: so it
// is set once, and each test picks its own trace out of the recording.
var recordSpans = sync.OnceValue(func() *tracetest.SpanRecorder {
	spans := tracetest.NewSpanRecorder()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)))
	otel.SetTextMapPropagator(propagation.TraceContext{})
	return spans
})

// handing is a publisher that hands each message it takes to got.
type handing struct{ got chan kafka.Message }

func (r handing) WriteMessages(_ context.Context, msgs ...kafka.Message) error {
	for _, m := range msgs {
		r.got <- m
	}
	return nil
}

// A relay that stops marks what it published on the way out, however long
// its MarkEvery, so the next one publishes only what came after.
func TestStoppedRelayMarksWhatItPublished(t *testing.T) {
	ob := openOutbox(t, dbtest.DSN(t, "svc"))
	run := func(rec handing) (stop func()) {
		relay := outbox.NewRelay(ob, rec, slog.New(slog.DiscardHandler))
		relay.MarkEvery = time.Hour
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = relay.Run(ctx) }()
		return func() { cancel(); <-done }
	}
	first := handing{got: make(chan kafka.Message, 10)}
	stop := run(first)
	commit(t, ob, "o", 3)
	for range 3 {
		<-first.got
	}
	stop()
	if n := pending(t, ob); n != 0 {
		t.Fatalf("%d published rows left unmarked by a relay that stopped", n)
	}

	next := handing{got: make(chan kafka.Message, 10)}
	defer run(next)()
	want := commit(t, ob, "o", 1)
	m := <-next.got
	var e events.Envelope
	if err := json.Unmarshal(m.Value, &e); err != nil || e.ID != want[0] {
		t.Fatalf("the next relay published %s (%v) first, want the new event %s", e.ID, err, want[0])
	}
}
