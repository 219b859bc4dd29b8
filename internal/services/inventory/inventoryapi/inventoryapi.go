// Package inventoryapi is the inventory service's published contract: the
// wire types of its HTTP API and a client for it, without the store.
package inventoryapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/platform/keyset"
	"github.com/sagaforge/saga/internal/platform/web"
)

// Status is where a reservation is in its life.
type Status string

const (
	// Reserved holds stock for the order.
	Reserved Status = "RESERVED"
	// Rejected records an out-of-stock refusal, so a repeat gets the same answer.
	Rejected Status = "REJECTED"
	// Released gave the stock back (the compensation ran).
	Released Status = "RELEASED"
	// Voided is a tombstone: the release came before any reserve, and a late
	// reserve will be refused.
	Voided Status = "VOIDED"
	// Shipped sent an approved order's stock out of the warehouse: final.
	Shipped Status = "SHIPPED"
)

// ReserveRequest is the body of POST /reservations; order_id is the
// idempotency key.
type ReserveRequest struct {
	OrderID string       `json:"order_id"`
	Items   []input.Item `json:"items"`
}

// IdempotencyKey names the order the request is about.
func (r ReserveRequest) IdempotencyKey() string { return r.OrderID }

// ReleaseRequest is the optional body of POST /reservations/{order_id}/release.
type ReleaseRequest struct {
	Reason string `json:"reason,omitempty"`
}

// ReservationResponse is a reservation as every endpoint returns it.
type ReservationResponse struct {
	OrderID   string       `json:"order_id"`
	Status    Status       `json:"status"`
	Reason    string       `json:"reason,omitempty"`
	Items     []input.Item `json:"items"`
	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
}

// LogValue is what a log line says of a reservation.
func (r ReservationResponse) LogValue() slog.Value {
	return slog.GroupValue(slog.String("status", string(r.Status)), slog.Int("lines", len(r.Items)), slog.String("reason", r.Reason))
}

// ListReservationsResponse is the body of GET /reservations?after=&limit=,
// a page in order ID order.
type ListReservationsResponse struct {
	Reservations []ReservationResponse `json:"reservations"`
	Next         string                `json:"next,omitempty"` // ask after this for the next page
}

// StockResponse is one SKU's stock.
type StockResponse struct {
	SKU       string `json:"sku"`
	Name      string `json:"name"`
	Available int    `json:"available"`
	Reserved  int    `json:"reserved"`
	Shipped   int    `json:"shipped"`
	Initial   int    `json:"initial"`
}

// ListStockResponse is the body of GET /stock.
type ListStockResponse struct {
	Stock []StockResponse `json:"stock"`
}

// Client calls the inventory service.
type Client struct{ *web.Client }

// NewClient returns a client for the inventory service at baseURL; token,
// when set, is sent as a bearer token.
var NewClient = web.ClientFor[Client]

// Reserve reserves every line of the order or none.
func (c Client) Reserve(ctx context.Context, req ReserveRequest) (ReservationResponse, error) {
	return web.Call[ReservationResponse](ctx, c.Client, http.MethodPost, "/reservations", req)
}

// Release gives an order's reservation back (or leaves a tombstone).
func (c Client) Release(ctx context.Context, orderID string, req ReleaseRequest) (ReservationResponse, error) {
	return web.Call[ReservationResponse](ctx, c.Client, http.MethodPost, "/reservations/"+url.PathEscape(orderID)+"/release", req)
}

// Ship sends an approved order's reserved stock out (a repeat answers as
// the first).
func (c Client) Ship(ctx context.Context, orderID string) (ReservationResponse, error) {
	return web.Call[ReservationResponse](ctx, c.Client, http.MethodPost, "/reservations/"+url.PathEscape(orderID)+"/ship", nil)
}

// Reservation reads an order's reservation.
func (c Client) Reservation(ctx context.Context, orderID string) (ReservationResponse, error) {
	return web.Call[ReservationResponse](ctx, c.Client, http.MethodGet, "/reservations/"+url.PathEscape(orderID), nil)
}

// Reservations reads a page of reservations in order ID order.
func (c Client) Reservations(ctx context.Context, page keyset.Page) (ListReservationsResponse, error) {
	return web.Call[ListReservationsResponse](ctx, c.Client, http.MethodGet, "/reservations?"+page.Query(), nil)
}

// Stock reads every SKU's stock.
func (c Client) Stock(ctx context.Context) (ListStockResponse, error) {
	return web.Call[ListStockResponse](ctx, c.Client, http.MethodGet, "/stock", nil)
}
