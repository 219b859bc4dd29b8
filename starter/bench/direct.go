package bench

import (
	"context"
	"errors"

	"github.com/sagaforge/saga/platform/fault"
	"github.com/sagaforge/saga/saga/purchase"
	"github.com/sagaforge/saga/services/endpoints"
	"github.com/sagaforge/saga/services/inventory/inventoryapi"
	"github.com/sagaforge/saga/services/order/orderapi"
	"github.com/sagaforge/saga/services/payment/paymentapi"
)

// Direct is the limit baseline: the saga's service calls made in sequence
// from the caller, compensating inline, with no durability at all. A crash
// half-way leaves the databases disagreeing; that is what the other modes
// pay for.
func Direct(c endpoints.Clients) Purchaser {
	orders, stock, payments := c.Orders, c.Inventory, c.Payments
	return func(ctx context.Context, in purchase.Input) (string, error) {
		o, err := orders.Create(ctx, orderapi.CreateOrderRequest{OrderID: in.OrderID, CustomerID: in.CustomerID, Items: in.Items})
		if err != nil {
			return "", err
		}
		cancel := func(reason string) (string, error) {
			if _, err := orders.Cancel(ctx, in.OrderID, orderapi.CancelOrderRequest{Reason: reason}); err != nil {
				return "", err
			}
			return string(purchase.StatusCancelled), nil
		}
		if _, err := stock.Reserve(ctx, inventoryapi.ReserveRequest{OrderID: in.OrderID, Items: in.Items}); err != nil {
			if errors.Is(err, fault.ErrOutOfStock) {
				return cancel(err.Error())
			}
			return "", err
		}
		if _, err := payments.Charge(ctx, paymentapi.ChargeRequest{OrderID: in.OrderID, CustomerID: in.CustomerID, AmountCents: o.TotalCents}); err != nil {
			if errors.Is(err, fault.ErrInsufficientFunds) {
				if _, err := stock.Release(ctx, in.OrderID, inventoryapi.ReleaseRequest{Reason: err.Error()}); err != nil {
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
