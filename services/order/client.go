package order

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/sagaforge/saga/platform/web"
)

// Client calls the order service.
type Client struct{ rest *web.Client }

// NewClient returns a client for the order service at baseURL.
func NewClient(baseURL string, httpClient *http.Client, token string) *Client {
	return &Client{rest: web.NewClient(baseURL, httpClient, token)}
}

// BaseURL is where the client sends requests.
func (c *Client) BaseURL() string { return c.rest.BaseURL() }

// Create creates (or returns the existing) order.
func (c *Client) Create(ctx context.Context, req CreateOrderRequest) (OrderResponse, error) {
	return web.Call[OrderResponse](ctx, c.rest, http.MethodPost, "/orders", req)
}

// Get reads an order.
func (c *Client) Get(ctx context.Context, orderID string) (OrderResponse, error) {
	return web.Call[OrderResponse](ctx, c.rest, http.MethodGet, "/orders/"+url.PathEscape(orderID), nil)
}

// AwaitSettled reads an order once it is no longer PENDING, waiting up to
// wait on the server; a still-PENDING answer means the wait ran out.
func (c *Client) AwaitSettled(ctx context.Context, orderID string, wait time.Duration) (OrderResponse, error) {
	return web.Call[OrderResponse](ctx, c.rest, http.MethodGet, "/orders/"+url.PathEscape(orderID)+"?wait="+wait.String(), nil)
}

// List reads orders, newest first; status may be empty.
func (c *Client) List(ctx context.Context, status Status) (ListOrdersResponse, error) {
	var out ListOrdersResponse
	path := "/orders"
	if status != "" {
		path += "?status=" + url.QueryEscape(string(status))
	}
	err := c.rest.Do(ctx, http.MethodGet, path, nil, &out)
	return out, err
}

// Page reads a page of orders in ID order.
func (c *Client) Page(ctx context.Context, page web.Page) (ListOrdersResponse, error) {
	return web.Call[ListOrdersResponse](ctx, c.rest, http.MethodGet, "/orders?"+page.Query(), nil)
}

// Approve approves a PENDING order.
func (c *Client) Approve(ctx context.Context, orderID string) (OrderResponse, error) {
	return web.Call[OrderResponse](ctx, c.rest, http.MethodPost, "/orders/"+url.PathEscape(orderID)+"/approve", nil)
}

// Cancel cancels an order, or leaves a tombstone if it does not exist yet.
func (c *Client) Cancel(ctx context.Context, orderID string, req CancelOrderRequest) (OrderResponse, error) {
	return web.Call[OrderResponse](ctx, c.rest, http.MethodPost, "/orders/"+url.PathEscape(orderID)+"/cancel", req)
}
