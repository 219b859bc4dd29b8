package payment

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/sagaforge/saga/internal/messaging/outbox"
	"github.com/sagaforge/saga/internal/platform/database"
	"github.com/sagaforge/saga/internal/platform/keyset"
	"github.com/sagaforge/saga/internal/saga"
	api "github.com/sagaforge/saga/internal/services/payment/paymentapi"
	"github.com/sagaforge/saga/internal/services/step"
)

// Store keeps balances and payments in the service's own database.
// Its payments are step records (step.Records: Get, MarkApproved, the
// rules).
type Store struct {
	step.Records[Payment, *Payment]
}

// NewStore keeps its tables beside ob, in ob's database (launch migrates
// them).
func NewStore(ob *outbox.Outbox) *Store { return &Store{payments.In(ob)} }

// Charge takes the amount from the customer's balance for the order. A balance
// too small records a DECLINED payment and returns fault.ErrInsufficientFunds.
// A repeat returns the first outcome; a charge after the refund is refused.
func (s *Store) Charge(ctx context.Context, c Charge) (Payment, error) {
	if err := c.validate(); err != nil {
		return Payment{}, err
	}
	differs := func(p *Payment) string { return p.differs(c) }
	return s.Do(ctx, c.OrderID, differs, func(tx *gorm.DB) (Payment, error) {
		p := Payment{OrderID: c.OrderID, CustomerID: c.CustomerID, Amount: c.Amount, Status: api.Captured, Mode: c.Mode}
		// The guard in the WHERE clause keeps balances non-negative even when
		// two charges of one customer race. The account is read only when
		// the debit did not happen, to tell an unknown customer from a
		// short balance: a charge that goes through is one statement.
		upd := tx.Model(&Account{}).Where("customer_id = ? AND balance >= ?", c.CustomerID, c.Amount).
			Updates(map[string]any{"balance": gorm.Expr("balance - ?", c.Amount), "updated_at": tx.NowFunc()})
		if upd.Error != nil {
			return Payment{}, fmt.Errorf("debit %s: %w", c.CustomerID, upd.Error)
		}
		if upd.RowsAffected == 0 {
			acct, err := database.Known[Account](tx, fmt.Sprintf("customer %q", c.CustomerID), "customer_id = ?", c.CustomerID)
			if err != nil {
				return Payment{}, err
			}
			p.Status = api.Declined
			p.Reason = fmt.Sprintf("balance %s of %s does not cover %s", acct.Balance, c.CustomerID, c.Amount)
		}
		return p, nil
	})
}

// Refund gives a captured payment back. Refunding what was never charged
// succeeds: an unknown order leaves a VOIDED tombstone that refuses a late
// charge, and a declined, refunded or voided payment is left as it is.
// mode labels the tombstone's event; a refund of a payment keeps the
// payment's mode.
func (s *Store) Refund(ctx context.Context, orderID string, mode saga.Mode) (Payment, error) {
	tombstone := Payment{OrderID: orderID, Status: api.Voided, Mode: mode, Reason: "refunded before any charge"}
	return s.Undo(ctx, orderID, tombstone, "its payment stays captured", func(tx *gorm.DB, p *Payment) error {
		upd := tx.Model(&Account{}).Where("customer_id = ?", p.CustomerID).
			Updates(map[string]any{"balance": gorm.Expr("balance + ?", p.Amount), "updated_at": tx.NowFunc()})
		if upd.Error != nil {
			return fmt.Errorf("credit %s: %w", p.CustomerID, upd.Error)
		}
		p.Status, p.UpdatedAt = api.Refunded, tx.NowFunc()
		return tx.Model(&Payment{}).Where("order_id = ?", orderID).
			Updates(map[string]any{"status": p.Status, "updated_at": p.UpdatedAt}).Error
	})
}

// Payments lists a page of payments in order ID order; customerID may be
// empty for all customers.
func (s *Store) Payments(ctx context.Context, customerID string, page keyset.Page) ([]Payment, error) {
	if customerID == "" {
		return s.Page(ctx, page)
	}
	return s.Page(ctx, page, "customer_id = ?", customerID)
}

// Account returns a customer's balance.
func (s *Store) Account(ctx context.Context, customerID string) (Account, error) {
	return database.Take[Account](s.Outbox.DB(ctx), fmt.Sprintf("customer %q", customerID), "customer_id = ?", customerID)
}

// Accounts returns every balance, by customer.
func (s *Store) Accounts(ctx context.Context) ([]Account, error) {
	return database.List[Account](s.Outbox.DB(ctx).Order("customer_id"), "accounts")
}

// notePendingCharge records what OrderCreated says a choreographed order will
// charge; a redelivery finds it there and leaves it.
func (s *Store) notePendingCharge(ctx context.Context, pc PendingCharge) error {
	return s.Outbox.Transact(ctx, func(tx *gorm.DB, _ outbox.Emit) error {
		return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&pc).Error
	})
}

// pendingCharge reads what OrderCreated recorded for orderID, or
// errOrderNotSeenYet.
func (s *Store) pendingCharge(ctx context.Context, orderID string) (PendingCharge, error) {
	var req PendingCharge
	err := s.Outbox.DB(ctx).Take(&req, "order_id = ?", orderID).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return PendingCharge{}, fmt.Errorf("charge for %s: %w", orderID, errOrderNotSeenYet)
	}
	if err != nil {
		return PendingCharge{}, fmt.Errorf("load charge request %s: %w", orderID, err)
	}
	return req, nil
}
