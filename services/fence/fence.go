// Package fence is the approval fence every saga participant keeps on the
// record of its step: once the order is approved (the saga's pivot), the
// record is marked, and its compensation is refused from then on, so no
// late cancel, timeout or dead letter can undo a sale. It holds in both
// modes: the order service's OrderApproved event sets it.
package fence

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/sagaforge/saga/messaging/outbox"
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
	return ob.Transact(ctx, func(tx *gorm.DB, _ outbox.Emit) error {
		return tx.Model(model).Where("order_id = ? AND status = ? AND NOT approved", orderID, held).
			Updates(map[string]any{"approved": true, "updated_at": tx.NowFunc()}).Error
	})
}
