// Package orderapi is the order service's published contract: the wire types
// of its HTTP API and a client for it. It holds no store, so the worker, the
// starter and any other caller link neither gorm nor a database driver.
package orderapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/platform/keyset"
	"github.com/sagaforge/saga/internal/platform/money"
	"github.com/sagaforge/saga/internal/platform/web"
	"github.com/sagaforge/saga/internal/saga"
)

// Status is where an order is in its life.
type Status string

const (
	StatusPending   Status = "PENDING"
	StatusApproved  Status = "APPROVED"
	StatusCancelled Status = "CANCELLED"
)

// CreateOrderRequest is the body of POST /orders. order_id is the idempotency
// key: the caller picks it, and a repeat returns the first result. Mode says
// which saga drives the order; orchestration when empty.
type CreateOrderRequest struct {
	OrderID    string       `json:"order_id"`
	CustomerID string       `json:"customer_id"`
	Items      []input.Item `json:"items"`
	Mode       saga.Mode    `json:"mode,omitempty"`
}

// IdempotencyKey names the order the request is about.
func (r CreateOrderRequest) IdempotencyKey() string { return r.OrderID }

// CancelOrderRequest is the body of POST /orders/{order_id}/cancel. A
// compensation names its purchase in Owner: an order that another purchase
// created (another customer, other items or the other mode) refuses the
// cancel as an idempotency conflict and is left alone.
type CancelOrderRequest struct {
	Reason string `json:"reason"`
	Owner  *Owner `json:"owner,omitempty"`
}

// Owner is the purchase that created an order, as its create named it.
type Owner struct {
	CustomerID string       `json:"customer_id"`
	Items      []input.Item `json:"items"`
	Mode       saga.Mode    `json:"mode,omitempty"` // orchestration when empty
}

// OrderResponse is an order as every endpoint returns it.
type OrderResponse struct {
	OrderID    string         `json:"order_id"`
	CustomerID string         `json:"customer_id,omitempty"`
	Status     Status         `json:"status"`
	Mode       saga.Mode      `json:"mode,omitempty"`
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

// LogValue is what a log line says of an order.
func (r OrderResponse) LogValue() slog.Value {
	return slog.GroupValue(slog.String("status", string(r.Status)), slog.String("mode", string(r.Mode)),
		slog.String("total", r.TotalCents.String()), slog.String("reason", r.Reason), slog.Bool("tombstone", r.Tombstone))
}

// ListOrdersResponse is the body of GET /orders.
type ListOrdersResponse struct {
	Orders []OrderResponse `json:"orders"`
	// Next, when a page came back full, is where the next one starts:
	// ?after= it in ID order, ?before= it newest first.
	Next string `json:"next,omitempty"`
}

// ListQuery asks for a page of orders, newest first; every field may be
// empty.
type ListQuery struct {
	CustomerID string
	Status     Status
	Mode       saga.Mode
	Limit      int
	Before     string // the Next of the page before
}

// path is the query as GET /orders asks it.
func (q ListQuery) path() string {
	v := url.Values{}
	for k, s := range map[string]string{"customer_id": q.CustomerID, "status": string(q.Status), "mode": string(q.Mode)} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	v.Set("before", q.Before) // present even when empty: a page with its next
	return "/orders?" + v.Encode()
}

// Client calls the order service.
type Client struct{ *web.Client }

// NewClient returns a client for the order service at baseURL; token, when
// set, is sent as a bearer token.
var NewClient = web.ClientFor[Client]

func orderPath(orderID, then string) string { return "/orders/" + url.PathEscape(orderID) + then }

// Create creates (or returns the existing) order.
func (c Client) Create(ctx context.Context, req CreateOrderRequest) (OrderResponse, error) {
	return web.Call[OrderResponse](ctx, c.Client, http.MethodPost, "/orders", req)
}

// Get reads an order.
func (c Client) Get(ctx context.Context, orderID string) (OrderResponse, error) {
	return web.Call[OrderResponse](ctx, c.Client, http.MethodGet, orderPath(orderID, ""), nil)
}

// AwaitSettled reads an order once it is no longer PENDING, waiting up to
// wait on the server; a still-PENDING answer means the wait ran out.
func (c Client) AwaitSettled(ctx context.Context, orderID string, wait time.Duration) (OrderResponse, error) {
	return web.Call[OrderResponse](ctx, c.Client, http.MethodGet, orderPath(orderID, "?wait="+wait.String()), nil)
}

// List reads orders, newest first; status may be empty.
func (c Client) List(ctx context.Context, status Status) (ListOrdersResponse, error) {
	path := "/orders"
	if status != "" {
		path += "?status=" + url.QueryEscape(string(status))
	}
	return web.Call[ListOrdersResponse](ctx, c.Client, http.MethodGet, path, nil)
}

// Newest reads a page of orders, newest first, with where the next starts.
func (c Client) Newest(ctx context.Context, q ListQuery) (ListOrdersResponse, error) {
	return web.Call[ListOrdersResponse](ctx, c.Client, http.MethodGet, q.path(), nil)
}

// Page reads a page of orders in ID order.
func (c Client) Page(ctx context.Context, page keyset.Page) (ListOrdersResponse, error) {
	return web.Call[ListOrdersResponse](ctx, c.Client, http.MethodGet, "/orders?"+page.Query(), nil)
}

// Approve approves a PENDING order.
func (c Client) Approve(ctx context.Context, orderID string) (OrderResponse, error) {
	return web.Call[OrderResponse](ctx, c.Client, http.MethodPost, orderPath(orderID, "/approve"), nil)
}

// Cancel cancels an order, or leaves a tombstone if it does not exist yet.
func (c Client) Cancel(ctx context.Context, orderID string, req CancelOrderRequest) (OrderResponse, error) {
	return web.Call[OrderResponse](ctx, c.Client, http.MethodPost, orderPath(orderID, "/cancel"), req)
}
