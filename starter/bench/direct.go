package bench

import (
	"context"
	"errors"

	"github.com/sagaforge/saga/platform/fault"
	"github.com/sagaforge/saga/saga/purchase"
	"github.com/sagaforge/saga/services/inventory"
	"github.com/sagaforge/saga/services/order"
	"github.com/sagaforge/saga/services/payment"
)

// Direct is the limit baseline: the saga's service calls made in sequence
// from the caller, compensating inline, with no durability at all. A crash
// half-way leaves the databases disagreeing; that is what the other modes
// pay for.
func Direct(orders *order.Client, stock *inventory.Client, payments *payment.Client) Purchaser {
	return func(ctx context.Context, in purchase.Input) (string, error) {
		items := make([]order.Item, len(in.Items))
		reserve := make([]inventory.Item, len(in.Items))
		for i, it := range in.Items {
			items[i] = order.Item{SKU: it.SKU, Quantity: it.Quantity}
			reserve[i] = inventory.Item{SKU: it.SKU, Quantity: it.Quantity}
		}
		o, err := orders.Create(ctx, order.CreateOrderRequest{OrderID: in.OrderID, CustomerID: in.CustomerID, Items: items})
		if err != nil {
			return "", err
		}
		cancel := func(reason string) (string, error) {
			if _, err := orders.Cancel(ctx, in.OrderID, order.CancelOrderRequest{Reason: reason}); err != nil {
				return "", err
			}
			return string(purchase.StatusCancelled), nil
		}
		if _, err := stock.Reserve(ctx, inventory.ReserveRequest{OrderID: in.OrderID, Items: reserve}); err != nil {
			if errors.Is(err, fault.ErrOutOfStock) {
				return cancel(err.Error())
			}
			return "", err
		}
		if _, err := payments.Charge(ctx, payment.ChargeRequest{OrderID: in.OrderID, CustomerID: in.CustomerID, AmountCents: o.TotalCents}); err != nil {
			if errors.Is(err, fault.ErrInsufficientFunds) {
				if _, err := stock.Release(ctx, in.OrderID, inventory.ReleaseRequest{Reason: err.Error()}); err != nil {
					return "", err
				}
				return cancel(err.Error())
			}
			return "", err
		}
		if _, err := orders.Approve(ctx, in.OrderID); err != nil {
			return "", err
		}
		return string(purchase.StatusApproved), nil
	}
}
