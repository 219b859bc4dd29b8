package inventory

import (
	"log/slog"
	"net/http"

	"github.com/sagaforge/saga/messaging/events"
	"github.com/sagaforge/saga/platform/web"
)

// NewHandler serves the inventory API, the one the orchestrator calls (its
// events say sagamode "orchestration"):
//
//	POST /reservations                    reserve all lines or none (201/200, 409 out of stock)
//	GET  /reservations                    list
//	GET  /reservations/{order_id}         read
//	POST /reservations/{order_id}/release compensation (tombstone if unknown), optional {reason}
//	GET  /stock, GET /stock/{sku}
//	GET  /healthz
func NewHandler(store *Store, log *slog.Logger, token string) http.Handler {
	h := &handler{store: store, log: log}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /reservations", h.reserve)
	mux.HandleFunc("GET /reservations", h.list)
	mux.HandleFunc("GET /reservations/{order_id}", h.get)
	mux.HandleFunc("POST /reservations/{order_id}/release", h.release)
	mux.HandleFunc("GET /stock", h.allStock)
	mux.HandleFunc("GET /stock/{sku}", h.stock)
	mux.HandleFunc("GET /healthz", web.Health(store.Ping))
	return web.Middleware(log, token, mux)
}

type handler struct {
	store *Store
	log   *slog.Logger
}

func (h *handler) reserve(w http.ResponseWriter, r *http.Request) {
	var req ReserveRequest
	if err := web.DecodeJSON(w, r, &req); err != nil {
		web.WriteProblem(w, r, web.ProblemFrom(err))
		return
	}
	res, err := h.store.Reserve(r.Context(), req.OrderID, req.Items, events.Orchestration)
	if err != nil {
		web.Fail(h.log, w, r, req.OrderID, "reserve", err)
		return
	}
	h.log.Info("stock reserved", "order_id", req.OrderID, "lines", len(res.Lines))
	web.WriteJSON(w, http.StatusOK, NewReservationResponse(res))
}

func (h *handler) release(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("order_id")
	var req ReleaseRequest
	if r.ContentLength != 0 {
		if err := web.DecodeJSON(w, r, &req); err != nil {
			web.WriteProblem(w, r, web.ProblemFrom(err))
			return
		}
	}
	if len(req.Reason) > 512 {
		web.WriteProblem(w, r, web.Invalid("reason is longer than 512 bytes"))
		return
	}
	res, err := h.store.Release(r.Context(), id, events.Orchestration, req.Reason)
	if err != nil {
		web.Fail(h.log, w, r, id, "release", err)
		return
	}
	h.log.Info("stock released", "order_id", id, "status", res.Status)
	web.WriteJSON(w, http.StatusOK, NewReservationResponse(res))
}

func (h *handler) get(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("order_id")
	res, err := h.store.Get(r.Context(), id)
	if err != nil {
		web.Fail(h.log, w, r, id, "get", err)
		return
	}
	web.WriteJSON(w, http.StatusOK, NewReservationResponse(res))
}

func (h *handler) list(w http.ResponseWriter, r *http.Request) {
	page, err := web.PageFrom(r.URL.Query())
	if err != nil {
		web.WriteProblem(w, r, web.Invalid("%v", err))
		return
	}
	all, err := h.store.Reservations(r.Context(), page)
	if err != nil {
		web.Fail(h.log, w, r, "", "list", err)
		return
	}
	out := ListReservationsResponse{Reservations: make([]ReservationResponse, 0, len(all))}
	for _, res := range all {
		out.Reservations = append(out.Reservations, NewReservationResponse(res))
		out.Next = page.Next(len(all), res.OrderID)
	}
	web.WriteJSON(w, http.StatusOK, out)
}

func (h *handler) stock(w http.ResponseWriter, r *http.Request) {
	st, err := h.store.Stock(r.Context(), r.PathValue("sku"))
	if err != nil {
		web.Fail(h.log, w, r, "", "stock", err)
		return
	}
	web.WriteJSON(w, http.StatusOK, NewStockResponse(st))
}

func (h *handler) allStock(w http.ResponseWriter, r *http.Request) {
	all, err := h.store.AllStock(r.Context())
	if err != nil {
		web.Fail(h.log, w, r, "", "stock", err)
		return
	}
	out := ListStockResponse{Stock: make([]StockResponse, 0, len(all))}
	for _, st := range all {
		out.Stock = append(out.Stock, NewStockResponse(st))
	}
	web.WriteJSON(w, http.StatusOK, out)
}
