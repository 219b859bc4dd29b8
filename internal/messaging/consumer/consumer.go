// Package consumer runs the services' event handlers for the choreographed
// saga: a consumer group per subscription, handlers for choreography events
// only, retries for transient failures, a dead-letter topic for what cannot
// be handled, and offsets committed only once an event is dealt with.
package consumer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/sagaforge/saga/internal/messaging/chain"
	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/messaging/kafkaio"
	"github.com/sagaforge/saga/internal/messaging/outbox"
	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/platform/process"
	"github.com/sagaforge/saga/internal/platform/telemetry"
	"github.com/sagaforge/saga/internal/saga"
)

// Handler reacts to one event. It runs the service's domain operation under
// a context that records the event in the inbox in the same transaction.
type Handler func(ctx context.Context, e events.Envelope) error

// Middleware wraps the handler of op (a step, a compensation or "fence",
// as the saga's definition names them; "" for a note).
type Middleware func(op string, next Handler) Handler

// Subscription is one topic and the handlers of the event types of interest.
// Handlers and Compensations react to choreographed sagas only, and each
// checks the mode its own service recorded for the order, not the event's
// word; Fences run for every order, whatever drives it.
type Subscription struct {
	// Name identifies the consumer: its group ID and its inbox name.
	Name  string
	Topic string
	// Handlers take a choreographed saga forward. A failure no retry fixes
	// is dead-lettered, which fails the saga (it is compensated).
	Handlers map[events.Type]Handler
	// Compensations undo a choreographed saga's steps. They retry for as
	// long as the orchestrator retries an undo (CompensateFor).
	Compensations map[events.Type]Handler
	// Fences record facts every saga mode relies on, such as an approval
	// that makes later refunds and releases refusable.
	Fences map[events.Type]Handler
	// Retriables take an approved saga on, and fence in every mode: they
	// retry until they succeed, and a refusal is a defect that is
	// dead-lettered and counted, never a reason to undo.
	Retriables map[events.Type]Handler
}

// handler finds the handler of e and the class of its reaction.
func (r *Runner) handler(sub Subscription, e events.Envelope) (Handler, chain.Class, bool) {
	if h, ok := sub.Fences[e.Type]; ok {
		return h, chain.Fence, true
	}
	if h, ok := sub.Retriables[e.Type]; ok {
		return h, chain.Retriable, true
	}
	if e.SagaMode != saga.Choreography && e.SagaMode != "" {
		return nil, "", false // the orchestrator drives this saga
	}
	// No mode (the dead letter of an event that could not be decoded):
	// the handler decides by its own record of the order, as every
	// choreographed reaction does before it acts.
	if h, ok := sub.Compensations[e.Type]; ok {
		return h, chain.Compensation, true
	}
	h, ok := sub.Handlers[e.Type]
	return h, chain.Forward, ok
}

// retryFor is how long a reaction of class c retries a transient failure
// before its event is dead-lettered: a forward step for the step deadline,
// an undo or a fence for the compensation deadline, a retriable step with
// no deadline.
func (r *Runner) retryFor(c chain.Class) time.Duration {
	switch c {
	case chain.Forward:
		return r.RetryFor
	case chain.Retriable:
		return time.Duration(math.MaxInt64)
	}
	return r.CompensateFor
}

// Runner runs subscriptions against a broker.
type Runner struct {
	brokers    kafkaio.Brokers
	dlq        outbox.Publisher
	log        *slog.Logger
	Backoff    time.Duration // first wait between tries; doubles up to MaxBackoff, with jitter (process.Backoff)
	MaxBackoff time.Duration
	// RetryFor is how long a forward step's transient failure is retried
	// before the event is dead-lettered (and the saga fails): the
	// orchestrator's step deadline. It outlasts what it waits for: an event
	// from another topic that a consumer group still rebalancing after a
	// crash has not delivered yet (payment's StockReserved needs
	// OrderCreated), a restarting database. Until then the partition waits,
	// in order.
	RetryFor time.Duration
	// CompensateFor is the same for compensations and fences: the
	// orchestrator's compensation deadline, because an undo given up on
	// leaves the databases disagreeing.
	CompensateFor time.Duration
	// Wrap, when set, wraps each handler (named by the step or
	// compensation it performs): the seam the lab's fault injection plugs
	// into. The events it acts on are handled alone, so that what it does
	// lands between one effect's commit and its offset's.
	Wrap Middleware
	// Alone tells which events Wrap acts on (op as Wrap gets it, and the
	// order): the others are still handled in batches. Nil with Wrap set:
	// every event is handled alone.
	Alone func(op, orderID string) bool
	// Batches, when set, handles the events already fetched together, up
	// to MaxBatch, in one transaction of that outbox (outbox.Batch); each
	// is still recorded in the inbox and its effects are the same.
	Batches  *outbox.Outbox
	MaxBatch int
	// Durable, when set, makes the effects handled so far survive a power
	// loss; offsets are committed only after it returns, so an event whose
	// effect the disk did not keep is delivered again.
	Durable func(context.Context) error
	// CommitEvery is how often handled events' offsets are committed.
	CommitEvery time.Duration
}

// NewRunner returns a runner that dead-letters through dlq.
func NewRunner(brokers kafkaio.Brokers, dlq outbox.Publisher, log *slog.Logger) *Runner {
	return &Runner{brokers: brokers, dlq: dlq, log: log, Backoff: 20 * time.Millisecond, MaxBackoff: 2 * time.Second,
		RetryFor: time.Minute, CompensateFor: 24 * time.Hour, CommitEvery: 100 * time.Millisecond}
}

// Run consumes sub until ctx is done.
func (r *Runner) Run(ctx context.Context, sub Subscription) error {
	log := r.log.With("consumer", sub.Name, "topic", sub.Topic)
	// The group's counters start at zero, so that their rates exist
	// before the first retry or dead letter.
	group := metric.WithAttributes(attribute.String("messaging.consumer.group.name", sub.Name))
	metrics.retries.Add(ctx, 0, group)
	metrics.deadLetters.Add(ctx, 0, group)
	metrics.batched.Add(ctx, 0, group)
	cfg := kafkaio.GroupReaderConfig(r.brokers, sub.Name, []string{sub.Topic}, 0) // commits are the committer's
	// The group's joins, assignments and offsets are what one needs to see
	// when an event seems not to arrive.
	cfg.Logger = kafka.LoggerFunc(func(msg string, args ...any) {
		// Every idle long poll ends in "no messages received", ten times a
		// second per partition: noise that would bury the group's events.
		if !strings.HasPrefix(msg, "no messages received") {
			log.Debug("kafka: " + fmt.Sprintf(msg, args...))
		}
	})
	cfg.ErrorLogger = kafka.LoggerFunc(func(msg string, args ...any) { log.Warn("kafka: " + fmt.Sprintf(msg, args...)) })
	reader := kafka.NewReader(cfg)
	defer reader.Close()
	fetched := make(chan kafka.Message, max(r.MaxBatch, 1))
	fetchCtx, stopFetching := context.WithCancel(ctx)
	defer stopFetching()
	go fetch(fetchCtx, log, reader, fetched)
	handled := make(chan []kafka.Message, 64)
	var committing sync.WaitGroup
	committing.Go(func() { r.commit(ctx, log, reader, handled) })
	defer func() { close(handled); committing.Wait() }()
	for {
		var batch []kafka.Message
		select {
		case <-ctx.Done():
			return nil
		case m, ok := <-fetched:
			if !ok {
				return nil
			}
			batch = append(batch, m)
		}
	more:
		for len(batch) < max(r.MaxBatch, 1) {
			select {
			case m, ok := <-fetched:
				if !ok {
					break more
				}
				batch = append(batch, m)
			default:
				break more
			}
		}
		done := r.handleBatch(ctx, log, sub, batch)
		for _, m := range batch[done:] {
			r.handle(ctx, log, sub, m)
			if ctx.Err() != nil {
				return nil // not committed: redelivered to the next consumer
			}
		}
		handled <- batch
	}
}

// commit commits the offsets of the events handled, every CommitEvery and
// once more when handled closes: each time Durable first, so that no
// offset stands for an effect a power loss could take back. A commit that
// fails is tried again with the next; the effects are in the inbox, so an
// event delivered again after a commit that never came changes nothing.
func (r *Runner) commit(ctx context.Context, log *slog.Logger, reader *kafka.Reader, handled <-chan []kafka.Message) {
	var pending []kafka.Message
	failed := 0
	flush := func(ctx context.Context) {
		if len(pending) == 0 {
			return
		}
		if r.Durable != nil {
			if err := r.Durable(ctx); err != nil {
				log.Warn("effects not made durable; their offsets wait", "err", err)
				return
			}
		}
		if err := reader.CommitMessages(ctx, pending...); err != nil {
			log.Warn("commit failed; tried again with the next", "offset", pending[len(pending)-1].Offset, "err", err)
			if failed++; failed < 5 {
				return
			}
			// A commit that keeps failing (the partitions went to another
			// member): what it holds is delivered again there.
		}
		pending, failed = pending[:0], 0
	}
	tick := time.NewTicker(max(r.CommitEvery, time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case batch, ok := <-handled:
			if !ok {
				// Stopping: commit what was handled, on a context of its
				// own, so that the next member does not handle it again.
				final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
				defer cancel()
				flush(final)
				return
			}
			pending = append(pending, batch...)
		case <-tick.C:
			flush(ctx)
		}
	}
}

// fetch reads messages into fetched ahead of their handling, so that those
// already there can be handled as one batch; it closes fetched when the
// reader ends or ctx is done.
func fetch(ctx context.Context, log *slog.Logger, reader *kafka.Reader, fetched chan<- kafka.Message) {
	defer close(fetched)
	backoff := process.Backoff{First: 200 * time.Millisecond, Max: 2 * time.Second}
	for {
		m, err := reader.FetchMessage(ctx)
		if err != nil {
			if kafkaio.IsEnd(err) || ctx.Err() != nil {
				return
			}
			log.Warn("fetch failed; retrying", "err", err)
			if !process.Sleep(ctx, backoff.Next()) {
				return
			}
			continue
		}
		backoff.Reset()
		select {
		case fetched <- m:
		case <-ctx.Done():
			return
		}
	}
}

// handleBatch handles batch's events in one transaction (outbox.Batch) up
// to the first that fails, needs more than one try or is one Wrap acts on
// (Alone), which the caller then handles alone, with the rest, one at a
// time; it returns how many it dealt with. One event is handled alone
// from the start.
func (r *Runner) handleBatch(ctx context.Context, log *slog.Logger, sub Subscription, batch []kafka.Message) int {
	if r.Batches == nil || (r.Wrap != nil && r.Alone == nil) || len(batch) < 2 {
		return 0
	}
	type handled struct {
		span  trace.Span
		op    string
		start time.Time
		err   error
	}
	results := make([]handled, len(batch))
	done, failed, err := r.Batches.Batch(ctx, len(batch), func(bctx context.Context, i int) error {
		m := batch[i]
		e, err := kafkaio.Decode(m)
		if err != nil {
			return err // dead-lettered alone
		}
		handler, class, ok := r.handler(sub, e)
		if !ok {
			return nil
		}
		op := opOf(sub.Name, e)
		if r.Wrap != nil && r.Alone(op, e.Subject) {
			return errAlone
		}
		hctx, span := r.startSpan(bctx, sub, m, e)
		h := handled{span: span, op: op, start: time.Now()}
		h.err = handler(outbox.Consuming(hctx, sub.Name, e.ID), e)
		meaning, refused := fault.Of(h.err)
		elog := log.With("order_id", e.Subject, "event", e.Type, "event_id", e.ID)
		switch {
		case h.err == nil:
			elog.DebugContext(hctx, "handled")
		case errors.Is(h.err, outbox.ErrAlreadyProcessed):
			elog.InfoContext(hctx, "duplicate delivery ignored")
		case refused && meaning.Event && class != chain.Retriable:
			elog.InfoContext(hctx, "refused", "reason", h.err)
		default:
			span.End() // handled again alone, under a span of its own
			return h.err
		}
		results[i] = h
		return nil
	})
	if err != nil {
		log.Warn("batch not committed; handling its events one at a time", "events", len(batch), "err", err)
		done = 0
	}
	for i, h := range results {
		if h.span == nil {
			continue
		}
		if i < done {
			r.observe(ctx, sub, h.op, h.err, h.start)
		}
		h.span.End()
	}
	if done > 1 {
		metrics.batched.Add(ctx, int64(done), metric.WithAttributes(attribute.String("messaging.consumer.group.name", sub.Name)))
	}
	if done > 0 {
		log.Debug("events handled in one transaction", "events", done, "fetched", len(batch))
	}
	if failed != nil && ctx.Err() == nil {
		log.Debug("batch stopped at an event that failed; it is tried alone", "handled", done, "err", failed)
	}
	return done
}

// startSpan starts the span of handling e, continuing the trace of the
// change that published it, so a choreographed saga is one trace across
// the services; it records how far behind the partition's end the consumer
// is.
func (r *Runner) startSpan(ctx context.Context, sub Subscription, m kafka.Message, e events.Envelope) (context.Context, trace.Span) {
	// Named and described as OpenTelemetry's messaging conventions say:
	// "{operation} {destination}", the event's type as a CloudEvents
	// attribute.
	ctx, span := tracer.Start(otel.GetTextMapPropagator().Extract(ctx, kafkaio.Headers{Msg: &m}), "process "+m.Topic,
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(attribute.String("messaging.system", "kafka"), attribute.String("messaging.operation.type", "process"),
			attribute.String("messaging.operation.name", "process"), attribute.String("cloudevents.event_type", e.Type.Wire()),
			attribute.String("cloudevents.event_id", e.ID),
			attribute.String("messaging.destination.name", m.Topic), attribute.String("messaging.consumer.group.name", sub.Name),
			attribute.Int("messaging.destination.partition.id", m.Partition), attribute.Int64("messaging.kafka.offset", m.Offset),
			attribute.String("messaging.message.id", e.ID), attribute.String("saga.order_id", e.Subject)))
	metrics.lag.Record(ctx, max(m.HighWaterMark-m.Offset-1, 0), metric.WithAttributes(
		attribute.String("messaging.consumer.group.name", sub.Name),
		attribute.String("messaging.destination.name", m.Topic), attribute.Int("messaging.destination.partition.id", m.Partition)))
	return ctx, span
}

// observe records a step's outcome and how long it took since start.
func (r *Runner) observe(ctx context.Context, sub Subscription, op string, err error, start time.Time) {
	meaning, refused := fault.Of(err)
	if outcome := stepOutcome(err, refused, meaning.Retryable); outcome != "" && op != "" {
		metrics.steps.Record(ctx, time.Since(start).Seconds(), metric.WithAttributes(attribute.String(saga.MetricStep, op),
			attribute.String(saga.MetricMode, string(saga.Choreography)), attribute.String(saga.MetricOutcome, outcome)))
	}
}

// handle deals with one message; when it returns, the message may be
// committed.
func (r *Runner) handle(ctx context.Context, log *slog.Logger, sub Subscription, m kafka.Message) {
	e, err := kafkaio.Decode(m)
	if err != nil {
		r.deadLetter(ctx, log, sub, m, events.Envelope{Subject: string(m.Key)}, fmt.Sprintf("cannot decode: %v", err), 1)
		return
	}
	handler, class, ok := r.handler(sub, e)
	if !ok {
		return
	}
	log = log.With("order_id", e.Subject, "event", e.Type, "event_id", e.ID)
	ctx, span := r.startSpan(ctx, sub, m, e)
	defer span.End()
	hctx := outbox.Consuming(ctx, sub.Name, e.ID)
	op := opOf(sub.Name, e)
	if r.Wrap != nil {
		handler = r.Wrap(op, handler)
	}
	group := attribute.String("messaging.consumer.group.name", sub.Name)
	backoff, start := process.Backoff{First: r.Backoff, Max: r.MaxBackoff}, time.Now()
	for attempt := 1; ; attempt++ {
		err := handler(hctx, e)
		meaning, refused := fault.Of(err)
		r.observe(ctx, sub, op, err, start)
		switch {
		case err == nil:
			log.DebugContext(ctx, "handled")
			return
		case errors.Is(err, outbox.ErrAlreadyProcessed):
			log.InfoContext(ctx, "duplicate delivery ignored")
			return
		case refused && !meaning.Retryable && class == chain.Retriable:
			// A step after the pivot has no refusal in any correct run.
			span.SetStatus(codes.Error, err.Error())
			metrics.defects.Add(ctx, 1, metric.WithAttributes(attribute.String(saga.MetricStep, op),
				attribute.String(saga.MetricMode, string(saga.Choreography))))
			r.deadLetter(ctx, log, sub, m, e, "a step after the pivot was refused (a defect): "+err.Error(), attempt)
			return
		case refused && meaning.Event:
			// The refusal's own event (or the state it refers to, which
			// was published when it was reached) carries the saga on.
			log.InfoContext(ctx, "refused", "reason", err)
			return
		case (refused && !meaning.Retryable) || errors.Is(err, ErrPermanent):
			span.SetStatus(codes.Error, err.Error())
			r.deadLetter(ctx, log, sub, m, e, err.Error(), attempt)
			return
		case ctx.Err() != nil:
			return // shutting down: not committed, so it is redelivered
		case time.Since(start) >= r.retryFor(class):
			span.SetStatus(codes.Error, err.Error())
			r.deadLetter(ctx, log, sub, m, e, fmt.Sprintf("failed %d times in %s: %v", attempt, time.Since(start).Round(time.Millisecond), err), attempt)
			return
		}
		span.AddEvent("retry", trace.WithAttributes(attribute.Int("attempt", attempt), attribute.String("error", err.Error())))
		metrics.retries.Add(ctx, 1, metric.WithAttributes(group))
		log.WarnContext(ctx, "handler failed; retrying", "attempt", attempt, "err", err)
		if !process.Sleep(ctx, backoff.Next()) {
			return
		}
	}
}

// errAlone stops a batch at an event to be handled alone (Alone).
var errAlone = errors.New("handled alone")

// ErrPermanent marks a handler failure that retrying cannot fix.
var ErrPermanent = errors.New("permanent failure")

// deadLetter publishes an EventDeadLettered for m, which failed as reason
// says, and keeps trying until it is out: carrying on without it would lose
// the event. A dead letter of a dead letter is never made; that consumer's
// failures are logged.
func (r *Runner) deadLetter(ctx context.Context, log *slog.Logger, sub Subscription, m kafka.Message, failed events.Envelope, reason string, attempts int) {
	if sub.Topic == events.TopicDeadLetter {
		log.ErrorContext(ctx, "dead letter not handled", "order_id", string(m.Key), "offset", m.Offset, "reason", reason)
		return
	}
	dl := events.DeadLetter{Consumer: sub.Name, Topic: m.Topic, Partition: m.Partition, Offset: m.Offset,
		Key: string(m.Key), Reason: reason, Attempts: attempts, FailedAt: time.Now().UTC(), Payload: string(m.Value)}
	if kafkaio.IsBinary(m) && failed.ID != "" {
		// The payload is replayed as structured mode, where the value
		// alone is the whole event.
		if whole, err := json.Marshal(failed); err == nil {
			dl.Payload = string(whole)
		}
	}
	subject := failed.Subject
	if subject == "" {
		subject = "unknown"
	}
	e := events.New(events.Source("consumers/"+sub.Name), events.EventDeadLettered, subject, failed.SagaMode, dl, dl.FailedAt)
	// An event that could not be decoded says nothing of its saga's mode:
	// the dead letter carries none, and the order service decides by its
	// own record of the order (handler).
	e.SagaMode = failed.SagaMode
	msg, err := kafkaio.Message(e)
	if err != nil {
		log.Error("dead letter not encoded", "err", err)
		return
	}
	msg.Key = m.Key // the failed event's, whatever it was
	// The dead letter continues the failed event's trace: the order
	// service's cancel and the compensations after it join it.
	otel.GetTextMapPropagator().Inject(ctx, kafkaio.Headers{Msg: &msg})
	backoff := process.Backoff{First: 200 * time.Millisecond, Max: 2 * time.Second}
	for {
		err := r.dlq.WriteMessages(ctx, msg)
		if err == nil {
			metrics.deadLetters.Add(ctx, 1, metric.WithAttributes(attribute.String("messaging.consumer.group.name", sub.Name)))
			log.ErrorContext(ctx, "event dead-lettered", "order_id", string(m.Key), "offset", m.Offset, "reason", reason)
			return
		}
		log.WarnContext(ctx, "dead-letter publish failed; retrying", "err", err)
		if !process.Sleep(ctx, backoff.Next()) {
			return
		}
	}
}

// Reaction is a service's handler of one event type, keyed by the type of
// the event's data (On).
type Reaction struct {
	event   events.Type
	handler Handler
	err     error
}

// On is the reaction to the events whose data is a D: the event type is
// the one the registry gives D, so a handler cannot be registered for an
// event whose data it would not decode. handle gets the order the event is
// about and its data; a malformed payload is permanent.
func On[D any](handle func(ctx context.Context, orderID string, d D) error) Reaction {
	t, ok := events.TypeFor[D]()
	if !ok {
		return Reaction{err: fmt.Errorf("%s is no event's data", reflect.TypeFor[D]())}
	}
	return Reaction{event: t, handler: decoded(handle)}
}

// decoded is a handler that reads the event's data into D first.
func decoded[D any](handle func(ctx context.Context, orderID string, d D) error) Handler {
	return func(ctx context.Context, e events.Envelope) error {
		var d D
		if err := json.Unmarshal(e.Data, &d); err != nil {
			return fmt.Errorf("%w: %s data: %v", ErrPermanent, e.Type, err)
		}
		return handle(ctx, e.Subject, d)
	}
}

// opOf names the operation a consumer performs for an event, as the chain
// names it; the fault plan reaches the same step in both modes by it. A
// retriable step's reaction to an orchestrated order only fences it: the
// orchestrator performs the step itself.
func opOf(consumer string, e events.Envelope) string {
	service, _, _ := strings.Cut(consumer, ".")
	r, _ := chain.Of(service, e.Type)
	if r.Class == chain.Retriable && e.SagaMode != saga.Choreography {
		return "fence"
	}
	return r.Op
}

// Wire builds a service's subscriptions from chain.Reactions: a consumer group
// per topic the service reacts to ("inventory.on-order"), each event type
// handled by its reaction (On) in its chain class. Every reaction of the
// service in the chain needs its handler, and every handler its reaction.
func Wire(service string, reactions ...Reaction) ([]Subscription, error) {
	if err := chain.Check(); err != nil {
		return nil, fmt.Errorf("the saga is not well formed: %w", err)
	}
	handlers := map[events.Type]Handler{}
	for _, r := range reactions {
		if r.err != nil {
			return nil, fmt.Errorf("%s: %w", service, r.err)
		}
		if _, twice := handlers[r.event]; twice {
			return nil, fmt.Errorf("%s handles %s twice", service, r.event)
		}
		handlers[r.event] = r.handler
	}
	var subs []Subscription
	byTopic := map[string]int{}
	used := 0
	for _, r := range chain.Reactions {
		if r.Service != service {
			continue
		}
		h, ok := handlers[r.Event]
		if !ok {
			return nil, fmt.Errorf("%s reacts to %s in the chain, and has no handler for it", service, r.Event)
		}
		used++
		topic := r.Event.Topic()
		i, ok := byTopic[topic]
		if !ok {
			i = len(subs)
			byTopic[topic] = i
			subs = append(subs, Subscription{Name: service + ".on-" + topicName(topic), Topic: topic,
				Handlers: map[events.Type]Handler{}, Compensations: map[events.Type]Handler{}, Fences: map[events.Type]Handler{},
				Retriables: map[events.Type]Handler{}})
		}
		switch r.Class {
		case chain.Forward:
			subs[i].Handlers[r.Event] = h
		case chain.Compensation:
			subs[i].Compensations[r.Event] = h
		case chain.Fence:
			subs[i].Fences[r.Event] = h
		case chain.Retriable:
			subs[i].Retriables[r.Event] = h
		}
	}
	if used != len(handlers) {
		return nil, fmt.Errorf("%s has handlers for events the chain does not give it", service)
	}
	return subs, nil
}

// Compensation is the handler subs undo a step with on events of type t,
// if they have one.
func Compensation(subs []Subscription, t events.Type) (Handler, bool) {
	for _, sub := range subs {
		if h, ok := sub.Compensations[t]; ok {
			return h, true
		}
	}
	return nil, false
}

// topicName is a topic's short name in consumer group names:
// inventory.on-order reads order.events.
func topicName(topic string) string {
	if service, ok := strings.CutSuffix(topic, ".events"); ok {
		return service
	}
	return "deadletter"
}

var tracer = telemetry.Tracer("messaging/consumer")

// metrics are the consumers': OpenTelemetry names, on /metrics with
// underscores (saga_consumer_retries_total).
var metrics = func() (m struct {
	steps                metric.Float64Histogram
	retries, deadLetters metric.Int64Counter
	defects, batched     metric.Int64Counter
	lag                  metric.Int64Gauge
}) {
	meter := telemetry.Meter("messaging/consumer")
	m.steps, _ = meter.Float64Histogram(saga.MetricStepDuration, metric.WithUnit("s"),
		metric.WithDescription("How long a saga step or compensation took, by step, mode and outcome."))
	m.retries, _ = meter.Int64Counter("saga.consumer.retries", metric.WithDescription("Handler tries that failed and were tried again, by consumer group."))
	m.deadLetters, _ = meter.Int64Counter("saga.consumer.dead_letters", metric.WithDescription("Events given up on and dead-lettered, by consumer group."))
	m.batched, _ = meter.Int64Counter("saga.consumer.batched", metric.WithDescription("Events handled in a transaction shared with others (Runner.Batches), by consumer group."))
	m.defects, _ = meter.Int64Counter(saga.MetricDefects, metric.WithDescription("Refusals of steps after the pivot, which no correct run meets, by step and mode."))
	m.lag, _ = meter.Int64Gauge("messaging.kafka.consumer.lag", metric.WithUnit("{message}"),
		metric.WithDescription("Messages behind the partition's end after the last one handled, by group, topic and partition."))
	return m
}()

// stepOutcome names how a try ended for the step metric: ok, refused, or
// failed; empty for a try that is not an outcome (a duplicate).
func stepOutcome(err error, refused, retryable bool) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, outbox.ErrAlreadyProcessed):
		return ""
	case refused && !retryable:
		return "refused"
	}
	return "failed"
}
