// Package fence is the approval fence every saga participant keeps on the
// record of its step: once the order is approved (the saga's pivot), the
// record is marked, and its compensation is refused from then on, so no
// late cancel, timeout or dead letter can undo a sale. It holds in both
// modes: the order service's OrderApproved event sets it.
package fence

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/sagaforge/saga/messaging/outbox"
	"github.com/sagaforge/saga/platform/database"
	"github.com/sagaforge/saga/platform/fault"
	"github.com/sagaforge/saga/platform/input"
)

// Fence is the column a step's record embeds.
type Fence struct {
	// Approved is set once the order is approved; the step is then final.
	Approved bool `gorm:"not null;default:false"`
}

// Check refuses the compensation of an approved order's step; what says
// what stays, e.g. "its payment stays captured".
func (f Fence) Check(orderID, what string) error {
	if f.Approved {
		return fmt.Errorf("%w: order %s is approved; %s", fault.ErrIllegalTransition, orderID, what)
	}
	return nil
}

// Mark sets the fence on orderID's record in model's table, in a
// transaction of ob (which records a consumed event in the inbox), when the
// record's status is held: a record that holds nothing, or no record,
// changes nothing.
func Mark(ctx context.Context, ob *outbox.Outbox, model any, orderID string, held any) error {
	if err := input.ValidateOrderID(orderID); err != nil {
		return err
	}
	// The record is read and written by its primary key alone: with the
	// status in the WHERE, PostgreSQL's planner may pick the status index
	// instead, and read every held record of the table on each mark.
	return ob.Transact(ctx, func(tx *gorm.DB, _ outbox.Emit) error {
		var rec struct {
			Status   string
			Approved bool
		}
		err := database.ForUpdate(tx).Model(model).Select("status", "approved").Where("order_id = ?", orderID).Take(&rec).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			return nil
		case err != nil:
			return fmt.Errorf("read the fence of %s: %w", orderID, err)
		case rec.Approved || rec.Status != fmt.Sprint(held):
			return nil
		}
		return tx.Model(model).Where("order_id = ?", orderID).
			Updates(map[string]any{"approved": true, "updated_at": tx.NowFunc()}).Error
	})
}
