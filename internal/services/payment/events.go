package payment

import (
	"context"
	"errors"
	"time"

	"github.com/sagaforge/saga/internal/messaging/consumer"
	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/messaging/outbox"
	"github.com/sagaforge/saga/internal/platform/watch"
	"github.com/sagaforge/saga/internal/saga"
)

// Subscriptions are payment's part of the choreographed saga: note who pays
// what when an order is created, charge once its stock is reserved, refund
// when the order is cancelled. Whatever the mode, an approval makes the
// capture final.
func Subscriptions(store *Store) ([]consumer.Subscription, error) {
	var seen watch.Set[struct{}] // orders whose OrderCreated this process has recorded
	return consumer.Wire("payment",
		consumer.On(func(ctx context.Context, orderID string, d events.OrderCreatedData) error {
			err := store.notePendingCharge(ctx, PendingCharge{OrderID: orderID, CustomerID: d.CustomerID, Amount: d.TotalCents})
			if err == nil {
				outbox.AfterCommit(ctx, func() { seen.Notify(orderID, struct{}{}) })
			}
			return err
		}),
		consumer.On(func(ctx context.Context, orderID string, _ events.OrderCancelledData) error {
			return store.refundChoreographed(ctx, orderID)
		}),
		consumer.On(func(ctx context.Context, orderID string, _ events.OrderApprovedData) error {
			return store.MarkApproved(ctx, orderID)
		}),
		// Only a choreographed order has a pending charge: that
		// record, not the event, says who drives the saga.
		consumer.On(func(ctx context.Context, orderID string, _ events.StockReservedData) error {
			req, err := awaitPendingCharge(ctx, &seen, orderID, store.pendingCharge)
			if err != nil {
				return err
			}
			_, err = store.Charge(ctx, Charge{OrderID: orderID, CustomerID: req.CustomerID, Amount: req.Amount, Mode: saga.Choreography})
			return err
		}),
	)
}

// refundChoreographed refunds a choreographed order's payment, or leaves a
// tombstone if nothing was charged yet (step.Records.UndoChoreographed).
func (s *Store) refundChoreographed(ctx context.Context, orderID string) error {
	return s.UndoChoreographed(ctx, orderID, func(ctx context.Context) error {
		_, err := s.Refund(ctx, orderID, saga.Choreography)
		return err
	})
}

// orderCreatedWait bounds the wait for an overtaken OrderCreated in this
// process; after it, the consumer's retries take over (the event may be
// another replica's to handle).
const orderCreatedWait = 500 * time.Millisecond

// awaitPendingCharge loads what OrderCreated recorded for orderID.
// StockReserved travels on another topic and can overtake it, and would then
// wait out a retry's backoff. When this process handles the OrderCreated,
// the wait ends the moment it commits.
func awaitPendingCharge(ctx context.Context, seen *watch.Set[struct{}], orderID string, load func(context.Context, string) (PendingCharge, error)) (PendingCharge, error) {
	next, release := seen.Wait(orderID)
	defer release()
	req, err := load(ctx, orderID)
	if !errors.Is(err, errOrderNotSeenYet) || outbox.InBatch(ctx) {
		return req, err // in a batch, waiting would hold the writer OrderCreated needs
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
