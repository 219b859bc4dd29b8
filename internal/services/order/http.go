package order

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/platform/keyset"
	"github.com/sagaforge/saga/internal/platform/web"
	"github.com/sagaforge/saga/internal/saga"
	api "github.com/sagaforge/saga/internal/services/order/orderapi"
)

// MaxWait bounds GET /orders/{order_id}?wait=.
const MaxWait = 20 * time.Second

// Routes are the order API:
//
//	POST /orders                        create (201 new, 200 repeat)
//	GET  /orders/{order_id}[?wait=10s]  read; with wait, once no longer PENDING
//	GET  /orders?customer_id=&status=&mode=&limit=&before=   newest first
//	GET  /orders?after=&limit=                 a page in ID order
//	POST /orders/{order_id}/approve     PENDING -> APPROVED
//	POST /orders/{order_id}/cancel      PENDING -> CANCELLED (tombstone if unknown;
//	                                    409 if the owner named is not the order's)
func Routes(store *Store, log *slog.Logger) web.Routes {
	return web.Routes{
		"POST /orders": web.Endpoint(log, "create", func(r *http.Request, req api.CreateOrderRequest) (created, error) {
			o, isNew, err := store.Create(r.Context(), NewOrder{ID: req.OrderID, CustomerID: req.CustomerID, Items: req.Items, Mode: req.Mode})
			return created{o.wire(), isNew}, err
		}),
		"GET /orders/{order_id}": web.Endpoint(log, "get", func(r *http.Request, _ web.NoBody) (api.OrderResponse, error) {
			o, err := get(r, store)
			return o.wire(), err
		}),
		"GET /orders": web.Endpoint(log, "list", func(r *http.Request, _ web.NoBody) (out api.ListOrdersResponse, err error) {
			f, err := filterFrom(r)
			if err != nil {
				return out, err
			}
			all, err := store.List(r.Context(), f)
			if f.Page == nil {
				out.Orders = web.Render(all, Order.wire)
				if n := len(all); f.Limit > 0 && n == f.Limit {
					out.Next = cursorOf(all[n-1])
				}
				return out, err
			}
			out.Orders, out.Next = keyset.Of(*f.Page, all, func(o Order) string { return o.ID }, Order.wire)
			return out, err
		}),
		"POST /orders/{order_id}/approve": web.Keyed(log, "approve", "order_id", store.Approve, Order.wire),
		"POST /orders/{order_id}/cancel": web.Endpoint(log, "cancel", func(r *http.Request, req api.CancelOrderRequest) (api.OrderResponse, error) {
			var owner *NewOrder
			if req.Owner != nil {
				owner = &NewOrder{CustomerID: req.Owner.CustomerID, Items: req.Owner.Items, Mode: req.Owner.Mode}
			}
			o, err := store.CancelFor(r.Context(), r.PathValue("order_id"), req.Reason, owner)
			return o.wire(), err
		}),
	}
}

// created answers a create: 201 for a new order, 200 for a repeat.
type created struct {
	api.OrderResponse
	isNew bool
}

func (c created) StatusCode() int {
	if c.isNew {
		return http.StatusCreated
	}
	return http.StatusOK
}

// get reads an order, with ?wait= once it is no longer PENDING.
func get(r *http.Request, store *Store) (Order, error) {
	id, s := r.PathValue("order_id"), r.URL.Query().Get("wait")
	if s == "" {
		return store.Get(r.Context(), id)
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 || d > MaxWait {
		return Order{}, fmt.Errorf("%w: wait must be a duration up to %s, e.g. 10s; got %q", fault.ErrInvalid, MaxWait, s)
	}
	ctx, cancel := context.WithTimeout(r.Context(), d)
	defer cancel()
	return store.AwaitSettled(ctx, id)
}

// filterFrom reads a list's query: a page in ID order with ?after=, else
// the newest first, from ?before= (a page's next) when given.
func filterFrom(r *http.Request) (ListFilter, error) {
	q := r.URL.Query()
	f := ListFilter{CustomerID: q.Get("customer_id"), Status: api.Status(q.Get("status")), Mode: saga.Mode(q.Get("mode"))}
	switch f.Status {
	case "", api.StatusPending, api.StatusApproved, api.StatusCancelled:
	default:
		return f, fmt.Errorf("%w: unknown status %q", fault.ErrInvalid, f.Status)
	}
	switch f.Mode {
	case "", saga.Orchestration, saga.Choreography:
	default:
		return f, fmt.Errorf("%w: mode must be %s or %s, got %q", fault.ErrInvalid, saga.Orchestration, saga.Choreography, f.Mode)
	}
	if q.Has("after") {
		page, err := keyset.From(q)
		f.Page = &page
		return f, err
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			return f, fmt.Errorf("%w: limit must be a positive integer, got %q", fault.ErrInvalid, s)
		}
		f.Limit = n
	}
	if q.Has("before") { // empty: the first page
		if s := q.Get("before"); s != "" {
			pos, err := parseCursor(s)
			if err != nil {
				return f, err
			}
			f.Before = &pos
		}
		if f.Limit == 0 {
			f.Limit = keyset.DefaultLimit
		}
	}
	if q.Has("before") && f.Limit > keyset.MaxLimit {
		return f, fmt.Errorf("%w: limit must be an integer from 1 to %d, got %d", fault.ErrInvalid, keyset.MaxLimit, f.Limit)
	}
	return f, nil
}

// cursorOf is where the newest-first list goes on after o: its creation
// time and ID, opaque to clients.
func cursorOf(o Order) string {
	return base64.RawURLEncoding.EncodeToString([]byte(o.CreatedAt.UTC().Format(time.RFC3339Nano) + " " + o.ID))
}

// parseCursor reads a cursor cursorOf made.
func parseCursor(s string) (Position, error) {
	bad := fmt.Errorf("%w: before must be the next of an earlier page, got %q", fault.ErrInvalid, s)
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Position{}, bad
	}
	at, id, ok := strings.Cut(string(raw), " ")
	t, err := time.Parse(time.RFC3339Nano, at)
	if !ok || err != nil || input.ValidateOrderID(id) != nil {
		return Position{}, bad
	}
	return Position{CreatedAt: t, ID: id}, nil
}

// wire renders an order for the API.
func (o Order) wire() api.OrderResponse {
	r := api.OrderResponse{
		OrderID: o.ID, CustomerID: o.CustomerID, Status: o.Status, Mode: o.Mode, Reason: o.Reason,
		TotalCents: o.Total, Tombstone: o.Tombstone, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt,
		Lines: make([]api.LineResponse, 0, len(o.Lines)),
	}
	for _, l := range o.Lines {
		r.Lines = append(r.Lines, api.LineResponse{SKU: l.SKU, Quantity: l.Quantity, UnitPriceCents: l.UnitPrice})
	}
	return r
}
