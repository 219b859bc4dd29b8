// Package inventory is the inventory service: it owns stock levels and the
// reservations orders hold on them. A reservation takes every line of an order
// or none.
package inventory

import (
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/platform/database"
	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/saga"
	api "github.com/sagaforge/saga/internal/services/inventory/inventoryapi"
	"github.com/sagaforge/saga/internal/services/launch"
	"github.com/sagaforge/saga/internal/services/step"
)

// Stock is one SKU's stock. Available is what can still be reserved; Reserved
// is held by reservations; Shipped has left the warehouse for approved
// orders.
type Stock struct {
	SKU       string `gorm:"primaryKey;size:64"`
	Name      string `gorm:"size:128"`
	Available int    `gorm:"not null"`
	Reserved  int    `gorm:"not null"`
	Shipped   int    `gorm:"not null;default:0"`
	// Initial is the stock the row was created with (BeforeCreate), kept
	// so an audit can check that available + reserved + shipped still adds
	// up to it.
	Initial   int `gorm:"not null;default:0"`
	UpdatedAt time.Time
}

// Reservation is the stock held for one order.
type Reservation struct {
	OrderID string     `gorm:"primaryKey;size:64"`
	Status  api.Status `gorm:"size:16;index"`
	Mode    saga.Mode  `gorm:"size:16"`
	Reason  string     `gorm:"size:512"`
	// The fence: once the order is approved the hold is final, and a
	// release is refused.
	step.Fence
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
func validateReserve(orderID string, items []input.Item) error {
	if err := input.ValidateOrderID(orderID); err != nil {
		return err
	}
	return input.ValidateItems("a reservation", items)
}

func sortedItems(items []input.Item) []input.Item {
	out := slices.Clone(items)
	slices.SortFunc(out, func(a, b input.Item) int { return strings.Compare(a.SKU, b.SKU) })
	return out
}

// differs names what a repeated reserve asks for differently from the
// first, or is empty. A tombstone has no lines and matches anything: it
// refuses regardless.
func (r *Reservation) differs(items []input.Item) string {
	if r.Status == api.Voided {
		return ""
	}
	want := sortedItems(items)
	if !slices.EqualFunc(r.Lines, want, func(l ReservationLine, it input.Item) bool { return l.SKU == it.SKU && l.Quantity == it.Quantity }) {
		return "other items"
	}
	return ""
}

// reservations are the rules of the reservation step's records: a
// reservation holds stock; a shortage is the refusal, recorded so that a
// repeat gets it again.
var reservations = step.Rules[Reservation, *Reservation]{
	Noun: "reservation", Owned: database.Lines,
	Held: string(api.Reserved), Refused: string(api.Rejected), Refusal: fault.ErrOutOfStock,
	Moved: []string{string(api.Shipped)},
}

// State is the reservation's status and reason (step.Record).
func (r *Reservation) State() (status, reason string) { return string(r.Status), r.Reason }

// Saga is the mode of the saga that reserved (step.Record).
func (r *Reservation) Saga() saga.Mode { return r.Mode }

// SeedStock is the stock a new database starts with (see README).
var SeedStock = []Stock{
	{SKU: "SKU-1", Name: "Keyboard", Available: 1000},
	{SKU: "SKU-2", Name: "Monitor", Available: 100},
	{SKU: "SKU-OUT", Name: "Sold-out item", Available: 0},
}

// seed is what a new database starts with: SeedStock, with the keyboard
// stocked deep enough for long benchmark runs under seed "bench".
var seed = launch.Seeds(SeedStock, func(stock []Stock) { stock[0].Available = 100_000_000 })

// BeforeCreate records the stock a row starts with as its Initial.
func (s *Stock) BeforeCreate(*gorm.DB) error {
	s.Initial = s.Available
	return nil
}

// Event is the domain event that reports the reservation's latest change.
func (r *Reservation) Event(now time.Time) events.Envelope {
	lines := make([]input.Item, len(r.Lines))
	for i, l := range r.Lines {
		lines[i] = input.Item{SKU: l.SKU, Quantity: l.Quantity}
	}
	var typ events.Type
	var data any
	switch r.Status {
	case api.Reserved:
		typ, data = events.StockReserved, events.StockReservedData{OrderID: r.OrderID, Items: lines}
	case api.Rejected:
		typ, data = events.StockRejected, events.StockRejectedData{OrderID: r.OrderID, Items: lines, Reason: r.Reason}
	case api.Shipped:
		typ, data = events.StockShipped, events.StockShippedData{OrderID: r.OrderID, Items: lines}
	default:
		typ, data = events.StockReleased, events.StockReleasedData{OrderID: r.OrderID, Items: lines, Reason: r.Reason, Voided: r.Status == api.Voided}
	}
	return events.New(events.Source("inventory"), typ, r.OrderID, r.Mode, data, now)
}
