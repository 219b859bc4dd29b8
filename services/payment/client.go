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
	var out PaymentResponse
	err := c.rest.Do(ctx, http.MethodPost, "/payments", req, &out)
	return out, err
}

// Refund refunds the order's payment (or leaves a tombstone).
func (c *Client) Refund(ctx context.Context, orderID string) (PaymentResponse, error) {
	var out PaymentResponse
	err := c.rest.Do(ctx, http.MethodPost, "/payments/"+url.PathEscape(orderID)+"/refund", nil, &out)
	return out, err
}

// Payment reads an order's payment.
func (c *Client) Payment(ctx context.Context, orderID string) (PaymentResponse, error) {
	var out PaymentResponse
	err := c.rest.Do(ctx, http.MethodGet, "/payments/"+url.PathEscape(orderID), nil, &out)
	return out, err
}

// Payments lists every payment.
func (c *Client) Payments(ctx context.Context, page web.Page) (ListPaymentsResponse, error) {
	var out ListPaymentsResponse
	err := c.rest.Do(ctx, http.MethodGet, "/payments?"+page.Query(), nil, &out)
	return out, err
}

// Accounts reads every balance.
func (c *Client) Accounts(ctx context.Context) (ListAccountsResponse, error) {
	var out ListAccountsResponse
	err := c.rest.Do(ctx, http.MethodGet, "/accounts", nil, &out)
	return out, err
}
