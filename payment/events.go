package payment

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/sagaforge/saga/consumer"
	"github.com/sagaforge/saga/events"
	"github.com/sagaforge/saga/money"
	"github.com/sagaforge/saga/outbox"
)

// PendingCharge is payment's projection of OrderCreated: who pays how much
// for a choreographed order, kept until inventory says the stock is held.
type PendingCharge struct {
	OrderID    string      `gorm:"primaryKey;size:64"`
	CustomerID string      `gorm:"size:64"`
	Amount     money.Cents `gorm:"not null"`
	CreatedAt  time.Time
}

// errOrderNotSeenYet means StockReserved overtook OrderCreated (they travel
// on different topics); the consumer retries until the projection has it.
var errOrderNotSeenYet = errors.New("order not seen yet")

// Subscriptions are payment's part of the choreographed saga: note who pays
// what when an order is created, and charge once its stock is reserved.
func Subscriptions(store *Store) []consumer.Subscription {
	return []consumer.Subscription{
		{Name: "payment.on-order", Topic: events.TopicOrder, Handlers: map[events.Type]consumer.Handler{
			events.OrderCreated: func(ctx context.Context, e events.Envelope) error {
				var d events.OrderCreatedData
				if err := consumer.Decode(e, &d); err != nil {
					return err
				}
				return store.outbox.Transact(ctx, func(tx *gorm.DB, _ outbox.Emit) error {
					return tx.Clauses(clause.OnConflict{DoNothing: true}).
						Create(&PendingCharge{OrderID: e.Subject, CustomerID: d.CustomerID, Amount: d.TotalCents}).Error
				})
			},
		}},
		{Name: "payment.on-inventory", Topic: events.TopicInventory, Handlers: map[events.Type]consumer.Handler{
			events.StockReserved: func(ctx context.Context, e events.Envelope) error {
				var req PendingCharge
				err := store.db.WithContext(ctx).Take(&req, "order_id = ?", e.Subject).Error
				if errors.Is(err, gorm.ErrRecordNotFound) {
					return fmt.Errorf("charge for %s: %w", e.Subject, errOrderNotSeenYet)
				}
				if err != nil {
					return fmt.Errorf("load charge request %s: %w", e.Subject, err)
				}
				_, err = store.Charge(ctx, Charge{OrderID: e.Subject, CustomerID: req.CustomerID, Amount: req.Amount, Mode: events.Choreography})
				return err
			},
		}},
	}
}
