package payment

import (
	"time"

	"github.com/sagaforge/saga/platform/money"
)

// The wire types of the payment API, shared by the handlers and Client.

// ChargeRequest is the body of POST /payments; order_id is the idempotency key.
type ChargeRequest struct {
	OrderID     string      `json:"order_id"`
	CustomerID  string      `json:"customer_id"`
	AmountCents money.Cents `json:"amount_cents"`
}

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

// NewPaymentResponse renders a payment for the wire.
func NewPaymentResponse(p Payment) PaymentResponse {
	return PaymentResponse{OrderID: p.OrderID, CustomerID: p.CustomerID, AmountCents: p.Amount,
		Status: p.Status, Reason: p.Reason, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}
