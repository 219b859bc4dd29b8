// Package paymentapi is the payment service's published contract: the wire
// types of its HTTP API and a client for it, without the store.
package paymentapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/sagaforge/saga/internal/platform/keyset"
	"github.com/sagaforge/saga/internal/platform/money"
	"github.com/sagaforge/saga/internal/platform/web"
)

// Status is where a payment is in its life.
type Status string

const (
	// Captured took the money.
	Captured Status = "CAPTURED"
	// Declined records the refusal, so a repeat gets the same answer.
	Declined Status = "DECLINED"
	// Refunded gave the money back (the compensation ran).
	Refunded Status = "REFUNDED"
	// Voided is a tombstone: the refund came before any charge, and a late
	// charge will be refused.
	Voided Status = "VOIDED"
)

// ChargeRequest is the body of POST /payments; order_id is the idempotency key.
type ChargeRequest struct {
	OrderID     string      `json:"order_id"`
	CustomerID  string      `json:"customer_id"`
	AmountCents money.Cents `json:"amount_cents"`
}

// IdempotencyKey names the order the request is about.
func (r ChargeRequest) IdempotencyKey() string { return r.OrderID }

// PaymentResponse is a payment as every endpoint returns it.
type PaymentResponse struct {
	OrderID     string      `json:"order_id"`
	CustomerID  string      `json:"customer_id,omitempty"`
	AmountCents money.Cents `json:"amount_cents"`
	Status      Status      `json:"status"`
	Reason      string      `json:"reason,omitempty"`
	CreatedAt   time.Time   `json:"created_at"`
	UpdatedAt   time.Time   `json:"updated_at"`
}

// LogValue is what a log line says of a payment.
func (r PaymentResponse) LogValue() slog.Value {
	return slog.GroupValue(slog.String("status", string(r.Status)), slog.String("customer_id", r.CustomerID),
		slog.String("amount", r.AmountCents.String()), slog.String("reason", r.Reason))
}

// ListPaymentsResponse is the body of GET /payments?after=&limit=, a page in
// order ID order.
type ListPaymentsResponse struct {
	Payments []PaymentResponse `json:"payments"`
	Next     string            `json:"next,omitempty"` // ask after this for the next page
}

// AccountResponse is a customer's balance.
type AccountResponse struct {
	CustomerID   string      `json:"customer_id"`
	BalanceCents money.Cents `json:"balance_cents"`
	InitialCents money.Cents `json:"initial_cents"`
}

// ListAccountsResponse is the body of GET /accounts.
type ListAccountsResponse struct {
	Accounts []AccountResponse `json:"accounts"`
}

// Client calls the payment service.
type Client struct{ *web.Client }

// NewClient returns a client for the payment service at baseURL; token, when
// set, is sent as a bearer token.
var NewClient = web.ClientFor[Client]

// Charge charges the customer for the order.
func (c Client) Charge(ctx context.Context, req ChargeRequest) (PaymentResponse, error) {
	return web.Call[PaymentResponse](ctx, c.Client, http.MethodPost, "/payments", req)
}

// Refund refunds the order's payment (or leaves a tombstone).
func (c Client) Refund(ctx context.Context, orderID string) (PaymentResponse, error) {
	return web.Call[PaymentResponse](ctx, c.Client, http.MethodPost, "/payments/"+url.PathEscape(orderID)+"/refund", nil)
}

// Payment reads an order's payment.
func (c Client) Payment(ctx context.Context, orderID string) (PaymentResponse, error) {
	return web.Call[PaymentResponse](ctx, c.Client, http.MethodGet, "/payments/"+url.PathEscape(orderID), nil)
}

// Payments reads a page of payments in order ID order.
func (c Client) Payments(ctx context.Context, page keyset.Page) (ListPaymentsResponse, error) {
	return web.Call[ListPaymentsResponse](ctx, c.Client, http.MethodGet, "/payments?"+page.Query(), nil)
}

// Accounts reads every balance.
func (c Client) Accounts(ctx context.Context) (ListAccountsResponse, error) {
	return web.Call[ListAccountsResponse](ctx, c.Client, http.MethodGet, "/accounts", nil)
}
