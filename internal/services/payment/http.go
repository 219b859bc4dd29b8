package payment

import (
	"log/slog"
	"net/http"

	"github.com/sagaforge/saga/internal/platform/keyset"
	"github.com/sagaforge/saga/internal/platform/web"
	"github.com/sagaforge/saga/internal/saga"
	api "github.com/sagaforge/saga/internal/services/payment/paymentapi"
)

// Routes are the payment API, the one the orchestrator calls (its
// events say sagamode "orchestration"):
//
//	POST /payments                    charge (200, 402 declined)
//	GET  /payments?customer_id=&after=&limit=  a page in order ID order
//	GET  /payments/{order_id}         read
//	POST /payments/{order_id}/refund  compensation (tombstone if unknown)
//	GET  /accounts, GET /accounts/{customer_id}
func Routes(store *Store, log *slog.Logger) web.Routes {
	return web.Routes{
		"POST /payments": web.Endpoint(log, "charge", func(r *http.Request, req api.ChargeRequest) (api.PaymentResponse, error) {
			p, err := store.Charge(r.Context(), Charge{OrderID: req.OrderID, CustomerID: req.CustomerID, Amount: req.AmountCents, Mode: saga.Orchestration})
			return p.wire(), err
		}),
		"POST /payments/{order_id}/refund": web.Endpoint(log, "refund", func(r *http.Request, _ web.NoBody) (api.PaymentResponse, error) {
			p, err := store.Refund(r.Context(), r.PathValue("order_id"), saga.Orchestration)
			return p.wire(), err
		}),
		"GET /payments/{order_id}": web.Keyed(log, "get", "order_id", store.Get, Payment.wire),
		"GET /payments": web.Endpoint(log, "list", func(r *http.Request, _ web.NoBody) (out api.ListPaymentsResponse, err error) {
			page, err := keyset.From(r.URL.Query())
			if err != nil {
				return out, err
			}
			all, err := store.Payments(r.Context(), r.URL.Query().Get("customer_id"), page)
			out.Payments, out.Next = keyset.Of(page, all, func(p Payment) string { return p.OrderID }, Payment.wire)
			return out, err
		}),
		"GET /accounts/{customer_id}": web.Keyed(log, "account", "customer_id", store.Account, Account.wire),
		"GET /accounts": web.Endpoint(log, "accounts", func(r *http.Request, _ web.NoBody) (out api.ListAccountsResponse, err error) {
			all, err := store.Accounts(r.Context())
			out.Accounts = web.Render(all, Account.wire)
			return out, err
		}),
	}
}

// wire renders a payment for the API.
func (p Payment) wire() api.PaymentResponse {
	return api.PaymentResponse{OrderID: p.OrderID, CustomerID: p.CustomerID, AmountCents: p.Amount,
		Status: p.Status, Reason: p.Reason, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

// wire renders a balance for the API.
func (a Account) wire() api.AccountResponse {
	return api.AccountResponse{CustomerID: a.CustomerID, BalanceCents: a.Balance, InitialCents: a.Initial}
}
