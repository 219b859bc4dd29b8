package order

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/sagaforge/saga/platform/fault"
	"github.com/sagaforge/saga/platform/web"
)

// NewHandler serves the order API:
//
//	POST /orders                  create (201 new, 200 repeat)
//	GET  /orders/{id}[?wait=10s]  read; with wait, once no longer PENDING
//	GET  /orders?customer_id=&status=&limit=   newest first
//	GET  /orders?after=&limit=                 a page in ID order
//	POST /orders/{id}/approve     PENDING -> APPROVED
//	POST /orders/{id}/cancel      PENDING -> CANCELLED (tombstone if unknown)
//	GET  /healthz
func NewHandler(store *Store, log *slog.Logger, token string) http.Handler {
	h := &handler{store: store, log: log}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /orders", h.create)
	mux.HandleFunc("GET /orders", h.list)
	mux.HandleFunc("GET /orders/{id}", h.get)
	mux.HandleFunc("POST /orders/{id}/approve", h.approve)
	mux.HandleFunc("POST /orders/{id}/cancel", h.cancel)
	mux.HandleFunc("GET /healthz", web.Health(store.Ping))
	return web.Middleware(log, token, mux)
}

type handler struct {
	store *Store
	log   *slog.Logger
}

func (h *handler) create(w http.ResponseWriter, r *http.Request) {
	var req CreateOrderRequest
	if err := web.DecodeJSON(w, r, &req); err != nil {
		web.WriteProblem(w, r, web.ProblemFrom(err))
		return
	}
	o, created, err := h.store.Create(r.Context(), NewOrder{ID: req.OrderID, CustomerID: req.CustomerID, Items: req.Items, Mode: req.Mode})
	if err != nil {
		web.Fail(h.log, w, r, req.OrderID, "create", err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		h.log.Info("order created", "order_id", o.ID, "customer_id", o.CustomerID, "total", o.Total.String(), "mode", o.Mode)
	}
	web.WriteJSON(w, status, NewOrderResponse(o))
}

// MaxWait bounds GET /orders/{id}?wait=.
const MaxWait = 20 * time.Second

func (h *handler) get(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if s := r.URL.Query().Get("wait"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 || d > MaxWait {
			web.WriteProblem(w, r, web.Invalid("wait must be a duration up to %s, e.g. 10s; got %q", MaxWait, s))
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		o, err := h.store.AwaitSettled(ctx, id)
		if err != nil {
			web.Fail(h.log, w, r, id, "get", err)
			return
		}
		web.WriteJSON(w, http.StatusOK, NewOrderResponse(o))
		return
	}
	o, err := h.store.Get(r.Context(), id)
	if err != nil {
		web.Fail(h.log, w, r, r.PathValue("id"), "get", err)
		return
	}
	web.WriteJSON(w, http.StatusOK, NewOrderResponse(o))
}

func (h *handler) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := ListFilter{CustomerID: q.Get("customer_id"), Status: Status(q.Get("status"))}
	if q.Has("after") {
		page, err := web.PageFrom(q)
		if err != nil {
			web.WriteProblem(w, r, web.Invalid("%v", err))
			return
		}
		f.Page = &page
	} else if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			web.WriteProblem(w, r, web.Invalid("limit must be a positive integer, got %q", s))
			return
		}
		f.Limit = n
	}
	switch f.Status {
	case "", StatusPending, StatusApproved, StatusCancelled:
	default:
		web.WriteProblem(w, r, web.Invalid("unknown status %q", f.Status))
		return
	}
	orders, err := h.store.List(r.Context(), f)
	if err != nil {
		web.Fail(h.log, w, r, "", "list", err)
		return
	}
	resp := ListOrdersResponse{Orders: make([]OrderResponse, 0, len(orders))}
	for _, o := range orders {
		resp.Orders = append(resp.Orders, NewOrderResponse(o))
		if f.Page != nil {
			resp.Next = f.Page.Next(len(orders), o.ID)
		}
	}
	web.WriteJSON(w, http.StatusOK, resp)
}

func (h *handler) approve(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !emptyBody(w, r) {
		return
	}
	o, err := h.store.Approve(r.Context(), id)
	if err != nil {
		web.Fail(h.log, w, r, id, "approve", err)
		return
	}
	h.log.Info("order approved", "order_id", id)
	web.WriteJSON(w, http.StatusOK, NewOrderResponse(o))
}

func (h *handler) cancel(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var req CancelOrderRequest
	if err := web.DecodeJSON(w, r, &req); err != nil {
		web.WriteProblem(w, r, web.ProblemFrom(err))
		return
	}
	o, err := h.store.Cancel(r.Context(), id, req.Reason)
	if err != nil {
		web.Fail(h.log, w, r, id, "cancel", err)
		return
	}
	h.log.Info("order cancelled", "order_id", id, "reason", o.Reason, "tombstone", o.Tombstone)
	web.WriteJSON(w, http.StatusOK, NewOrderResponse(o))
}

// emptyBody refuses a body on endpoints that take none, so a client that
// thinks it is sending parameters learns it is not.
func emptyBody(w http.ResponseWriter, r *http.Request) bool {
	if r.ContentLength > 0 {
		web.WriteProblem(w, r, web.ProblemFrom(fmt.Errorf("%w: this endpoint takes no body", fault.ErrInvalid)))
		return false
	}
	return true
}
