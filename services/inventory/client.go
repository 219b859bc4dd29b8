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
	var out ReservationResponse
	err := c.rest.Do(ctx, http.MethodPost, "/reservations", req, &out)
	return out, err
}

// Release gives an order's reservation back (or leaves a tombstone).
func (c *Client) Release(ctx context.Context, orderID string, req ReleaseRequest) (ReservationResponse, error) {
	var out ReservationResponse
	err := c.rest.Do(ctx, http.MethodPost, "/reservations/"+url.PathEscape(orderID)+"/release", req, &out)
	return out, err
}

// Reservation reads an order's reservation.
func (c *Client) Reservation(ctx context.Context, orderID string) (ReservationResponse, error) {
	var out ReservationResponse
	err := c.rest.Do(ctx, http.MethodGet, "/reservations/"+url.PathEscape(orderID), nil, &out)
	return out, err
}

// Reservations lists every reservation.
func (c *Client) Reservations(ctx context.Context, page web.Page) (ListReservationsResponse, error) {
	var out ListReservationsResponse
	err := c.rest.Do(ctx, http.MethodGet, "/reservations?"+page.Query(), nil, &out)
	return out, err
}

// Stock reads every SKU's stock.
func (c *Client) Stock(ctx context.Context) (ListStockResponse, error) {
	var out ListStockResponse
	err := c.rest.Do(ctx, http.MethodGet, "/stock", nil, &out)
	return out, err
}
