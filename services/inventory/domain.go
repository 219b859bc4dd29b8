// Package inventory is the inventory service: it owns stock levels and the
// reservations orders hold on them. A reservation takes every line of an order
// or none.
package inventory

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sagaforge/saga/messaging/events"
	"github.com/sagaforge/saga/platform/fault"
	"github.com/sagaforge/saga/platform/input"
	"github.com/sagaforge/saga/services/fence"
	api "github.com/sagaforge/saga/services/inventory/inventoryapi"
	"gorm.io/gorm"
)

// Stock is one SKU's stock. Available is what can still be reserved; Reserved
// is held by reservations.
type Stock struct {
	SKU       string `gorm:"primaryKey;size:64"`
	Name      string `gorm:"size:128"`
	Available int    `gorm:"not null"`
	Reserved  int    `gorm:"not null"`
	// Initial is the stock the row was created with (BeforeCreate), kept
	// so an audit can check that available + reserved still adds up to it.
	Initial   int `gorm:"not null;default:0"`
	UpdatedAt time.Time
}

// Reservation is the stock held for one order.
type Reservation struct {
	OrderID string      `gorm:"primaryKey;size:64"`
	Status  api.Status  `gorm:"size:16;index"`
	Mode    events.Mode `gorm:"size:16"`
	Reason  string      `gorm:"size:512"`
	// The fence: once the order is approved the hold is final, and a
	// release is refused.
	fence.Fence
	Lines     []ReservationLine `gorm:"foreignKey:OrderID;constraint:OnDelete:CASCADE"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ReservationLine is one SKU of a reservation.
type ReservationLine struct {
	OrderID  string `gorm:"primaryKey;size:64"`
	SKU      string `gorm:"primaryKey;size:64"`
	Quantity int    `gorm:"not null"`
}

// validateReserve checks the shape of a reserve request.
func validateReserve(orderID string, items []api.Item) error {
	if err := input.ValidateOrderID(orderID); err != nil {
		return err
	}
	return input.ValidateItems("a reservation", items)
}

func sortedItems(items []api.Item) []api.Item {
	out := slices.Clone(items)
	slices.SortFunc(out, func(a, b api.Item) int { return strings.Compare(a.SKU, b.SKU) })
	return out
}

// sameRequest tells whether a repeated reserve asks for what the first did.
// A tombstone has no lines and matches anything: it refuses regardless.
func (r *Reservation) sameRequest(items []api.Item) bool {
	if r.Status == api.Voided {
		return true
	}
	if len(r.Lines) != len(items) {
		return false
	}
	want := sortedItems(items)
	for i, l := range r.Lines {
		if l.SKU != want[i].SKU || l.Quantity != want[i].Quantity {
			return false
		}
	}
	return true
}

// repeatOutcome is the answer to a reserve that finds a reservation already
// recorded: the first result, or a refusal if it has been compensated.
func (r *Reservation) repeatOutcome() error {
	switch r.Status {
	case api.Reserved:
		return nil
	case api.Rejected:
		return fmt.Errorf("%w: %s", fault.ErrOutOfStock, r.Reason)
	default:
		return fmt.Errorf("%w: reservation for order %s is %s", fault.ErrCompensated, r.OrderID, r.Status)
	}
}

// SeedStock is the stock a new database starts with (see README).
var SeedStock = []Stock{
	{SKU: "SKU-1", Name: "Keyboard", Available: 1000},
	{SKU: "SKU-2", Name: "Monitor", Available: 100},
	{SKU: "SKU-OUT", Name: "Sold-out item", Available: 0},
}

// seed is what a new database starts with: SeedStock, with the keyboard
// stocked deep enough for long benchmark runs under seed "bench".
func seed(name string) []any {
	stock := slices.Clone(SeedStock)
	if name == "bench" {
		stock[0].Available = 100_000_000
	}
	return []any{&stock}
}

// BeforeCreate records the stock a row starts with as its Initial.
func (s *Stock) BeforeCreate(*gorm.DB) error {
	s.Initial = s.Available
	return nil
}

// event is the domain event that reports the reservation's latest change.
func (r *Reservation) event(now time.Time) events.Envelope {
	lines := make([]events.Line, len(r.Lines))
	for i, l := range r.Lines {
		lines[i] = events.Line{SKU: l.SKU, Quantity: l.Quantity}
	}
	var typ events.Type
	var data any
	switch r.Status {
	case api.Reserved:
		typ, data = events.StockReserved, events.StockReservedData{OrderID: r.OrderID, Items: lines}
	case api.Rejected:
		typ, data = events.StockRejected, events.StockRejectedData{OrderID: r.OrderID, Items: lines, Reason: r.Reason}
	default:
		typ, data = events.StockReleased, events.StockReleasedData{OrderID: r.OrderID, Items: lines, Reason: r.Reason, Voided: r.Status == api.Voided}
	}
	return events.New(events.SourceInventory, typ, r.OrderID, r.Mode, data, now)
}
