package starter

import (
	"context"
	"errors"
	"fmt"

	"github.com/sagaforge/saga/messaging/events"
	"github.com/sagaforge/saga/platform/fault"
	"github.com/sagaforge/saga/services/order/orderapi"
	"github.com/sagaforge/saga/workers/purchases"
	"github.com/spf13/cobra"
)

// newStatusCmd is the status command.
func newStatusCmd(env *Env) *cobra.Command {
	return orderCommand(env, "status", "show a purchase's status, in either mode", func(ctx context.Context, id, format string) error {
		rep, err := onPurchase(ctx, env, id, func(svc *purchases.Service) (Report, error) { return svc.Get(ctx, id, 0) })
		if errors.Is(err, fault.ErrNotFound) {
			return fmt.Errorf("no purchase saga for order %s", id)
		}
		if err != nil {
			return err
		}
		return printReport(env, rep, format)
	})
}

// onPurchase runs op, retried, on the purchase API for one order, called in
// this process. Temporal is dialled only for an order that is not
// choreographed: a choreographed purchase has no workflow, and its story
// is told by the order service and the events. A failure to dial is
// returned as it is, not retried.
func onPurchase(ctx context.Context, env *Env, orderID string, op func(*purchases.Service) (Report, error)) (Report, error) {
	orders := env.Services.Clients(nil).Orders
	svc := &purchases.Service{Orders: orders, Brokers: env.Services.BrokerList(), Links: env.Temporal}
	if o, err := retry(ctx, func() (orderapi.OrderResponse, error) { return orders.Get(ctx, orderID) }); err != nil || o.Mode != events.Choreography {
		c, err := dial(ctx, env)
		if err != nil {
			return Report{}, err
		}
		defer c.Close()
		svc.Temporal = c
	}
	return retry(ctx, func() (Report, error) { return op(svc) })
}
