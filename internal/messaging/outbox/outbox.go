// Package outbox makes domain events and state changes commit together: a
// store appends its events to an outbox table inside the same transaction as
// the change, and a relay publishes committed rows to Kafka afterwards. An
// event exists if and only if its change committed, with no dual write.
package outbox

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm"

	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/platform/database"
	"github.com/sagaforge/saga/internal/platform/telemetry"
)

// Message is one outbox row. ID orders publication: the relay publishes in
// ID order, so an order's events leave in the order they were committed.
type Message struct {
	ID      int64  `gorm:"primaryKey;autoIncrement"`
	EventID string `gorm:"size:36;uniqueIndex"`
	Topic   string `gorm:"size:128"`
	Key     string `gorm:"size:64"`
	Type    string `gorm:"size:64"`
	Payload []byte
	// Traceparent is the W3C trace context of the change that wrote the
	// row: the relay's publish span, and so the consumers', continue it.
	Traceparent string `gorm:"size:55"`
	CreatedAt   time.Time
	PublishedAt *time.Time `gorm:"index"`
}

// TableName keeps the table name stable whatever gorm's naming strategy.
func (Message) TableName() string { return "outbox_messages" }

// Outbox is one service's outbox (and inbox, see Consuming).
type Outbox struct {
	db    *gorm.DB
	reads *gorm.DB // for reads outside transactions (database.OpenReads)
	wake  chan struct{}
	// Syncer, when set, makes commits durable before a consumer commits
	// the offsets of the events whose effects they are (Durable).
	Syncer Syncer
}

// Syncer makes every transaction committed so far survive a power loss
// (database.Syncer).
type Syncer interface {
	Sync(ctx context.Context) error
}

// Durable returns once every transaction committed so far survives a power
// loss; at once without a Syncer.
func (o *Outbox) Durable(ctx context.Context) error {
	if o.Syncer == nil {
		return nil
	}
	return o.Syncer.Sync(ctx)
}

// New returns the outbox stored in db; call Migrate before use. Reads
// outside transactions go to reads (nil: db too).
func New(db, reads *gorm.DB) *Outbox {
	if reads == nil {
		reads = db
	}
	return &Outbox{db: db, reads: reads, wake: make(chan struct{}, 1)}
}

// DB is the database the outbox lives in, for the service's reads outside
// a transaction; changes go through Transact. Inside a Batch it is the
// batch's transaction, so that a handler reads what the events before it
// in the batch did, as it would have one event at a time.
func (o *Outbox) DB(ctx context.Context) *gorm.DB {
	if b, ok := ctx.Value(batchKey{}).(*batch); ok {
		return b.tx.WithContext(ctx)
	}
	return o.reads.WithContext(ctx)
}

// Ping checks the database answers.
func (o *Outbox) Ping(ctx context.Context) error { return database.Ping(ctx, o.db) }

// Migrations are the outbox's and the inbox's schema, in every service's
// database beside the service's own.
var Migrations = database.Migrations{Name: "outbox", FS: migrations, Table: "outbox_schema_migrations"}

//go:embed migrations
var migrations embed.FS

// Migrate brings the database to the newest version of the outbox's
// schema and of the service's (versioned SQL migrations), under an
// advisory lock that replicas starting together take in turn. A database
// from before the schema was versioned (its outbox there, no version
// table) is first brought to the first version by gorm from models, the
// way it was made.
func (o *Outbox) Migrate(ctx context.Context, log *slog.Logger, service database.Migrations, models ...any) error {
	err := database.Exclusive(ctx, o.db, "sagaforge migrate", func(*gorm.DB) error {
		m := o.db.WithContext(ctx).Migrator()
		if !m.HasTable(service.Table) && m.HasTable(&Message{}) {
			log.InfoContext(ctx, "schema from before versioned migrations: bringing it to the first version")
			if err := o.db.WithContext(ctx).AutoMigrate(append(models, &Message{}, &ProcessedEvent{})...); err != nil {
				return err
			}
		}
		return database.Migrate(ctx, o.db, log, Migrations, service)
	})
	if err != nil {
		return fmt.Errorf("migrate schema: %w", err)
	}
	return nil
}

// Emit collects the events of one transaction.
type Emit func(events.Envelope)

// Transact runs fn in a transaction and appends the events it emitted to the
// outbox in that same transaction. After the commit it wakes the relay, so
// publication does not wait for a poll. Under a context from Consuming, the
// consumed event is recorded in the inbox in the same transaction first.
// Under a context from Batch, it joins the batch's transaction instead.
//
// fn may run more than once: when two transactions both found a row absent
// and both inserted it, the loser's unique violation rolls it back and it
// runs again, now finding the winner's row (a repeat, or a tombstone).
func (o *Outbox) Transact(ctx context.Context, fn func(tx *gorm.DB, emit Emit) error) error {
	if b, ok := ctx.Value(batchKey{}).(*batch); ok {
		return b.transact(ctx, fn)
	}
	var pending []events.Envelope
	var err error
	for attempt := 1; attempt <= insertRaceAttempts; attempt++ {
		err = o.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			pending = pending[:0]
			if err := claim(ctx, tx); err != nil {
				return err
			}
			if err := fn(tx, func(e events.Envelope) { pending = append(pending, e) }); err != nil {
				return err
			}
			return appendRows(tx, pending, telemetry.Traceparent(ctx))
		})
		if !errors.Is(err, gorm.ErrDuplicatedKey) {
			break
		}
	}
	if err == nil && len(pending) > 0 {
		o.Wake()
	}
	return err
}

// insertRaceAttempts bounds the reruns of a transaction that lost an insert
// race; a second run reads the winner's row, so two would do.
const insertRaceAttempts = 3

func appendRows(tx *gorm.DB, evs []events.Envelope, traceparent string) error {
	if len(evs) == 0 {
		return nil
	}
	rows := make([]Message, 0, len(evs))
	for _, e := range evs {
		payload, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("encode %s: %w", e.Type, err)
		}
		rows = append(rows, Message{EventID: e.ID, Topic: e.Topic(), Key: e.Subject, Type: string(e.Type), Payload: payload, Traceparent: traceparent})
	}
	if err := tx.Create(&rows).Error; err != nil {
		return fmt.Errorf("append to outbox: %w", err)
	}
	return nil
}

// Wake tells the relay there is something to publish. It never blocks.
func (o *Outbox) Wake() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Messages returns every row in publication order (for tests and audits).
func (o *Outbox) Messages(ctx context.Context) ([]Message, error) {
	var rows []Message
	err := o.db.WithContext(ctx).Order("id").Find(&rows).Error
	return rows, err
}
