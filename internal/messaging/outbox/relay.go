package outbox

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	"gorm.io/gorm"

	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/messaging/kafkaio"
	"github.com/sagaforge/saga/internal/platform/process"
	"github.com/sagaforge/saga/internal/platform/telemetry"
)

// Publisher sends messages and returns once the broker acknowledged them.
// *kafka.Writer is one.
type Publisher interface {
	WriteMessages(ctx context.Context, msgs ...kafka.Message) error
}

// BatchSize is how many rows the relay publishes at once: one write.
const BatchSize = kafkaio.MaxBatch

// Relay publishes an outbox's committed rows in ID order and marks them
// published. A crash between publish and mark publishes the rows again, so
// delivery is at least once; consumers drop duplicates by event ID.
type Relay struct {
	outbox    *Outbox
	publisher Publisher
	log       *slog.Logger
	// Poll is the safety net for rows whose wake-up was missed (rows left by
	// a previous process); commits wake the relay at once.
	Poll time.Duration
	// Published, if set, is called after each acknowledged batch.
	Published func(msgs []Message, at time.Time)
	// MarkEvery is how long published SQLite rows may stay unmarked (see
	// Run); 0 marks each batch as it is acknowledged.
	MarkEvery time.Duration
	lag       metric.Float64Histogram
	// after is the last row published and not yet marked (SQLite); the next
	// read starts past it.
	after    int64
	marked   int64
	lastMark time.Time
}

// NewRelay returns a relay from o to p. Its metrics are the outbox's
// backlog and each event's lag from commit to publication.
func NewRelay(o *Outbox, p Publisher, log *slog.Logger) *Relay {
	meter := telemetry.Meter("messaging/outbox")
	lag, _ := meter.Float64Histogram("outbox.publish.lag", metric.WithUnit("s"),
		metric.WithDescription("Time from an event's commit to its publication."))
	_, _ = meter.Int64ObservableGauge("outbox.backlog", metric.WithUnit("{event}"),
		metric.WithDescription("Committed events not yet marked published (a relay marks what it published within its MarkEvery)."),
		metric.WithInt64Callback(func(ctx context.Context, obs metric.Int64Observer) error {
			var n int64
			err := o.reads.WithContext(ctx).Model(&Message{}).Where("published_at IS NULL").Count(&n).Error
			if err == nil {
				obs.Observe(n)
			}
			return err
		}))
	return &Relay{outbox: o, publisher: p, log: log, Poll: time.Second, MarkEvery: 50 * time.Millisecond, lag: lag}
}

// Run publishes until ctx is done. While the broker is down it retries with
// backoff and never skips a row, so no event is lost or overtaken.
//
// On SQLite it marks what it published at most every MarkEvery, and when it
// runs out of rows, in one statement, rather than once per batch: the mark
// is a write, and with one writer per database it queued behind the
// service's own transactions while the next batch waited for it. It
// remembers in memory where it got to; a crash before the mark publishes
// those rows again, which delivery at least once already allows.
func (r *Relay) Run(ctx context.Context) error {
	backoff := process.Backoff{First: 50 * time.Millisecond, Max: 2 * time.Second}
	failing := false
	defer r.mark(context.WithoutCancel(ctx))
	for {
		if r.after > r.marked && time.Since(r.lastMark) >= r.MarkEvery {
			if err := r.mark(ctx); err != nil && ctx.Err() == nil {
				r.log.Warn("mark published failed; retrying", "err", err)
			}
		}
		n, err := r.publishBatch(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			if !failing {
				r.log.Warn("publish failed; retrying until the broker is back", "err", err)
			}
			failing = true
			if !process.Sleep(ctx, backoff.Next()) {
				return nil
			}
			continue
		}
		if failing {
			r.log.Info("publishing again")
			failing = false
		}
		backoff.Reset()
		if n == BatchSize {
			continue // more rows are waiting
		}
		if r.after > r.marked && n == 0 {
			// Caught up: nothing to publish, so the mark holds nothing up.
			if err := r.mark(ctx); err != nil && ctx.Err() == nil {
				r.log.Warn("mark published failed; retrying", "err", err)
			}
		}
		wait := r.Poll
		if r.after > r.marked {
			wait = min(wait, r.MarkEvery)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-r.outbox.wake:
		case <-time.After(wait):
		}
	}
}

// mark records as published every SQLite row the relay has published.
func (r *Relay) mark(ctx context.Context) error {
	if r.after <= r.marked {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := r.outbox.db.WithContext(ctx).Model(&Message{}).Where("published_at IS NULL AND id <= ?", r.after).
		Update("published_at", time.Now().UTC()).Error
	if err != nil {
		return fmt.Errorf("mark published: %w", err)
	}
	r.marked, r.lastMark = r.after, time.Now()
	return nil
}

// publishBatch publishes the oldest unpublished rows and marks them.
//
// On PostgreSQL several replicas of a service share one outbox; a
// transaction-scoped advisory lock lets one relay at a time publish, so an
// order's events still leave in commit order. A relay that finds another
// publishing waits for the lock, then reads what is left, its own
// replica's latest commits included: one blocked statement, where a try
// and a retry every few milliseconds cost three round trips each.
func (r *Relay) publishBatch(ctx context.Context) (n int, err error) {
	if r.outbox.db.Dialector.Name() != "postgres" {
		return r.publishRows(ctx, r.outbox.reads, nil)
	}
	// Once the batch is out, its mark must commit even if ctx ends: a
	// shutdown would otherwise roll it back and publish the rows again.
	// The wait for the lock does end with ctx.
	txCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	err = r.outbox.db.WithContext(txCtx).Transaction(func(tx *gorm.DB) error {
		if err := tx.WithContext(ctx).Exec("SELECT pg_advisory_xact_lock(?)", relayLockKey).Error; err != nil {
			return fmt.Errorf("take the relay lock: %w", err)
		}
		var err error
		n, err = r.publishRows(ctx, tx, tx)
		return err
	})
	return n, err
}

// relayLockKey names the outbox relay's advisory lock; each service has its
// own database, so one key serves them all.
const relayLockKey = 0x6f7574626f78 // "outbox"

// publishRows reads the rows to publish from reads and marks them in
// writes, or, when writes is nil (SQLite), leaves them for mark. The single
// SQLite writer commits in ID order, so any snapshot's unpublished rows are
// a prefix of what is still to come.
func (r *Relay) publishRows(ctx context.Context, reads, writes *gorm.DB) (int, error) {
	var rows []Message
	db := reads.WithContext(ctx)
	if err := db.Where("published_at IS NULL AND id > ?", r.after).Order("id").Limit(BatchSize).Find(&rows).Error; err != nil {
		return 0, fmt.Errorf("read outbox: %w", err)
	}
	if len(rows) == 0 {
		return 0, nil
	}
	msgs := make([]kafka.Message, len(rows))
	ids := make([]int64, len(rows))
	spans := make([]trace.Span, 0, len(rows))
	for i, row := range rows {
		ids[i] = row.ID
		msgs[i] = kafka.Message{Topic: row.Topic, Key: []byte(row.Key), Value: row.Payload, Headers: kafkaio.MessageHeaders()}
		if row.Traceparent != "" {
			spans = append(spans, publishSpan(ctx, row, &msgs[i]))
		}
	}
	err := r.publisher.WriteMessages(ctx, msgs...)
	for _, span := range spans {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, "publish failed")
		}
		span.End()
	}
	if err != nil {
		return 0, fmt.Errorf("publish %d events: %w", len(msgs), err)
	}
	now := time.Now().UTC()
	if writes == nil {
		r.after = ids[len(ids)-1]
	} else {
		// Marking uses a fresh context: the events are out, and losing the
		// mark to a shutdown would only publish them again.
		markCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := writes.WithContext(markCtx).Model(&Message{}).Where("id IN ?", ids).Update("published_at", now).Error; err != nil {
			return 0, fmt.Errorf("mark published: %w", err)
		}
	}
	for _, row := range rows {
		r.lag.Record(ctx, now.Sub(row.CreatedAt).Seconds(), metric.WithAttributes(attribute.String("messaging.destination.name", row.Topic)))
	}
	if r.Published != nil {
		r.Published(rows, now)
	}
	return len(rows), nil
}

// publishSpan starts the producer span of row's event ("send {topic}", as
// OpenTelemetry's messaging conventions name it) as a child of the change
// that wrote it, and writes its trace context into msg's headers so
// that the consumers continue it.
func publishSpan(ctx context.Context, row Message, msg *kafka.Message) trace.Span {
	ctx, span := tracer.Start(telemetry.WithTraceparent(ctx, row.Traceparent), "send "+row.Topic,
		trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(attribute.String("messaging.system", "kafka"), attribute.String("messaging.operation.type", "send"),
			attribute.String("messaging.operation.name", "send"), attribute.String("cloudevents.event_type", events.Type(row.Type).Wire()),
			attribute.String("cloudevents.event_id", row.EventID),
			attribute.String("messaging.destination.name", row.Topic), attribute.String("messaging.message.id", row.EventID),
			attribute.String("saga.order_id", row.Key)))
	otel.GetTextMapPropagator().Inject(ctx, kafkaio.Headers{Msg: msg})
	return span
}

var tracer = telemetry.Tracer("messaging/outbox")
