package inventory

import "time"

// The wire types of the inventory API, shared by the handlers and Client.

// ReserveRequest is the body of POST /reservations; order_id is the
// idempotency key.
type ReserveRequest struct {
	OrderID string `json:"order_id"`
	Items   []Item `json:"items"`
}

// ReleaseRequest is the optional body of POST /reservations/{order_id}/release.
type ReleaseRequest struct {
	Reason string `json:"reason,omitempty"`
}

// ReservationResponse is a reservation as every endpoint returns it.
type ReservationResponse struct {
	OrderID   string            `json:"order_id"`
	Status    ReservationStatus `json:"status"`
	Reason    string            `json:"reason,omitempty"`
	Items     []Item            `json:"items"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

// ListReservationsResponse is the body of GET /reservations?after=&limit=,
// a page in order ID order.
type ListReservationsResponse struct {
	Reservations []ReservationResponse `json:"reservations"`
	Next         string                `json:"next,omitempty"` // ask after this for the next page
}

// StockResponse is one SKU's stock.
type StockResponse struct {
	SKU       string `json:"sku"`
	Name      string `json:"name"`
	Available int    `json:"available"`
	Reserved  int    `json:"reserved"`
	Initial   int    `json:"initial"`
}

// ListStockResponse is the body of GET /stock.
type ListStockResponse struct {
	Stock []StockResponse `json:"stock"`
}

// NewReservationResponse renders a reservation for the wire.
func NewReservationResponse(r Reservation) ReservationResponse {
	out := ReservationResponse{OrderID: r.OrderID, Status: r.Status, Reason: r.Reason,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Items: make([]Item, 0, len(r.Lines))}
	for _, l := range r.Lines {
		out.Items = append(out.Items, Item{SKU: l.SKU, Quantity: l.Quantity})
	}
	return out
}

// NewStockResponse renders stock for the wire.
func NewStockResponse(s Stock) StockResponse {
	return StockResponse{SKU: s.SKU, Name: s.Name, Available: s.Available, Reserved: s.Reserved, Initial: s.Initial}
}
