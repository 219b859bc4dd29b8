package payment

import (
	"context"
	"net/http"
	"net/url"

	"github.com/sagaforge/saga/platform/web"
)

// Client calls the payment service.
type Client struct{ rest *web.Client }

// NewClient returns a client for the payment service at baseURL.
func NewClient(baseURL string, httpClient *http.Client, token string) *Client {
	return &Client{rest: web.NewClient(baseURL, httpClient, token)}
}

// Charge charges the customer for the order.
func (c *Client) Charge(ctx context.Context, req ChargeRequest) (PaymentResponse, error) {
	return web.Call[PaymentResponse](ctx, c.rest, http.MethodPost, "/payments", req)
}

// Refund refunds the order's payment (or leaves a tombstone).
func (c *Client) Refund(ctx context.Context, orderID string) (PaymentResponse, error) {
	return web.Call[PaymentResponse](ctx, c.rest, http.MethodPost, "/payments/"+url.PathEscape(orderID)+"/refund", nil)
}

// Payment reads an order's payment.
func (c *Client) Payment(ctx context.Context, orderID string) (PaymentResponse, error) {
	return web.Call[PaymentResponse](ctx, c.rest, http.MethodGet, "/payments/"+url.PathEscape(orderID), nil)
}

// Payments lists every payment.
func (c *Client) Payments(ctx context.Context, page web.Page) (ListPaymentsResponse, error) {
	return web.Call[ListPaymentsResponse](ctx, c.rest, http.MethodGet, "/payments?"+page.Query(), nil)
}

// Accounts reads every balance.
func (c *Client) Accounts(ctx context.Context) (ListAccountsResponse, error) {
	return web.Call[ListAccountsResponse](ctx, c.rest, http.MethodGet, "/accounts", nil)
}
