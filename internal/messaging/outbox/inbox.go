package outbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ProcessedEvent is the inbox: one row per event a consumer has handled,
// written in the same transaction as the handler's effect, so a redelivered
// event (after a crash or a rebalance) changes nothing.
type ProcessedEvent struct {
	Consumer    string `gorm:"primaryKey;size:64"`
	EventID     string `gorm:"primaryKey;size:36"`
	ProcessedAt time.Time
}

// TableName keeps the table name stable whatever gorm's naming strategy.
func (ProcessedEvent) TableName() string { return "processed_events" }

// ErrAlreadyProcessed means the consumer handled this event before.
var ErrAlreadyProcessed = errors.New("event already processed")

type inboxKey struct{}

type inboxEntry struct{ consumer, eventID string }

// Consuming marks ctx as handling eventID for consumer: the next Transact
// under ctx records it in the inbox, or returns ErrAlreadyProcessed.
func Consuming(ctx context.Context, consumer, eventID string) context.Context {
	return context.WithValue(ctx, inboxKey{}, inboxEntry{consumer, eventID})
}

// claim records the event in the inbox at the start of the transaction.
func claim(ctx context.Context, tx *gorm.DB) error {
	entry, ok := ctx.Value(inboxKey{}).(inboxEntry)
	if !ok {
		return nil
	}
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).
		Create(&ProcessedEvent{Consumer: entry.consumer, EventID: entry.eventID, ProcessedAt: tx.NowFunc()})
	if res.Error != nil {
		return fmt.Errorf("record processed event: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("%w: %s by %s", ErrAlreadyProcessed, entry.eventID, entry.consumer)
	}
	return nil
}

// Consumed returns the inbox's rows for the events named: which of the
// consumers handled each, and when. Naming the consumers lets the read
// use the table's primary key, however long the inbox has grown.
func (o *Outbox) Consumed(ctx context.Context, consumers, eventIDs []string) ([]ProcessedEvent, error) {
	var rows []ProcessedEvent
	if len(consumers) == 0 {
		return rows, nil
	}
	q := o.DB(ctx).Where("consumer IN ? AND event_id IN ?", consumers, eventIDs).Order("processed_at")
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read the inbox: %w", err)
	}
	return rows, nil
}
