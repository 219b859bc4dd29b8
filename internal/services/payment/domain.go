// Package payment is the payment service: it owns customer balances and the
// payment of each order. A charge that the balance cannot cover is declined
// (a business refusal), and the decline is recorded like a capture.
package payment

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/platform/money"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/internal/services/launch"
	api "github.com/sagaforge/saga/internal/services/payment/paymentapi"
	"github.com/sagaforge/saga/internal/services/step"
)

// MaxAmount bounds one charge (1,000,000.00) so overflow is never a question.
const MaxAmount money.Cents = 100_000_000

// Account is a customer's balance.
type Account struct {
	CustomerID string      `gorm:"primaryKey;size:64"`
	Balance    money.Cents `gorm:"not null"`
	// Initial is the balance the account was created with (BeforeCreate),
	// kept so an audit can check that the balance plus what was captured
	// still adds up to it.
	Initial   money.Cents `gorm:"not null;default:0"`
	UpdatedAt time.Time
}

// PendingCharge is payment's projection of OrderCreated: who pays how much
// for a choreographed order, kept until inventory says the stock is held.
type PendingCharge struct {
	OrderID    string      `gorm:"primaryKey;size:64"`
	CustomerID string      `gorm:"size:64"`
	Amount     money.Cents `gorm:"not null"`
	CreatedAt  time.Time
}

// errOrderNotSeenYet means StockReserved overtook OrderCreated (they travel
// on different topics); the consumer retries until the projection has it.
var errOrderNotSeenYet = errors.New("order not seen yet")

// Payment is the payment of one order.
type Payment struct {
	OrderID    string      `gorm:"primaryKey;size:64"`
	CustomerID string      `gorm:"size:64;index"`
	Amount     money.Cents `gorm:"not null"`
	Status     api.Status  `gorm:"size:16;index"`
	Mode       saga.Mode   `gorm:"size:16"`
	Reason     string      `gorm:"size:512"`
	// The fence: once the order is approved the capture is final, and a
	// refund is refused.
	step.Fence
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Charge is what a charge asks for.
type Charge struct {
	OrderID    string
	CustomerID string
	Amount     money.Cents
	Mode       saga.Mode // the saga driving the charge, recorded on its events
}

func (c Charge) validate() error {
	if err := input.ValidateOrderID(c.OrderID); err != nil {
		return err
	}
	if strings.TrimSpace(c.CustomerID) == "" {
		return fmt.Errorf("%w: customer_id is required", fault.ErrInvalid)
	}
	if c.Amount <= 0 || c.Amount > MaxAmount {
		return fmt.Errorf("%w: amount_cents must be between 1 and %d, got %d", fault.ErrInvalid, MaxAmount, c.Amount)
	}
	return nil
}

// differs names what a repeated charge asks for differently from the
// first, or is empty. A tombstone carries no charge and matches anything:
// it refuses regardless.
func (p *Payment) differs(c Charge) string {
	if p.Status == api.Voided || (p.CustomerID == c.CustomerID && p.Amount == c.Amount) {
		return ""
	}
	return "another customer or amount"
}

// payments are the rules of the payment step's records: a capture holds
// money; a decline is the refusal, recorded so that a repeat gets it
// again.
var payments = step.Rules[Payment, *Payment]{
	Noun: "payment",
	Held: string(api.Captured), Refused: string(api.Declined), Refusal: fault.ErrInsufficientFunds,
}

// State is the payment's status and reason (step.Record).
func (p *Payment) State() (status, reason string) { return string(p.Status), p.Reason }

// Saga is the mode of the saga that charged (step.Record).
func (p *Payment) Saga() saga.Mode { return p.Mode }

// SeedAccounts is the balances a new database starts with (see README).
var SeedAccounts = []Account{
	{CustomerID: "alice", Balance: 1_000_000},
	{CustomerID: "bob", Balance: 5_000},
}

// seed is what a new database starts with: SeedAccounts, with alice's
// balance deep enough for long benchmark runs under seed "bench" (bob stays
// poor, so declines still happen).
var seed = launch.Seeds(SeedAccounts, func(accounts []Account) { accounts[0].Balance = MaxAmount * 1000 })

// BeforeCreate records the balance an account starts with as its Initial.
func (a *Account) BeforeCreate(*gorm.DB) error {
	a.Initial = a.Balance
	return nil
}

// Event is the domain event that reports the payment's latest change.
func (p *Payment) Event(now time.Time) events.Envelope {
	var typ events.Type
	var data any
	switch p.Status {
	case api.Captured:
		typ, data = events.PaymentCaptured, events.PaymentCapturedData{OrderID: p.OrderID, CustomerID: p.CustomerID, AmountCents: p.Amount}
	case api.Declined:
		typ, data = events.PaymentDeclined, events.PaymentDeclinedData{OrderID: p.OrderID, CustomerID: p.CustomerID, AmountCents: p.Amount, Reason: p.Reason}
	default:
		typ, data = events.PaymentRefunded, events.PaymentRefundedData{OrderID: p.OrderID, CustomerID: p.CustomerID, AmountCents: p.Amount, Voided: p.Status == api.Voided}
	}
	return events.New(events.Source("payment"), typ, p.OrderID, p.Mode, data, now)
}
