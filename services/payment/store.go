package payment

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/sagaforge/saga/messaging/events"
	"github.com/sagaforge/saga/messaging/outbox"
	"github.com/sagaforge/saga/platform/database"
	"github.com/sagaforge/saga/platform/fault"
	"github.com/sagaforge/saga/platform/input"
	"github.com/sagaforge/saga/platform/keyset"
	"github.com/sagaforge/saga/services/fence"
	api "github.com/sagaforge/saga/services/payment/paymentapi"
)

// Store keeps balances and payments in the service's own database.
type Store struct {
	outbox *outbox.Outbox
}

// NewStore keeps its tables beside ob, in ob's database (launch migrates
// them).
func NewStore(ob *outbox.Outbox) *Store { return &Store{outbox: ob} }

// Charge takes the amount from the customer's balance for the order. A balance
// too small records a DECLINED payment and returns fault.ErrInsufficientFunds.
// A repeat returns the first outcome; a charge after the refund is refused.
func (s *Store) Charge(ctx context.Context, c Charge) (Payment, error) {
	if err := c.validate(); err != nil {
		return Payment{}, err
	}
	var p Payment
	var refusal error
	err := s.outbox.Transact(ctx, func(tx *gorm.DB, emit outbox.Emit) error {
		existing, err := find(database.ForUpdate(tx), c.OrderID)
		switch {
		case err == nil:
			if !existing.sameRequest(c) {
				return fmt.Errorf("%w: payment for order %s exists with another customer or amount", fault.ErrIdempotencyConflict, c.OrderID)
			}
			p, refusal = existing, existing.repeatOutcome()
			return nil
		case !errors.Is(err, fault.ErrNotFound):
			return err
		}
		acct, err := database.Known[Account](tx, fmt.Sprintf("customer %q", c.CustomerID), "customer_id = ?", c.CustomerID)
		if err != nil {
			return err
		}
		p = Payment{OrderID: c.OrderID, CustomerID: c.CustomerID, Amount: c.Amount, Status: api.Captured, Mode: c.Mode}
		// The guard in the WHERE clause keeps balances non-negative even when
		// two charges of one customer race.
		upd := tx.Model(&Account{}).Where("customer_id = ? AND balance >= ?", c.CustomerID, c.Amount).
			Updates(map[string]any{"balance": gorm.Expr("balance - ?", c.Amount), "updated_at": tx.NowFunc()})
		if upd.Error != nil {
			return fmt.Errorf("debit %s: %w", c.CustomerID, upd.Error)
		}
		if upd.RowsAffected == 0 {
			p.Status = api.Declined
			p.Reason = fmt.Sprintf("balance %s of %s does not cover %s", acct.Balance, c.CustomerID, c.Amount)
			refusal = fmt.Errorf("%w: %s", fault.ErrInsufficientFunds, p.Reason)
		}
		if err := tx.Create(&p).Error; err != nil {
			return fmt.Errorf("insert payment: %w", err)
		}
		emit(p.event(tx.NowFunc()))
		return nil
	})
	if err != nil {
		return Payment{}, err
	}
	return p, refusal
}

// Refund gives a captured payment back. Refunding what was never charged
// succeeds: an unknown order leaves a VOIDED tombstone that refuses a late
// charge, and a declined, refunded or voided payment is left as it is.
// mode labels the tombstone's event; a refund of a payment keeps the
// payment's mode.
func (s *Store) Refund(ctx context.Context, orderID string, mode events.Mode) (Payment, error) {
	if err := input.ValidateOrderID(orderID); err != nil {
		return Payment{}, err
	}
	var p Payment
	err := s.outbox.Transact(ctx, func(tx *gorm.DB, emit outbox.Emit) error {
		var err error
		p, err = find(database.ForUpdate(tx), orderID)
		if errors.Is(err, fault.ErrNotFound) {
			p = Payment{OrderID: orderID, Status: api.Voided, Mode: mode, Reason: "refunded before any charge"}
			if err := tx.Create(&p).Error; err != nil {
				return fmt.Errorf("insert tombstone: %w", err)
			}
			emit(p.event(tx.NowFunc()))
			return nil
		}
		if err != nil || p.Status != api.Captured {
			return err
		}
		if err := p.Check(orderID, "its payment stays captured"); err != nil {
			return err
		}
		upd := tx.Model(&Account{}).Where("customer_id = ?", p.CustomerID).
			Updates(map[string]any{"balance": gorm.Expr("balance + ?", p.Amount), "updated_at": tx.NowFunc()})
		if upd.Error != nil {
			return fmt.Errorf("credit %s: %w", p.CustomerID, upd.Error)
		}
		p.Status, p.UpdatedAt = api.Refunded, tx.NowFunc()
		emit(p.event(tx.NowFunc()))
		return tx.Model(&Payment{}).Where("order_id = ?", orderID).
			Updates(map[string]any{"status": api.Refunded, "updated_at": p.UpdatedAt}).Error
	})
	return p, err
}

// MarkApproved sets the approval fence on the order's payment, when it
// took money: its capture is final and a refund is refused from now on.
func (s *Store) MarkApproved(ctx context.Context, orderID string) error {
	return fence.Mark(ctx, s.outbox, &Payment{}, orderID, api.Captured)
}

// Get returns one order's payment.
func (s *Store) Get(ctx context.Context, orderID string) (Payment, error) {
	if err := input.ValidateOrderID(orderID); err != nil {
		return Payment{}, err
	}
	return find(s.outbox.DB(ctx), orderID)
}

// Payments lists a page of payments in order ID order; customerID may be
// empty for all customers.
func (s *Store) Payments(ctx context.Context, customerID string, page keyset.Page) ([]Payment, error) {
	q := database.Page(s.outbox.DB(ctx), "order_id", page)
	if customerID != "" {
		q = q.Where("customer_id = ?", customerID)
	}
	return database.List[Payment](q, "payments")
}

// Account returns a customer's balance.
func (s *Store) Account(ctx context.Context, customerID string) (Account, error) {
	return database.Take[Account](s.outbox.DB(ctx), fmt.Sprintf("customer %q", customerID), "customer_id = ?", customerID)
}

// Accounts returns every balance, by customer.
func (s *Store) Accounts(ctx context.Context) ([]Account, error) {
	return database.List[Account](s.outbox.DB(ctx).Order("customer_id"), "accounts")
}

func find(tx *gorm.DB, orderID string) (Payment, error) {
	return database.Take[Payment](tx, "payment for order "+orderID, "order_id = ?", orderID)
}
