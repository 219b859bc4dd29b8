package order

import (
	"time"

	"github.com/sagaforge/saga/platform/money"
)

// The wire types of the order API, shared by the handlers and Client.

// CreateOrderRequest is the body of POST /orders. order_id is the idempotency
// key: the caller picks it, and a repeat returns the first result.
type CreateOrderRequest struct {
	OrderID    string `json:"order_id"`
	CustomerID string `json:"customer_id"`
	Items      []Item `json:"items"`
	Mode       Mode   `json:"mode,omitempty"`
}

// CancelOrderRequest is the body of POST /orders/{id}/cancel.
type CancelOrderRequest struct {
	Reason string `json:"reason"`
}

// OrderResponse is an order as every endpoint returns it.
type OrderResponse struct {
	OrderID    string         `json:"order_id"`
	CustomerID string         `json:"customer_id,omitempty"`
	Status     Status         `json:"status"`
	Mode       Mode           `json:"mode,omitempty"`
	Reason     string         `json:"reason,omitempty"`
	TotalCents money.Cents    `json:"total_cents"`
	Lines      []LineResponse `json:"lines"`
	Tombstone  bool           `json:"tombstone,omitempty"`
	CreatedAt  time.Time      `json:"created_at"`
	UpdatedAt  time.Time      `json:"updated_at"`
}

// LineResponse is one priced line of an order.
type LineResponse struct {
	SKU            string      `json:"sku"`
	Quantity       int         `json:"quantity"`
	UnitPriceCents money.Cents `json:"unit_price_cents"`
}

// ListOrdersResponse is the body of GET /orders.
type ListOrdersResponse struct {
	Orders []OrderResponse `json:"orders"`
	Next   string          `json:"next,omitempty"` // with ?after=, ask after this for the next page
}

// NewOrderResponse renders an order for the wire.
func NewOrderResponse(o Order) OrderResponse {
	r := OrderResponse{
		OrderID: o.ID, CustomerID: o.CustomerID, Status: o.Status, Mode: o.Mode, Reason: o.Reason,
		TotalCents: o.Total, Tombstone: o.Tombstone, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt,
		Lines: make([]LineResponse, 0, len(o.Lines)),
	}
	for _, l := range o.Lines {
		r.Lines = append(r.Lines, LineResponse{SKU: l.SKU, Quantity: l.Quantity, UnitPriceCents: l.UnitPrice})
	}
	return r
}
