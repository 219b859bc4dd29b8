package inventory

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/sagaforge/saga/internal/messaging/outbox"
	"github.com/sagaforge/saga/internal/platform/database"
	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/saga"
	api "github.com/sagaforge/saga/internal/services/inventory/inventoryapi"
	"github.com/sagaforge/saga/internal/services/step"
)

// Store keeps stock and reservations in the service's own database.
// Its reservations are step records (step.Records: Get, MarkApproved, the
// rules).
type Store struct {
	step.Records[Reservation, *Reservation]
}

// NewStore keeps its tables beside ob, in ob's database (launch migrates
// them).
func NewStore(ob *outbox.Outbox) *Store { return &Store{reservations.In(ob)} }

// errShortage aborts the reserving transaction so every decrement rolls back.
type errShortage struct{ reason string }

func (e *errShortage) Error() string { return e.reason }

// Reserve holds stock for every line of the order, or for none: a shortage
// records a REJECTED reservation and returns fault.ErrOutOfStock. A repeat
// returns the first outcome; a reserve after the release is refused. mode is
// the saga driving the call, recorded on the reservation and its events.
func (s *Store) Reserve(ctx context.Context, orderID string, items []input.Item, mode saga.Mode) (Reservation, error) {
	if err := validateReserve(orderID, items); err != nil {
		return Reservation{}, err
	}
	differs := func(r *Reservation) string { return r.differs(items) }
	res, err := s.Do(ctx, orderID, differs, func(tx *gorm.DB) (Reservation, error) {
		res := Reservation{OrderID: orderID, Status: api.Reserved, Mode: mode}
		// A shortage returns an error, which rolls back every decrement.
		err := takeStock(tx, items, &res)
		return res, err
	})
	var short *errShortage
	if !errors.As(err, &short) {
		return res, err
	}
	// The decrements rolled back with the transaction; record the refusal
	// in its own transaction so a repeat gets the same answer.
	return s.Do(ctx, orderID, differs, func(*gorm.DB) (Reservation, error) {
		res := Reservation{OrderID: orderID, Status: api.Rejected, Mode: mode, Reason: short.reason}
		for _, it := range sortedItems(items) {
			res.Lines = append(res.Lines, ReservationLine{OrderID: orderID, SKU: it.SKU, Quantity: it.Quantity})
		}
		return res, nil
	})
}

// takeStock moves each line's quantity from available to reserved, guarded so
// that stock never goes negative even under concurrent reservations.
func takeStock(tx *gorm.DB, items []input.Item, res *Reservation) error {
	var short []string
	for _, it := range sortedItems(items) {
		// The stock is read only when the update did not happen, to tell
		// an unknown SKU from a shortage: a line that is taken is one
		// statement.
		upd := tx.Model(&Stock{}).Where("sku = ? AND available >= ?", it.SKU, it.Quantity).
			Updates(map[string]any{
				"available":  gorm.Expr("available - ?", it.Quantity),
				"reserved":   gorm.Expr("reserved + ?", it.Quantity),
				"updated_at": tx.NowFunc(),
			})
		if upd.Error != nil {
			return fmt.Errorf("reserve %s: %w", it.SKU, upd.Error)
		}
		if upd.RowsAffected == 0 {
			st, err := database.Known[Stock](tx, fmt.Sprintf("sku %q", it.SKU), "sku = ?", it.SKU)
			if err != nil {
				return err
			}
			short = append(short, fmt.Sprintf("%s (requested %d, available %d)", it.SKU, it.Quantity, st.Available))
		}
		res.Lines = append(res.Lines, ReservationLine{OrderID: res.OrderID, SKU: it.SKU, Quantity: it.Quantity})
	}
	if len(short) > 0 {
		return &errShortage{reason: "not enough stock of " + strings.Join(short, ", ")}
	}
	return nil
}

// Release gives a reservation's stock back. Releasing what was never reserved
// succeeds: an unknown order leaves a VOIDED tombstone that refuses a late
// reserve, and a rejected, released or voided reservation is left as it is.
// mode labels the tombstone's event; a release of a reservation keeps the
// reservation's mode. reason, if any, says why (it travels on StockReleased).
func (s *Store) Release(ctx context.Context, orderID string, mode saga.Mode, why string) (Reservation, error) {
	why = input.CleanReason(why)
	tombstone := Reservation{OrderID: orderID, Status: api.Voided, Mode: mode, Reason: why}
	return s.Undo(ctx, orderID, tombstone, "its stock stays reserved", func(tx *gorm.DB, res *Reservation) error {
		if err := moveStock(tx, res.Lines, "reserved", "available"); err != nil {
			return fmt.Errorf("release: %w", err)
		}
		res.Status, res.Reason, res.UpdatedAt = api.Released, why, tx.NowFunc()
		return tx.Model(&Reservation{}).Where("order_id = ?", orderID).
			Updates(map[string]any{"status": res.Status, "reason": why, "updated_at": res.UpdatedAt}).Error
	})
}

// Ship sends an approved order's reserved stock out of the warehouse:
// reserved becomes shipped, and the reservation is final (fenced). It comes
// after the pivot, so it never undoes anything: a repeat answers as the
// first, and a reservation that holds nothing, or none at all, is refused,
// which no correct run meets.
func (s *Store) Ship(ctx context.Context, orderID string) (Reservation, error) {
	if err := input.ValidateOrderID(orderID); err != nil {
		return Reservation{}, err
	}
	var res Reservation
	err := s.Outbox.Transact(ctx, func(tx *gorm.DB, emit outbox.Emit) error {
		var err error
		if res, err = s.Find(database.ForUpdate(tx), orderID); err != nil {
			return err
		}
		switch res.Status {
		case api.Shipped:
			return nil
		case api.Reserved:
		default:
			return fmt.Errorf("%w: reservation for order %s is %s; nothing to ship", fault.ErrIllegalTransition, orderID, res.Status)
		}
		if err := moveStock(tx, res.Lines, "reserved", "shipped"); err != nil {
			return fmt.Errorf("ship: %w", err)
		}
		res.Status, res.Approved, res.UpdatedAt = api.Shipped, true, tx.NowFunc()
		if err := tx.Model(&Reservation{}).Where("order_id = ?", orderID).
			Updates(map[string]any{"status": res.Status, "approved": true, "updated_at": res.UpdatedAt}).Error; err != nil {
			return fmt.Errorf("ship order %s: %w", orderID, err)
		}
		emit(res.Event(res.UpdatedAt))
		return nil
	})
	return res, err
}

// approved is the pivot, as inventory hears of it: whatever drives the
// order, its hold is now final (the fence); a choreographed order's stock
// then ships.
func (s *Store) approved(ctx context.Context, orderID string) error {
	res, err := s.Peek(ctx, orderID)
	switch {
	case errors.Is(err, fault.ErrNotFound):
		return nil
	case err != nil:
		return err
	case res.Mode == saga.Choreography:
		_, err = s.Ship(ctx, orderID)
		return err
	}
	return s.MarkPeeked(ctx, orderID, &res)
}

// moveStock moves each line's quantity of its SKU from one stock column to
// another (reserved to available on a release, to shipped on a shipment).
func moveStock(tx *gorm.DB, lines []ReservationLine, from, to string) error {
	for _, l := range lines {
		err := tx.Model(&Stock{}).Where("sku = ?", l.SKU).Updates(map[string]any{
			from:         gorm.Expr(from+" - ?", l.Quantity),
			to:           gorm.Expr(to+" + ?", l.Quantity),
			"updated_at": tx.NowFunc(),
		}).Error
		if err != nil {
			return fmt.Errorf("%s to %s of %s: %w", from, to, l.SKU, err)
		}
	}
	return nil
}

// Stock returns one SKU's stock.
func (s *Store) Stock(ctx context.Context, sku string) (Stock, error) {
	return database.Take[Stock](s.Outbox.DB(ctx), fmt.Sprintf("sku %q", sku), "sku = ?", sku)
}

// AllStock returns every SKU's stock, by SKU.
func (s *Store) AllStock(ctx context.Context) ([]Stock, error) {
	return database.List[Stock](s.Outbox.DB(ctx).Order("sku"), "stock")
}
