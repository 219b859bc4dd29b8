// Package step is what a saga participant (inventory, payment) keeps of its
// compensatable step for one order, and the three rules that record obeys
// in both modes:
//   - the step runs once per order: a repeat answers as the first call did,
//     and other input under the same order ID is an idempotency conflict;
//   - its compensation gives back what the step holds, and one that comes
//     first leaves a tombstone that refuses a late step;
//   - once the order is approved (the saga's pivot) the record is fenced,
//     and its compensation is refused, so no late cancel, timeout or dead
//     letter can undo a sale. The order service's OrderApproved sets it.
package step

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/messaging/outbox"
	"github.com/sagaforge/saga/internal/platform/database"
	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/platform/keyset"
	"github.com/sagaforge/saga/internal/saga"
)

// Fence is the column a step's record embeds.
type Fence struct {
	// Approved is set once the order is approved; the step is then final.
	Approved bool `gorm:"not null;default:false"`
}

// Fenced tells whether the order is approved, and the step final.
func (f Fence) Fenced() bool { return f.Approved }

// Record is a step's record for one order, as *R: a Reservation, a Payment.
type Record[R any] interface {
	*R
	// State is the record's status and the reason it gives.
	State() (status, reason string)
	// Event is the domain event that reports the record's latest change.
	Event(now time.Time) events.Envelope
	// Fenced is the embedded Fence's.
	Fenced() bool
	// Saga is the mode of the saga that made the record.
	Saga() saga.Mode
}

// Rules are what one participant's step records mean.
type Rules[R any, P Record[R]] struct {
	// Noun names a record in errors: "reservation", "payment".
	Noun string
	// Owned, when set, has a query that reads records load what each
	// owns (a reservation's lines).
	Owned func(tx *gorm.DB) *gorm.DB
	// Held is the status of a record that holds what its compensation
	// gives back (stock reserved, money captured).
	Held string
	// Refused is the status of a record of a refusal, and Refusal the
	// business failure it answers with (out of stock, declined).
	Refused string
	Refusal error
	// Moved are the statuses a record reaches only by going forward, past
	// the pivot (stock shipped): a repeat of the step is answered as done.
	// A workflow task lost after it ran every step meets them on its retry.
	Moved []string
}

// In keeps records under these rules in ob's database.
func (r Rules[R, P]) In(ob *outbox.Outbox) Records[R, P] {
	return Records[R, P]{Rules: r, Outbox: ob}
}

// Records are one participant's step records, in its outbox's database:
// every change commits with its event.
type Records[R any, P Record[R]] struct {
	Rules[R, P]
	Outbox *outbox.Outbox
}

// Find reads orderID's record through tx, with what it owns; it returns
// fault.ErrNotFound when there is none.
func (rs Rules[R, P]) Find(tx *gorm.DB, orderID string) (R, error) {
	return database.Take[R](rs.read(tx), rs.Noun+" for order "+orderID, "order_id = ?", orderID)
}

// read is a query for records with what they own.
func (rs Rules[R, P]) read(tx *gorm.DB) *gorm.DB {
	if rs.Owned == nil {
		return tx
	}
	return rs.Owned(tx)
}

// holds tells whether rec holds what its compensation gives back.
func (rs Rules[R, P]) holds(rec P) bool {
	status, _ := rec.State()
	return status == rs.Held
}

// outcome is the step's answer as rec gives it: nil while it holds or once
// it has moved forward, the refusal it recorded, or fault.ErrCompensated
// once undone.
func (rs Rules[R, P]) outcome(orderID string, rec P) error {
	switch status, reason := rec.State(); {
	case status == rs.Held, slices.Contains(rs.Moved, status):
		return nil
	case status == rs.Refused:
		return fmt.Errorf("%w: %s", rs.Refusal, reason)
	default:
		return fmt.Errorf("%w: %s for order %s is %s", fault.ErrCompensated, rs.Noun, orderID, status)
	}
}

// Do runs orderID's step once. A record already there answers as the
// first call did, unless differs (given it) names what this call asks for
// differently: that is an idempotency conflict. Otherwise first makes the
// record in tx (a refusal is recorded too, so a repeat gets it again),
// which is inserted with its event. The answer is the record and its
// outcome.
func (rs Records[R, P]) Do(ctx context.Context, orderID string, differs func(P) string, first func(tx *gorm.DB) (R, error)) (R, error) {
	var rec R
	err := rs.Outbox.Transact(ctx, func(tx *gorm.DB, emit outbox.Emit) error {
		existing, err := rs.Find(database.ForUpdate(tx), orderID)
		switch {
		case err == nil:
			if d := differs(&existing); d != "" {
				return fmt.Errorf("%w: %s for order %s exists with %s", fault.ErrIdempotencyConflict, rs.Noun, orderID, d)
			}
			rec = existing
			return nil
		case !errors.Is(err, fault.ErrNotFound):
			return err
		}
		if rec, err = first(tx); err != nil {
			return err
		}
		if err := tx.Create(&rec).Error; err != nil {
			return fmt.Errorf("insert %s: %w", rs.Noun, err)
		}
		emit(P(&rec).Event(tx.NowFunc()))
		return nil
	})
	if err != nil {
		var zero R
		return zero, err
	}
	err = rs.outcome(orderID, &rec)
	return rec, err
}

// Undo compensates orderID's step. With no record, tombstone is inserted:
// it refuses a late step. A record that holds nothing is left as it is.
// An approved one is refused (the fence; what says what stays). Otherwise
// giveBack returns what the record holds and sets its status, in the
// record and in its row; its event commits with it.
func (rs Records[R, P]) Undo(ctx context.Context, orderID string, tombstone R, what string, giveBack func(tx *gorm.DB, rec P) error) (R, error) {
	if err := input.ValidateOrderID(orderID); err != nil {
		var zero R
		return zero, err
	}
	var rec R
	err := rs.Outbox.Transact(ctx, func(tx *gorm.DB, emit outbox.Emit) error {
		var err error
		rec, err = rs.Find(database.ForUpdate(tx), orderID)
		if errors.Is(err, fault.ErrNotFound) {
			rec = tombstone
			if err := tx.Create(&rec).Error; err != nil {
				return fmt.Errorf("insert tombstone: %w", err)
			}
			emit(P(&rec).Event(tx.NowFunc()))
			return nil
		}
		if err != nil {
			return err
		}
		// A fenced record is final, whether it still holds (an approved
		// order's) or has gone on past the pivot (shipped).
		if P(&rec).Fenced() {
			return fmt.Errorf("%w: order %s is approved; %s", fault.ErrIllegalTransition, orderID, what)
		}
		if !rs.holds(&rec) {
			return nil
		}
		if err := giveBack(tx, &rec); err != nil {
			return err
		}
		emit(P(&rec).Event(tx.NowFunc()))
		return nil
	})
	return rec, err
}

// UndoChoreographed runs undo, the compensation a choreography event asks
// for, unless the orchestrator made orderID's record: that one is the
// orchestrator's to undo, and the record's own mode decides, not the
// event's. With no record yet, undo leaves the tombstone.
func (rs Records[R, P]) UndoChoreographed(ctx context.Context, orderID string, undo func(context.Context) error) error {
	rec, err := rs.Get(ctx, orderID)
	switch {
	case errors.Is(err, fault.ErrNotFound):
	case err != nil:
		return err
	case P(&rec).Saga() != saga.Choreography:
		slog.WarnContext(ctx, "compensation ignored: the orchestrator drives this order", "order_id", orderID, "record", rs.Noun)
		return nil
	}
	return undo(ctx)
}

// Get returns orderID's record.
func (rs Records[R, P]) Get(ctx context.Context, orderID string) (R, error) {
	if err := input.ValidateOrderID(orderID); err != nil {
		var zero R
		return zero, err
	}
	return rs.Find(rs.Outbox.DB(ctx), orderID)
}

// Page lists a page of records in order ID order; where, when given, is a
// condition and its arguments that narrow the list.
func (rs Records[R, P]) Page(ctx context.Context, page keyset.Page, where ...any) ([]R, error) {
	q := database.Page(rs.read(rs.Outbox.DB(ctx)), "order_id", page)
	if len(where) > 0 {
		q = q.Where(where[0], where[1:]...)
	}
	return database.List[R](q, rs.Noun+"s")
}

// Peek reads what orderID's record says of the saga (its status, fence and
// mode), without what it owns: the fence's read, one statement by primary
// key. It returns fault.ErrNotFound when there is none.
func (rs Records[R, P]) Peek(ctx context.Context, orderID string) (R, error) {
	if err := input.ValidateOrderID(orderID); err != nil {
		var zero R
		return zero, err
	}
	return database.Take[R](rs.Outbox.DB(ctx).Select("order_id", "status", "reason", "approved", "mode"),
		rs.Noun+" for order "+orderID, "order_id = ?", orderID)
}

// MarkApproved sets the fence on orderID's record when the record holds:
// a record that holds nothing, or no record, changes nothing.
func (rs Records[R, P]) MarkApproved(ctx context.Context, orderID string) error {
	rec, err := rs.Peek(ctx, orderID)
	if errors.Is(err, fault.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return rs.MarkPeeked(ctx, orderID, &rec)
}

// MarkPeeked is MarkApproved after a Peek that read peeked. A record the
// peek found fenced, or holding nothing, is final either way, so nothing is
// written, not even the consumed event's inbox row: the fence is idempotent
// by itself. Otherwise the fence is set in a transaction of the outbox
// (which records a consumed event in the inbox), after a locked read.
func (rs Records[R, P]) MarkPeeked(ctx context.Context, orderID string, peeked P) error {
	if peeked.Fenced() || !rs.holds(peeked) {
		return nil
	}
	// The record is read and written by its primary key alone: with the
	// status in the WHERE, PostgreSQL's planner may pick the status index
	// instead, and read every held record of the table on each mark.
	return rs.Outbox.Transact(ctx, func(tx *gorm.DB, _ outbox.Emit) error {
		var rec R
		err := database.ForUpdate(tx).Select("status", "approved").Where("order_id = ?", orderID).Take(&rec).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			return nil
		case err != nil:
			return fmt.Errorf("read the fence of %s: %w", orderID, err)
		case P(&rec).Fenced() || !rs.holds(&rec):
			return nil
		}
		return tx.Model(new(R)).Where("order_id = ?", orderID).
			Updates(map[string]any{"approved": true, "updated_at": tx.NowFunc()}).Error
	})
}
