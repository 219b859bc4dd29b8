package order

import (
	"context"
	"fmt"

	"github.com/sagaforge/saga/consumer"
	"github.com/sagaforge/saga/events"
	"github.com/sagaforge/saga/fault"
)

// Subscriptions are the order service's part of the choreographed saga:
// approve once the payment is captured; cancel when stock is rejected or
// released. They call the same store operations as the HTTP API.
func Subscriptions(store *Store) []consumer.Subscription {
	return []consumer.Subscription{
		{Name: "order.on-inventory", Topic: events.TopicInventory, Handlers: map[events.Type]consumer.Handler{
			events.StockRejected: func(ctx context.Context, e events.Envelope) error {
				var d events.StockRejectedData
				if err := consumer.Decode(e, &d); err != nil {
					return err
				}
				_, err := store.Cancel(ctx, e.Subject, fmt.Sprintf("%v: %s", fault.ErrOutOfStock, d.Reason))
				return err
			},
			events.StockReleased: func(ctx context.Context, e events.Envelope) error {
				var d events.StockReleasedData
				if err := consumer.Decode(e, &d); err != nil {
					return err
				}
				reason := d.Reason
				if reason == "" {
					reason = "stock released"
				}
				_, err := store.Cancel(ctx, e.Subject, reason)
				return err
			},
		}},
		{Name: "order.on-payment", Topic: events.TopicPayment, Handlers: map[events.Type]consumer.Handler{
			events.PaymentCaptured: func(ctx context.Context, e events.Envelope) error {
				_, err := store.Approve(ctx, e.Subject)
				return err
			},
		}},
	}
}
