package starter

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sagaforge/saga/messaging/events"
	"github.com/sagaforge/saga/platform/fault"
	"github.com/sagaforge/saga/platform/web"
	"github.com/sagaforge/saga/saga/purchase"
	"github.com/sagaforge/saga/services/order/orderapi"
)

// purchaseChoreographed creates a choreography order; from there the
// services carry the saga by reacting to each other's events. With wait it
// waits up to waitFor for the order to settle, saying on stderr which step
// it is waiting for.
func purchaseChoreographed(ctx context.Context, env *Env, in purchase.Input, orders orderapi.Client, brokers []string, wait bool, waitFor time.Duration) (Report, error) {
	_, err := retry(ctx, func() (orderapi.OrderResponse, error) {
		return orders.Create(ctx, orderapi.CreateOrderRequest{OrderID: in.OrderID, CustomerID: in.CustomerID, Items: in.Items, Mode: events.Choreography})
	})
	if errors.Is(err, fault.ErrCompensated) {
		// A cancel overtook the create: the order was cancelled before it
		// existed, and its tombstone refused the create.
		return Report{OrderID: in.OrderID, Mode: "choreography", Status: string(orderapi.StatusCancelled),
			Reason: "cancelled before it was created", Steps: []string{}, Compensations: []string{purchase.CompensationCancelOrder}}, nil
	}
	if errors.Is(err, fault.ErrIdempotencyConflict) {
		return Report{}, usagef("order %s exists with another customer, other items or as an orchestrated purchase; use another --order-id", in.OrderID)
	}
	if err != nil {
		return Report{}, orderServiceError(orders.BaseURL(), err)
	}
	rep := Report{OrderID: in.OrderID, Mode: "choreography", Status: "RUNNING", Steps: []string{}, Compensations: []string{}}
	if !wait {
		return rep, nil
	}
	waitCtx, cancel := context.WithTimeout(ctx, waitFor)
	defer cancel()
	started := time.Now()
	var o orderapi.OrderResponse
	for o.Status == "" || o.Status == orderapi.StatusPending {
		if o, err = retry(waitCtx, func() (orderapi.OrderResponse, error) {
			return orders.AwaitSettled(waitCtx, in.OrderID, 10*time.Second)
		}); err != nil {
			if waitCtx.Err() != nil && ctx.Err() == nil {
				return Report{}, fmt.Errorf("order %s is still PENDING after %s, %s; it goes on (starter status %s)",
					in.OrderID, waitFor, waitingFor(ctx, brokers, in.OrderID), in.OrderID)
			}
			return Report{}, orderServiceError(orders.BaseURL(), err)
		}
		if o.Status == orderapi.StatusPending {
			fmt.Fprintf(env.Stderr, "order %s PENDING for %s, %s\n", in.OrderID, time.Since(started).Round(time.Second), waitingFor(ctx, brokers, in.OrderID))
		}
	}
	return choreographyReport(ctx, o, brokers)
}

// waitingFor says which step a choreographed saga waits for, from its events.
func waitingFor(ctx context.Context, brokers []string, orderID string) string {
	readCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	evs, err := events.ReadOrder(readCtx, brokers, orderID)
	if err != nil {
		return "its events unreadable: " + err.Error()
	}
	saga := events.Summarize(evs)
	next := []string{purchase.StepCreateOrder, purchase.StepReserveStock, purchase.StepChargePayment, purchase.StepApproveOrder}
	if len(saga.Compensations) > 0 {
		return fmt.Sprintf("compensating (done: %s)", strings.Join(saga.Compensations, ", "))
	}
	if n := len(saga.Steps); n < len(next) {
		return "waiting for " + next[n]
	}
	return "waiting for its last event"
}

// choreographyReport tells a settled choreography order's story from its
// events, the only record the saga has.
func choreographyReport(ctx context.Context, o orderapi.OrderResponse, brokers []string) (Report, error) {
	rep := Report{OrderID: o.OrderID, Mode: "choreography", Status: string(o.Status), Reason: o.Reason,
		TotalCents: o.TotalCents, Steps: []string{}, Compensations: []string{}}
	if o.Status == orderapi.StatusPending {
		rep.Status = "RUNNING"
	}
	// The final event trails the order's commit by its relay's latency.
	deadline, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		evs, err := events.ReadOrder(deadline, brokers, o.OrderID)
		if err != nil {
			return Report{}, fmt.Errorf("cannot read events from Kafka at %v: %w", brokers, err)
		}
		saga := events.Summarize(evs)
		rep.Steps, rep.Compensations = saga.Steps, saga.Compensations
		if saga.Settled || o.Status == orderapi.StatusPending {
			return rep, nil
		}
		select {
		case <-deadline.Done():
			return rep, nil // the order service's word stands; the steps may be short
		case <-time.After(20 * time.Millisecond):
		}
	}
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
