package inventory

import (
	"log/slog"
	"net/http"

	"github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/platform/keyset"
	"github.com/sagaforge/saga/internal/platform/web"
	"github.com/sagaforge/saga/internal/saga"
	api "github.com/sagaforge/saga/internal/services/inventory/inventoryapi"
)

// Routes are the inventory API, the one the orchestrator calls (its
// events say sagamode "orchestration"):
//
//	POST /reservations                    reserve all lines or none (200, 409 out of stock)
//	GET  /reservations?after=&limit=      a page in order ID order
//	GET  /reservations/{order_id}         read
//	POST /reservations/{order_id}/release compensation (tombstone if unknown), optional {reason}
//	POST /reservations/{order_id}/ship    after the approval: reserved stock leaves (409 if none is held)
//	GET  /stock, GET /stock/{sku}
func Routes(store *Store, log *slog.Logger) web.Routes {
	return web.Routes{
		"POST /reservations": web.Endpoint(log, "reserve", func(r *http.Request, req api.ReserveRequest) (api.ReservationResponse, error) {
			res, err := store.Reserve(r.Context(), req.OrderID, req.Items, saga.Orchestration)
			return res.wire(), err
		}),
		"POST /reservations/{order_id}/release": web.Endpoint(log, "release", func(r *http.Request, req api.ReleaseRequest) (api.ReservationResponse, error) {
			res, err := store.Release(r.Context(), r.PathValue("order_id"), saga.Orchestration, req.Reason)
			return res.wire(), err
		}),
		"POST /reservations/{order_id}/ship": web.Keyed(log, "ship", "order_id", store.Ship, Reservation.wire),
		"GET /reservations/{order_id}":       web.Keyed(log, "get", "order_id", store.Get, Reservation.wire),
		"GET /reservations": web.Endpoint(log, "list", func(r *http.Request, _ web.NoBody) (out api.ListReservationsResponse, err error) {
			page, err := keyset.From(r.URL.Query())
			if err != nil {
				return out, err
			}
			all, err := store.Page(r.Context(), page)
			out.Reservations, out.Next = keyset.Of(page, all, func(res Reservation) string { return res.OrderID }, Reservation.wire)
			return out, err
		}),
		"GET /stock/{sku}": web.Keyed(log, "stock", "sku", store.Stock, Stock.wire),
		"GET /stock": web.Endpoint(log, "stock", func(r *http.Request, _ web.NoBody) (out api.ListStockResponse, err error) {
			all, err := store.AllStock(r.Context())
			out.Stock = web.Render(all, Stock.wire)
			return out, err
		}),
	}
}

// wire renders a reservation for the API.
func (r Reservation) wire() api.ReservationResponse {
	out := api.ReservationResponse{OrderID: r.OrderID, Status: r.Status, Reason: r.Reason,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Items: make([]input.Item, 0, len(r.Lines))}
	for _, l := range r.Lines {
		out.Items = append(out.Items, input.Item{SKU: l.SKU, Quantity: l.Quantity})
	}
	return out
}

// wire renders stock for the API.
func (s Stock) wire() api.StockResponse {
	return api.StockResponse{SKU: s.SKU, Name: s.Name, Available: s.Available, Reserved: s.Reserved, Shipped: s.Shipped, Initial: s.Initial}
}
