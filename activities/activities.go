// Package activities holds the purchase saga's activities: each calls one
// service through its typed client and turns the service's answer into what
// Temporal needs to decide on retries. Business refusals become
// non-retryable application errors typed by fault.Meanings; transport
// failures and 5xx answers are returned as they are, so Temporal retries them
// with backoff.
package activities

import (
	"context"
	"errors"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/platform/web"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/internal/services/endpoints"
	"github.com/sagaforge/saga/internal/services/inventory/inventoryapi"
	"github.com/sagaforge/saga/internal/services/order/orderapi"
	"github.com/sagaforge/saga/internal/services/payment/paymentapi"
)

// Activities calls the three services.
type Activities struct {
	orders    orderapi.Client
	inventory inventoryapi.Client
	payments  paymentapi.Client
}

// New returns the activities over the given service clients.
func New(c endpoints.Clients) *Activities {
	return &Activities{orders: c.Orders, inventory: c.Inventory, payments: c.Payments}
}

// Register registers every activity that saga.Purchase names, under its
// name, each checked against its typed handle: a worker whose activities do
// not match the saga refuses to start.
func Register(r worker.ActivityRegistry, a *Activities) error {
	impls, err := saga.Implementations(a)
	if err != nil {
		return err
	}
	for name, fn := range impls {
		r.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
	}
	return nil
}

// CreateOrder creates the PENDING order and returns its total.
func (a *Activities) CreateOrder(ctx context.Context, in saga.Input) (saga.CreateOrderOutput, error) {
	o, err := a.orders.Create(ctx, orderapi.CreateOrderRequest{OrderID: in.OrderID, CustomerID: in.CustomerID, Items: in.Items, Mode: saga.Orchestration})
	if err != nil {
		return saga.CreateOrderOutput{}, classify(err)
	}
	return saga.CreateOrderOutput{TotalCents: o.TotalCents}, nil
}

// ApproveOrder moves the order to APPROVED.
func (a *Activities) ApproveOrder(ctx context.Context, in saga.OrderRef) error {
	_, err := a.orders.Approve(ctx, in.OrderID)
	return classify(err)
}

// OrderStatus returns the order's status: PENDING, APPROVED or CANCELLED.
func (a *Activities) OrderStatus(ctx context.Context, in saga.OrderRef) (string, error) {
	o, err := a.orders.Get(ctx, in.OrderID)
	if err != nil {
		return "", classify(err)
	}
	return string(o.Status), nil
}

// CancelOrder is the compensation of CreateOrder. It names the purchase
// it undoes, so an order another purchase holds is refused, not cancelled.
func (a *Activities) CancelOrder(ctx context.Context, in saga.CancelOrderInput) error {
	reason := in.Reason
	if reason == "" {
		reason = "purchase saga compensated"
	}
	req := orderapi.CancelOrderRequest{Reason: reason}
	if in.CustomerID != "" {
		req.Owner = &orderapi.Owner{CustomerID: in.CustomerID, Items: in.Items, Mode: saga.Orchestration}
	}
	_, err := a.orders.Cancel(ctx, in.OrderID, req)
	return classify(err)
}

// ReserveStock reserves every line of the order.
func (a *Activities) ReserveStock(ctx context.Context, in saga.ReserveStockInput) error {
	_, err := a.inventory.Reserve(ctx, inventoryapi.ReserveRequest{OrderID: in.OrderID, Items: in.Items})
	return classify(err)
}

// ReleaseStock is the compensation of ReserveStock.
func (a *Activities) ReleaseStock(ctx context.Context, in saga.ReleaseStockInput) error {
	_, err := a.inventory.Release(ctx, in.OrderID, inventoryapi.ReleaseRequest{Reason: in.Reason})
	return classify(err)
}

// ChargePayment charges the customer.
func (a *Activities) ChargePayment(ctx context.Context, in saga.ChargePaymentInput) error {
	_, err := a.payments.Charge(ctx, paymentapi.ChargeRequest{OrderID: in.OrderID, CustomerID: in.CustomerID, AmountCents: in.AmountCents})
	return classify(err)
}

// RefundPayment is the compensation of ChargePayment.
func (a *Activities) RefundPayment(ctx context.Context, in saga.OrderRef) error {
	_, err := a.payments.Refund(ctx, in.OrderID)
	return classify(err)
}

// ShipStock sends the approved order's reserved stock out.
func (a *Activities) ShipStock(ctx context.Context, in saga.OrderRef) error {
	_, err := a.inventory.Ship(ctx, in.OrderID)
	return classify(err)
}

// classify makes a refusal non-retryable, typed by fault.Meanings, with the
// service's own words as the message; everything else stays retryable.
func classify(err error) error {
	m, ok := fault.Of(err)
	if !ok || m.Retryable {
		return err
	}
	msg := err.Error()
	var p *web.Problem
	if errors.As(err, &p) && p.Detail != "" {
		msg = p.Detail
	}
	// The service's words are the whole story; the wrapped HTTP chain would
	// only repeat them in the workflow history.
	return temporal.NewNonRetryableApplicationError(msg, m.ErrType, nil)
}
