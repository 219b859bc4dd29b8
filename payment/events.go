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
	"github.com/sagaforge/saga/watch"
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
	var seen watch.Set[struct{}] // orders whose OrderCreated this process has recorded
	return []consumer.Subscription{
		{Name: "payment.on-order", Topic: events.TopicOrder, Handlers: map[events.Type]consumer.Handler{
			events.OrderCreated: func(ctx context.Context, e events.Envelope) error {
				var d events.OrderCreatedData
				if err := consumer.Decode(e, &d); err != nil {
					return err
				}
				err := store.outbox.Transact(ctx, func(tx *gorm.DB, _ outbox.Emit) error {
					return tx.Clauses(clause.OnConflict{DoNothing: true}).
						Create(&PendingCharge{OrderID: e.Subject, CustomerID: d.CustomerID, Amount: d.TotalCents}).Error
				})
				if err == nil {
					seen.Notify(e.Subject, struct{}{})
				}
				return err
			},
		}},
		{Name: "payment.on-inventory", Topic: events.TopicInventory, Handlers: map[events.Type]consumer.Handler{
			events.StockReserved: func(ctx context.Context, e events.Envelope) error {
				req, err := awaitPendingCharge(ctx, &seen, e.Subject, store.pendingCharge)
				if err != nil {
					return err
				}
				_, err = store.Charge(ctx, Charge{OrderID: e.Subject, CustomerID: req.CustomerID, Amount: req.Amount, Mode: events.Choreography})
				return err
			},
		}},
	}
}

// orderCreatedWait bounds the wait for an overtaken OrderCreated in this
// process; after it, the consumer's retries take over (the event may be
// another replica's to handle).
const orderCreatedWait = 500 * time.Millisecond

// awaitPendingCharge loads what OrderCreated recorded for orderID.
// StockReserved travels on another topic and can overtake it: with fast
// relays it did for one saga in ten at 1 in flight, each then waiting out a
// retry's backoff. When this process handles the OrderCreated, the wait ends
// the moment it commits.
func awaitPendingCharge(ctx context.Context, seen *watch.Set[struct{}], orderID string, load func(context.Context, string) (PendingCharge, error)) (PendingCharge, error) {
	next, release := seen.Wait(orderID)
	defer release()
	req, err := load(ctx, orderID)
	if !errors.Is(err, errOrderNotSeenYet) {
		return req, err
	}
	select {
	case <-next.Done():
		return load(ctx, orderID)
	case <-time.After(orderCreatedWait):
		return PendingCharge{}, err
	case <-ctx.Done():
		return PendingCharge{}, ctx.Err()
	}
}

// pendingCharge reads what OrderCreated recorded for orderID, or
// errOrderNotSeenYet.
func (s *Store) pendingCharge(ctx context.Context, orderID string) (PendingCharge, error) {
	var req PendingCharge
	err := s.db.WithContext(ctx).Take(&req, "order_id = ?", orderID).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return PendingCharge{}, fmt.Errorf("charge for %s: %w", orderID, errOrderNotSeenYet)
	}
	if err != nil {
		return PendingCharge{}, fmt.Errorf("load charge request %s: %w", orderID, err)
	}
	return req, nil
}
