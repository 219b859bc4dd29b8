package inventory

import (
	"context"
	"fmt"

	"github.com/sagaforge/saga/internal/messaging/consumer"
	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/saga"
)

// Subscriptions are inventory's part of the choreographed saga: reserve when
// an order is created; release when its payment is declined or the order is
// cancelled; ship once it is approved. Whatever the mode, an approval makes
// the hold final. They call the same store operations as the HTTP API.
func Subscriptions(store *Store) ([]consumer.Subscription, error) {
	return consumer.Wire("inventory",
		consumer.On(func(ctx context.Context, orderID string, d events.OrderCreatedData) error {
			_, err := store.Reserve(ctx, orderID, d.Items, saga.Choreography)
			return err
		}),
		consumer.On(func(ctx context.Context, orderID string, d events.OrderCancelledData) error {
			return store.releaseChoreographed(ctx, orderID, d.Reason)
		}),
		consumer.On(func(ctx context.Context, orderID string, _ events.OrderApprovedData) error {
			return store.approved(ctx, orderID)
		}),
		consumer.On(func(ctx context.Context, orderID string, d events.PaymentDeclinedData) error {
			// The same words the orchestrator would use as the reason.
			return store.releaseChoreographed(ctx, orderID, fmt.Sprintf("%v: %s", fault.ErrInsufficientFunds, d.Reason))
		}),
	)
}

// releaseChoreographed releases a choreographed order's stock, or leaves a
// tombstone if none was reserved yet (step.Records.UndoChoreographed).
func (s *Store) releaseChoreographed(ctx context.Context, orderID, why string) error {
	return s.UndoChoreographed(ctx, orderID, func(ctx context.Context) error {
		_, err := s.Release(ctx, orderID, saga.Choreography, why)
		return err
	})
}
