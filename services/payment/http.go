package payment

import (
	"log/slog"
	"net/http"

	"github.com/sagaforge/saga/messaging/events"
	"github.com/sagaforge/saga/platform/web"
)

// NewHandler serves the payment API, the one the orchestrator calls (its
// events say sagamode "orchestration"):
//
//	POST /payments                    charge (200, 402 declined)
//	GET  /payments?customer_id=       list
//	GET  /payments/{order_id}         read
//	POST /payments/{order_id}/refund  compensation (tombstone if unknown)
//	GET  /accounts, GET /accounts/{customer_id}
//	GET  /healthz
func NewHandler(store *Store, log *slog.Logger, token string) http.Handler {
	h := &handler{store: store, log: log}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /payments", h.charge)
	mux.HandleFunc("GET /payments", h.list)
	mux.HandleFunc("GET /payments/{order_id}", h.get)
	mux.HandleFunc("POST /payments/{order_id}/refund", h.refund)
	mux.HandleFunc("GET /accounts", h.accounts)
	mux.HandleFunc("GET /accounts/{customer_id}", h.account)
	mux.HandleFunc("GET /healthz", web.Health(store.Ping))
	return web.Middleware(log, token, mux)
}

type handler struct {
	store *Store
	log   *slog.Logger
}

func (h *handler) charge(w http.ResponseWriter, r *http.Request) {
	var req ChargeRequest
	if err := web.DecodeJSON(w, r, &req); err != nil {
		web.WriteProblem(w, r, web.ProblemFrom(err))
		return
	}
	p, err := h.store.Charge(r.Context(), Charge{OrderID: req.OrderID, CustomerID: req.CustomerID, Amount: req.AmountCents, Mode: events.Orchestration})
	if err != nil {
		web.Fail(h.log, w, r, req.OrderID, "charge", err)
		return
	}
	h.log.Info("payment captured", "order_id", p.OrderID, "customer_id", p.CustomerID, "amount", p.Amount.String())
	web.WriteJSON(w, http.StatusOK, NewPaymentResponse(p))
}

func (h *handler) refund(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("order_id")
	if r.ContentLength > 0 {
		web.WriteProblem(w, r, web.Invalid("this endpoint takes no body"))
		return
	}
	p, err := h.store.Refund(r.Context(), id, events.Orchestration)
	if err != nil {
		web.Fail(h.log, w, r, id, "refund", err)
		return
	}
	h.log.Info("payment refunded", "order_id", id, "status", p.Status, "amount", p.Amount.String())
	web.WriteJSON(w, http.StatusOK, NewPaymentResponse(p))
}

func (h *handler) get(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("order_id")
	p, err := h.store.Get(r.Context(), id)
	if err != nil {
		web.Fail(h.log, w, r, id, "get", err)
		return
	}
	web.WriteJSON(w, http.StatusOK, NewPaymentResponse(p))
}

func (h *handler) list(w http.ResponseWriter, r *http.Request) {
	page, err := web.PageFrom(r.URL.Query())
	if err != nil {
		web.WriteProblem(w, r, web.Invalid("%v", err))
		return
	}
	all, err := h.store.Payments(r.Context(), r.URL.Query().Get("customer_id"), page)
	if err != nil {
		web.Fail(h.log, w, r, "", "list", err)
		return
	}
	out := ListPaymentsResponse{Payments: make([]PaymentResponse, 0, len(all))}
	for _, p := range all {
		out.Payments = append(out.Payments, NewPaymentResponse(p))
		out.Next = page.Next(len(all), p.OrderID)
	}
	web.WriteJSON(w, http.StatusOK, out)
}

func (h *handler) account(w http.ResponseWriter, r *http.Request) {
	a, err := h.store.Account(r.Context(), r.PathValue("customer_id"))
	if err != nil {
		web.Fail(h.log, w, r, "", "account", err)
		return
	}
	web.WriteJSON(w, http.StatusOK, AccountResponse{CustomerID: a.CustomerID, BalanceCents: a.Balance, InitialCents: a.Initial})
}

func (h *handler) accounts(w http.ResponseWriter, r *http.Request) {
	all, err := h.store.Accounts(r.Context())
	if err != nil {
		web.Fail(h.log, w, r, "", "accounts", err)
		return
	}
	out := ListAccountsResponse{Accounts: make([]AccountResponse, 0, len(all))}
	for _, a := range all {
		out.Accounts = append(out.Accounts, AccountResponse{CustomerID: a.CustomerID, BalanceCents: a.Balance, InitialCents: a.Initial})
	}
	web.WriteJSON(w, http.StatusOK, out)
}
