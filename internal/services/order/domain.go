// Package order is the order service: it owns orders, the product catalog
// (names and prices) and the customer registry. An order is created PENDING and
// ends APPROVED or CANCELLED; nothing else moves it.
package order

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/platform/money"
	"github.com/sagaforge/saga/internal/saga"
	api "github.com/sagaforge/saga/internal/services/order/orderapi"
)

// Order is one purchase. A tombstone is an order that was cancelled before it
// was ever created (the create step's compensation ran first); it refuses the
// late create.
type Order struct {
	ID         string      `gorm:"primaryKey;size:64"`
	CustomerID string      `gorm:"size:64;index:idx_orders_customer_created_at,priority:1"`
	Status     api.Status  `gorm:"size:16;index:idx_orders_status_created_at,priority:1"`
	Mode       saga.Mode   `gorm:"size:16;index:idx_orders_mode_created_at,priority:1"`
	Reason     string      `gorm:"size:512"`
	Total      money.Cents `gorm:"not null"`
	Tombstone  bool        `gorm:"not null;default:false"`
	Lines      []Line      `gorm:"foreignKey:OrderID;constraint:OnDelete:CASCADE"`
	// Each filter of the newest-first list has an index that leads with it
	// and goes on by creation time.
	CreatedAt time.Time `gorm:"index;index:idx_orders_customer_created_at,priority:2;index:idx_orders_status_created_at,priority:2;index:idx_orders_mode_created_at,priority:2"`
	UpdatedAt time.Time
	// ProgressAt is when the saga last made progress: its creation, or the
	// latest step another service reported (choreography's deadline
	// counts from it).
	ProgressAt *time.Time
}

// Line is one SKU of an order, priced when the order was created.
type Line struct {
	OrderID   string      `gorm:"primaryKey;size:64"`
	SKU       string      `gorm:"primaryKey;size:64"`
	Quantity  int         `gorm:"not null"`
	UnitPrice money.Cents `gorm:"not null"`
}

// Product is a catalog entry.
type Product struct {
	SKU   string      `gorm:"primaryKey;size:64"`
	Name  string      `gorm:"size:128"`
	Price money.Cents `gorm:"not null"`
}

// Customer is someone who may buy.
type Customer struct {
	ID   string `gorm:"primaryKey;size:64"`
	Name string `gorm:"size:128"`
}

// NewOrder is what a create asks for.
type NewOrder struct {
	ID         string
	CustomerID string
	Items      []input.Item
	Mode       saga.Mode
}

// withDefaults is the order as created: orchestrated unless it says.
func (n NewOrder) withDefaults() NewOrder {
	if n.Mode == "" {
		n.Mode = saga.Orchestration
	}
	return n
}

// Validate checks the shape of a new order; the store checks the catalog.
func (n NewOrder) Validate() error {
	if err := input.ValidateOrderID(n.ID); err != nil {
		return err
	}
	if strings.TrimSpace(n.CustomerID) == "" {
		return fmt.Errorf("%w: customer_id is required", fault.ErrInvalid)
	}
	switch n.Mode {
	case "", saga.Orchestration, saga.Choreography:
	default:
		return fmt.Errorf("%w: mode must be %q or %q, got %q", fault.ErrInvalid, saga.Orchestration, saga.Choreography, n.Mode)
	}
	return ValidateItems(n.Items)
}

// ValidateItems checks the lines of an order (see cart.Validate).
func ValidateItems(items []input.Item) error {
	return input.ValidateItems("an order", items)
}

// SortedItems returns the items ordered by SKU, the canonical form used to
// compare a repeated request with the first one.
func SortedItems(items []input.Item) []input.Item {
	out := slices.Clone(items)
	slices.SortFunc(out, func(a, b input.Item) int { return strings.Compare(a.SKU, b.SKU) })
	return out
}

// sameRequest tells whether a repeated create asks for what the first did.
func (o *Order) sameRequest(n NewOrder) bool {
	if o.CustomerID != n.CustomerID || o.Mode != n.Mode || len(o.Lines) != len(n.Items) {
		return false
	}
	want := SortedItems(n.Items)
	for i, l := range o.Lines {
		if l.SKU != want[i].SKU || l.Quantity != want[i].Quantity {
			return false
		}
	}
	return true
}

// approve moves PENDING to APPROVED. Approving an approved order changes
// nothing; approving a cancelled one is refused.
func (o *Order) approve() (changed bool, err error) {
	switch o.Status {
	case api.StatusPending:
		o.Status = api.StatusApproved
		return true, nil
	case api.StatusApproved:
		return false, nil
	default:
		return false, fmt.Errorf("%w: order %s is %s and cannot be approved", fault.ErrIllegalTransition, o.ID, o.Status)
	}
}

// cancel moves PENDING to CANCELLED with a reason. Cancelling a cancelled
// order keeps the first reason; cancelling an approved one is refused.
func (o *Order) cancel(reason string) (changed bool, err error) {
	switch o.Status {
	case api.StatusPending:
		o.Status = api.StatusCancelled
		o.Reason = reason
		return true, nil
	case api.StatusCancelled:
		return false, nil
	default:
		return false, fmt.Errorf("%w: order %s is %s and cannot be cancelled", fault.ErrIllegalTransition, o.ID, o.Status)
	}
}

// Seed is the data a new database starts with (see README, "Seed data").
var (
	SeedCustomers = []Customer{{ID: "alice", Name: "Alice"}, {ID: "bob", Name: "Bob"}}
	SeedProducts  = []Product{
		{SKU: "SKU-1", Name: "Keyboard", Price: 4990},
		{SKU: "SKU-2", Name: "Monitor", Price: 19900},
		{SKU: "SKU-OUT", Name: "Sold-out item", Price: 1000},
	}
)

// event is the domain event that reports the order's latest change.
func (o *Order) event(typ events.Type, now time.Time) events.Envelope {
	var data any
	switch typ {
	case events.OrderCreated:
		items := make([]input.Item, len(o.Lines))
		for i, l := range o.Lines {
			items[i] = input.Item{SKU: l.SKU, Quantity: l.Quantity}
		}
		data = events.OrderCreatedData{OrderID: o.ID, CustomerID: o.CustomerID, Items: items, TotalCents: o.Total}
	case events.OrderApproved:
		data = events.OrderApprovedData{OrderID: o.ID}
	default:
		data = events.OrderCancelledData{OrderID: o.ID, Reason: o.Reason, Tombstone: o.Tombstone}
	}
	return events.New(events.Source("order"), typ, o.ID, saga.Mode(o.Mode), data, now)
}
