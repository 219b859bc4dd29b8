package inventory

import (
	"context"
	"net/http"
	"net/url"

	"github.com/sagaforge/saga/platform/web"
)

// Client calls the inventory service.
type Client struct{ rest *web.Client }

// NewClient returns a client for the inventory service at baseURL.
func NewClient(baseURL string, httpClient *http.Client, token string) *Client {
	return &Client{rest: web.NewClient(baseURL, httpClient, token)}
}

// Reserve reserves every line of the order or none.
func (c *Client) Reserve(ctx context.Context, req ReserveRequest) (ReservationResponse, error) {
	return web.Call[ReservationResponse](ctx, c.rest, http.MethodPost, "/reservations", req)
}

// Release gives an order's reservation back (or leaves a tombstone).
func (c *Client) Release(ctx context.Context, orderID string, req ReleaseRequest) (ReservationResponse, error) {
	return web.Call[ReservationResponse](ctx, c.rest, http.MethodPost, "/reservations/"+url.PathEscape(orderID)+"/release", req)
}

// Reservation reads an order's reservation.
func (c *Client) Reservation(ctx context.Context, orderID string) (ReservationResponse, error) {
	return web.Call[ReservationResponse](ctx, c.rest, http.MethodGet, "/reservations/"+url.PathEscape(orderID), nil)
}

// Reservations lists every reservation.
func (c *Client) Reservations(ctx context.Context, page web.Page) (ListReservationsResponse, error) {
	return web.Call[ListReservationsResponse](ctx, c.rest, http.MethodGet, "/reservations?"+page.Query(), nil)
}

// Stock reads every SKU's stock.
func (c *Client) Stock(ctx context.Context) (ListStockResponse, error) {
	return web.Call[ListStockResponse](ctx, c.rest, http.MethodGet, "/stock", nil)
}
