package payment_test

import (
	"context"
	"testing"

	"github.com/sagaforge/saga/internal/platform/keyset"
	"github.com/sagaforge/saga/internal/platform/money"
	"github.com/sagaforge/saga/internal/services/payment"
	"github.com/sagaforge/saga/internal/services/payment/paymentapi"
	"github.com/sagaforge/saga/internal/services/servicetest"
)

var newFixture = servicetest.Starter(payment.Service, paymentapi.NewClient)

// BenchmarkChargeRefund is payment's hot path through HTTP and a
// file-backed SQLite database: a charge and its refund.
func BenchmarkChargeRefund(b *testing.B) {
	f := newFixture(b)
	servicetest.Bench(b, func(ctx context.Context, id string) error {
		if _, err := f.Client.Charge(ctx, paymentapi.ChargeRequest{OrderID: id, CustomerID: "alice", AmountCents: 1}); err != nil {
			return err
		}
		_, err := f.Client.Refund(ctx, id)
		return err
	})
}

// FuzzPaymentRequests sends arbitrary bodies to the charge and refund
// endpoints (see servicetest.Fuzz); whatever happened, money is conserved:
// each balance plus what is captured from it adds up to the seeded
// balance, never below zero.
func FuzzPaymentRequests(f *testing.F) {
	fx := newFixture(f)
	fx.Fuzz(f, servicetest.Fuzz{
		Collection: "/payments", Actions: []string{"refund"}, Recorded: "insufficient-funds",
		Seeds: []string{
			`{"order_id":"f1","customer_id":"alice","amount_cents":9980}`,
			`{"order_id":"f2","customer_id":"bob","amount_cents":999999}`,
			`{"order_id":"f1","customer_id":"alice","amount_cents":-1}`,
			`{"order_id":"f1","customer_id":"alice","amount_cents":0}`,
			`{"order_id":"f1","customer_id":"alice","amount_cents":1e30}`,
			`{"order_id":"f1","customer_id":"mallory","amount_cents":1}`,
			`{"order_id":`, `[]`, `null`, ``,
		},
		Check: func(t *testing.T, ctx context.Context) {
			accounts, err := fx.Store.Accounts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			payments, err := fx.Store.Payments(ctx, "", keyset.Page{Limit: keyset.MaxLimit})
			if err != nil {
				t.Fatal(err)
			}
			captured := map[string]money.Cents{}
			for _, pay := range payments {
				if pay.Status == paymentapi.Captured {
					captured[pay.CustomerID] += pay.Amount
				}
			}
			for _, a := range accounts {
				if a.Balance < 0 || a.Balance+captured[a.CustomerID] != a.Initial {
					t.Fatalf("%s has %s with %s captured, seeded %s", a.CustomerID, a.Balance, captured[a.CustomerID], a.Initial)
				}
			}
		},
	})
}
