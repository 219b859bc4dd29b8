package inventory

import (
	"context"
	"fmt"

	"github.com/sagaforge/saga/consumer"
	"github.com/sagaforge/saga/events"
	"github.com/sagaforge/saga/fault"
)

// Subscriptions are inventory's part of the choreographed saga: reserve when
// an order is created, release when its payment is declined. They call the
// same store operations as the HTTP API.
func Subscriptions(store *Store) []consumer.Subscription {
	return []consumer.Subscription{
		{Name: "inventory.on-order", Topic: events.TopicOrder, Handlers: map[events.Type]consumer.Handler{
			events.OrderCreated: func(ctx context.Context, e events.Envelope) error {
				var d events.OrderCreatedData
				if err := consumer.Decode(e, &d); err != nil {
					return err
				}
				items := make([]Item, len(d.Items))
				for i, l := range d.Items {
					items[i] = Item{SKU: l.SKU, Quantity: l.Quantity}
				}
				_, err := store.Reserve(ctx, e.Subject, items, events.Choreography)
				return err
			},
		}},
		{Name: "inventory.on-payment", Topic: events.TopicPayment, Handlers: map[events.Type]consumer.Handler{
			events.PaymentDeclined: func(ctx context.Context, e events.Envelope) error {
				var d events.PaymentDeclinedData
				if err := consumer.Decode(e, &d); err != nil {
					return err
				}
				// The same words the orchestrator would use as the reason.
				_, err := store.Release(ctx, e.Subject, events.Choreography, fmt.Sprintf("%v: %s", fault.ErrInsufficientFunds, d.Reason))
				return err
			},
		}},
	}
}
