package starter

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/platform/web"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/internal/services/order/orderapi"
	"github.com/sagaforge/saga/workers/purchases"
)

// purchaseAPI is the purchase API every command buys, reads and cancels
// through: the worker's over HTTP with --api, else the same Service in
// this process, which dials Temporal only when withTemporal says (a
// choreographed purchase has no workflow). done releases what it opened.
func (e *Env) purchaseAPI(ctx context.Context, withTemporal bool) (api purchases.API, done func(), err error) {
	if e.API != "" {
		return purchases.NewClient(e.API, nil, e.Services.Token), func() {}, nil
	}
	kafka, err := e.Services.Kafka()
	if err != nil {
		return nil, nil, Usagef("%v", err)
	}
	svc := &purchases.Service{Orders: e.Services.Clients(nil).Orders, Brokers: kafka, Links: e.Temporal}
	if !withTemporal {
		return svc, func() {}, nil
	}
	c, err := e.Dial(ctx)
	if err != nil {
		return nil, nil, err
	}
	svc.Temporal = c
	return svc, c.Close, nil
}

// onPurchase runs op, retried, on the purchase API for one order. In
// this process Temporal is dialled only for an order that is not
// choreographed.
func onPurchase(ctx context.Context, env *Env, orderID string, op func(purchases.API) (Report, error)) (Report, error) {
	withTemporal := true
	if env.API == "" {
		orders := env.Services.Clients(nil).Orders
		o, err := retry(ctx, func() (orderapi.OrderResponse, error) { return orders.Get(ctx, orderID) })
		withTemporal = err != nil || o.Mode != saga.Choreography
	}
	api, done, err := env.purchaseAPI(ctx, withTemporal)
	if err != nil {
		return Report{}, err
	}
	defer done()
	return retry(ctx, func() (Report, error) { return op(api) })
}

// refusal is one line for what the purchase API refused or could not do:
// bad input and a reused order ID are usage errors (hint follows a
// reused ID), in the API's own words.
func (e *Env) refusal(err error, hint string) error {
	var p *web.Problem
	words := err.Error()
	if errors.As(err, &p) {
		words = p.Detail
	}
	for _, sentinel := range []error{fault.ErrInvalid, fault.ErrIdempotencyConflict} {
		words = strings.TrimPrefix(words, sentinel.Error()+": ")
	}
	switch {
	case errors.Is(err, fault.ErrIdempotencyConflict):
		return Usagef("%s%s", words, hint)
	case errors.Is(err, fault.ErrInvalid):
		return Usagef("%s", words)
	case errors.As(err, &p):
		return fmt.Errorf("refused: %s", words)
	case e.API != "":
		return fmt.Errorf("purchase API at %s: %w", e.API, err)
	}
	return err
}
