package starter

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sagaforge/saga/platform/fault"
	"github.com/sagaforge/saga/platform/web"
	"github.com/sagaforge/saga/saga/purchase"
	"github.com/sagaforge/saga/services/order/orderapi"
	"github.com/sagaforge/saga/workers/purchases"
)

// purchaseChoreographed creates a choreography order; from there the
// services carry the saga by reacting to each other's events. It waits up
// to wait (0: not at all) for the order to settle, saying on stderr which
// step it is waiting for.
func purchaseChoreographed(ctx context.Context, env *Env, in purchase.Input, wait time.Duration) (Report, error) {
	orders, brokers := env.Services.Clients(nil).Orders, env.Services.BrokerList()
	svc := &purchases.Service{Orders: orders, Brokers: brokers}
	rep, err := retry(ctx, func() (Report, error) { return svc.StartChoreographed(ctx, in) })
	if errors.Is(err, fault.ErrIdempotencyConflict) {
		return Report{}, usagef("order %s exists with another customer, other items or as an orchestrated purchase; use another --order-id", in.OrderID)
	}
	if err != nil {
		return Report{}, orderServiceError(orders.BaseURL(), err)
	}
	if wait <= 0 || rep.Settled() {
		return rep, nil
	}
	waitCtx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	started := time.Now()
	var o orderapi.OrderResponse
	for o.Status == "" || o.Status == orderapi.StatusPending {
		if o, err = retry(waitCtx, func() (orderapi.OrderResponse, error) {
			return orders.AwaitSettled(waitCtx, in.OrderID, 10*time.Second)
		}); err != nil {
			if waitCtx.Err() != nil && ctx.Err() == nil {
				return Report{}, fmt.Errorf("order %s is still PENDING after %s, %s; it goes on (starter status %s)",
					in.OrderID, wait, purchases.WaitingFor(ctx, brokers, in.OrderID), in.OrderID)
			}
			return Report{}, orderServiceError(orders.BaseURL(), err)
		}
		if o.Status == orderapi.StatusPending {
			fmt.Fprintf(env.Stderr, "order %s PENDING for %s, %s\n", in.OrderID, time.Since(started).Round(time.Second), purchases.WaitingFor(ctx, brokers, in.OrderID))
		}
	}
	return purchases.ChoreographyReport(ctx, o, brokers)
}

// orderServiceError is one line: the service's own words for a refusal
// (bad input is a usage error), or where it could not be reached.
func orderServiceError(orderURL string, err error) error {
	var p *web.Problem
	switch {
	case errors.Is(err, fault.ErrInvalid) && errors.As(err, &p):
		return usagef("%s", p.Detail)
	case errors.As(err, &p):
		return fmt.Errorf("order service refused: %s", p.Detail)
	}
	return fmt.Errorf("cannot reach the order service at %s: %w", orderURL, err)
}
