package order

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"gorm.io/gorm"

	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/messaging/outbox"
	"github.com/sagaforge/saga/internal/platform/database"
	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/platform/keyset"
	"github.com/sagaforge/saga/internal/platform/money"
	"github.com/sagaforge/saga/internal/platform/telemetry"
	"github.com/sagaforge/saga/internal/platform/watch"
	"github.com/sagaforge/saga/internal/saga"
	api "github.com/sagaforge/saga/internal/services/order/orderapi"
)

// Store keeps orders in the service's own database. Every change runs in one
// transaction that re-reads the order first, so a retried call sees the
// result of the first one.
type Store struct {
	outbox *outbox.Outbox
	// changes wakes the status waiters of one order, and only them, with
	// the order as its change committed it, so a waiter need not read it
	// again.
	changes watch.Set[Order]
	// Recheck bounds the wait for a change whose notification was lost (a
	// replica's listener reconnecting): AwaitSettled reads the order again
	// at least this often.
	Recheck time.Duration
	// listening, if set, is called each time ListenSettled starts
	// listening (tests).
	listening func()
}

// NewStore keeps its tables beside ob, in ob's database (launch migrates
// them).
func NewStore(ob *outbox.Outbox) *Store {
	return &Store{outbox: ob, Recheck: time.Second}
}

// settledChannel carries, on PostgreSQL, the ID of each order a commit
// settled, to every replica of the service: a change another replica made
// wakes this one's waiters (ListenSettled).
const settledChannel = "order_settled"

// ListenSettled wakes this replica's waiters of each order another replica
// settled, until ctx ends (PostgreSQL; on SQLite it returns at once). The
// woken waiters read the order again.
func (s *Store) ListenSettled(ctx context.Context, dsn string, log *slog.Logger) {
	database.Listen(ctx, dsn, settledChannel, log, func(id string) {
		if id == "" {
			if s.listening != nil {
				s.listening()
			}
			return
		}
		s.changes.Notify(id, Order{ID: id, Status: api.StatusPending})
	})
}

// AwaitSettled returns the order once it is no longer PENDING, or as it is
// when ctx ends. It lets a client wait for a choreographed saga without
// polling.
func (s *Store) AwaitSettled(ctx context.Context, id string) (Order, error) {
	for {
		next, release := s.changes.Wait(id)
		o, err := s.Get(ctx, id)
		if err != nil && !errors.Is(err, fault.ErrNotFound) {
			release()
			return Order{}, err
		}
		if err == nil && o.Status != api.StatusPending {
			release()
			return o, nil
		}
		select {
		case <-next.Done():
			release()
			// A settled order never changes again, so the woken value is
			// the answer even if notifications of two commits crossed. A
			// PENDING one may be stale: read again.
			if o := next.Value(); o.Status != api.StatusPending {
				return o, nil
			}
		case <-time.After(s.Recheck):
			release()
		case <-ctx.Done():
			release()
			return o, err
		}
	}
}

// Create creates a PENDING order priced from the catalog. A repeat with the
// same request returns the existing order with created=false; a different
// request under the same ID is an idempotency conflict; an ID whose cancel
// already left a tombstone is refused as compensated.
func (s *Store) Create(ctx context.Context, in NewOrder) (o Order, created bool, err error) {
	in = in.withDefaults()
	if err := in.Validate(); err != nil {
		return Order{}, false, err
	}
	err = s.outbox.Transact(ctx, func(tx *gorm.DB, emit outbox.Emit) error {
		existing, err := find(database.ForUpdate(tx), in.ID)
		switch {
		case err == nil:
			if existing.Tombstone {
				return fmt.Errorf("%w: order %s was cancelled before it was created (%s)", fault.ErrCompensated, in.ID, existing.Reason)
			}
			if !existing.sameRequest(in) {
				return fmt.Errorf("%w: order %s exists with other items or customer", fault.ErrIdempotencyConflict, in.ID)
			}
			o = existing
			return nil
		case !errors.Is(err, fault.ErrNotFound):
			return err
		}
		if _, err := database.Known[Customer](tx, fmt.Sprintf("customer %q", in.CustomerID), "id = ?", in.CustomerID); err != nil {
			return err
		}
		now := tx.NowFunc()
		o = Order{ID: in.ID, CustomerID: in.CustomerID, Status: api.StatusPending, Mode: in.Mode, ProgressAt: &now}
		for _, it := range SortedItems(in.Items) {
			p, err := database.Known[Product](tx, fmt.Sprintf("sku %q", it.SKU), "sku = ?", it.SKU)
			if err != nil {
				return err
			}
			o.Lines = append(o.Lines, Line{OrderID: in.ID, SKU: it.SKU, Quantity: it.Quantity, UnitPrice: p.Price})
			o.Total += p.Price * money.Cents(it.Quantity)
		}
		if err := tx.Create(&o).Error; err != nil {
			return fmt.Errorf("insert order: %w", err)
		}
		created = true
		emit(o.event(events.OrderCreated, tx.NowFunc()))
		return nil
	})
	if err != nil {
		return Order{}, false, err
	}
	s.changes.Notify(o.ID, o)
	return o, created, nil
}

// Get returns one order with its lines.
func (s *Store) Get(ctx context.Context, id string) (Order, error) {
	if err := input.ValidateOrderID(id); err != nil {
		return Order{}, err
	}
	return find(s.outbox.DB(ctx), id)
}

// ListFilter selects orders for List.
type ListFilter struct {
	CustomerID string
	Status     api.Status
	Mode       saga.Mode
	Limit      int
	// Before, when set, lists the orders created before it, newest first:
	// the next page of a newest-first list.
	Before *Position
	// Page, when set, lists in order ID order after Page.After, up to
	// Page.Limit (Limit is then ignored).
	Page *keyset.Page
}

// Position is an order's place in the newest-first list: when it was
// created, then its ID, so that orders created in the same microsecond
// still page in one order.
type Position struct {
	CreatedAt time.Time
	ID        string
}

// List returns orders, newest first, or a page of them in ID order.
func (s *Store) List(ctx context.Context, f ListFilter) ([]Order, error) {
	q := database.Lines(s.outbox.DB(ctx))
	switch {
	case f.Page != nil:
		q = database.Page(q, "id", *f.Page)
		f.Limit = f.Page.Limit
	case f.Before != nil:
		at := f.Before.CreatedAt.UTC()
		// The range first: written as "created_at < ? OR (created_at = ?
		// AND id < ?)", SQLite unions two index searches and sorts every
		// older order (tens of milliseconds at a hundred thousand).
		q = q.Where("created_at <= ? AND (created_at < ? OR id < ?)", at, at, f.Before.ID).Order("created_at DESC, id DESC")
	default:
		q = q.Order("created_at DESC, id DESC")
	}
	if f.CustomerID != "" {
		q = q.Where("customer_id = ?", f.CustomerID)
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.Mode != "" {
		q = q.Where("mode = ?", f.Mode)
	}
	if f.Limit <= 0 || f.Limit > 10_000 {
		f.Limit = 10_000
	}
	return database.List[Order](q.Limit(f.Limit), "orders")
}

// Approve moves a PENDING order to APPROVED.
func (s *Store) Approve(ctx context.Context, id string) (Order, error) {
	if err := input.ValidateOrderID(id); err != nil {
		return Order{}, err
	}
	return s.settle(ctx, id, events.OrderApproved, nil, (*Order).approve)
}

// Cancel moves a PENDING order to CANCELLED. Cancelling an order that does not
// exist succeeds and leaves a tombstone, because a compensation may overtake
// the create it undoes.
func (s *Store) Cancel(ctx context.Context, id, why string) (Order, error) {
	return s.CancelFor(ctx, id, why, nil)
}

// CancelFor is Cancel on behalf of owner, the purchase that created the
// order (nil: whoever did): an order another purchase created is refused
// with fault.ErrIdempotencyConflict and left as it is, so that a saga
// whose create never took effect cannot undo someone else's purchase.
func (s *Store) CancelFor(ctx context.Context, id, why string, owner *NewOrder) (Order, error) {
	if err := input.ValidateOrderID(id); err != nil {
		return Order{}, err
	}
	why = input.CleanReason(why)
	if why == "" {
		return Order{}, fmt.Errorf("%w: a cancellation needs a reason", fault.ErrInvalid)
	}
	tombstone := &Order{ID: id, Status: api.StatusCancelled, Reason: why, Tombstone: true}
	return s.settle(ctx, id, events.OrderCancelled, tombstone, func(o *Order) (bool, error) {
		if owner != nil && !o.Tombstone && !o.sameRequest(owner.withDefaults()) {
			return false, fmt.Errorf("%w: order %s belongs to another purchase, which is left alone", fault.ErrIdempotencyConflict, id)
		}
		return o.cancel(why)
	})
}

// settle runs change on order id in one transaction. When change settles
// the order, its event typ commits with it and every replica's waiters of
// the order are woken after the commit. With tombstone set, an order that
// does not exist is created as tombstone, with its event.
func (s *Store) settle(ctx context.Context, id string, typ events.Type, tombstone *Order, change func(*Order) (bool, error)) (Order, error) {
	var o Order
	var settled bool
	err := s.outbox.Transact(ctx, func(tx *gorm.DB, emit outbox.Emit) error {
		var err error
		o, err = find(database.ForUpdate(tx), id)
		if errors.Is(err, fault.ErrNotFound) && tombstone != nil {
			o = *tombstone
			if err := tx.Create(&o).Error; err != nil {
				return fmt.Errorf("insert tombstone: %w", err)
			}
			emit(o.event(typ, tx.NowFunc()))
			return nil
		}
		if err != nil {
			return err
		}
		if settled, err = change(&o); err != nil || !settled {
			return err
		}
		emit(o.event(typ, tx.NowFunc()))
		if err := database.Notify(tx, settledChannel, o.ID); err != nil {
			return err
		}
		return save(tx, &o)
	})
	if err == nil {
		outbox.AfterCommit(ctx, func() { s.settled(ctx, o, settled) })
	}
	return o, err
}

// settled wakes the order's waiters after a committed change and, when it
// settled a choreographed saga, counts the purchase; the orchestrator
// counts its own.
func (s *Store) settled(ctx context.Context, o Order, now bool) {
	s.changes.Notify(o.ID, o)
	if now && o.Mode == saga.Choreography {
		purchases.Add(ctx, 1, metric.WithAttributes(attribute.String(saga.MetricMode, string(o.Mode)),
			attribute.String(saga.MetricOutcome, string(o.Status))))
	}
}

var purchases, _ = telemetry.Meter("services/order").Int64Counter(saga.MetricPurchases,
	metric.WithDescription("Purchases settled, by mode and outcome."))

func find(tx *gorm.DB, id string) (Order, error) {
	return database.Take[Order](database.Lines(tx), "order "+id, "id = ?", id)
}

func save(tx *gorm.DB, o *Order) error {
	o.UpdatedAt = tx.NowFunc()
	res := tx.Model(&Order{}).Where("id = ?", o.ID).
		Updates(map[string]any{"status": o.Status, "reason": o.Reason, "updated_at": o.UpdatedAt})
	if res.Error != nil {
		return fmt.Errorf("update order %s: %w", o.ID, res.Error)
	}
	return nil
}
