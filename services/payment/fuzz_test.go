package payment_test

import (
	"context"
	"testing"

	"github.com/sagaforge/saga/platform/money"
	"github.com/sagaforge/saga/platform/web"
	"github.com/sagaforge/saga/platform/web/webtest"
	"github.com/sagaforge/saga/services/payment/paymentapi"
)

// FuzzPaymentRequests sends arbitrary bodies to the charge and refund
// endpoints. The answer is a success or a 4xx problem, never a 5xx; a refusal
// writes no event but a recorded decline's or rejection's own; and whatever happened, money is conserved: each balance
// plus what is captured from it adds up to the seeded balance, never below
// zero.
func FuzzPaymentRequests(f *testing.F) {
	webtest.FuzzSeed(f, 2,
		`{"order_id":"f1","customer_id":"alice","amount_cents":9980}`,
		`{"order_id":"f2","customer_id":"bob","amount_cents":999999}`,
		`{"order_id":"f1","customer_id":"alice","amount_cents":-1}`,
		`{"order_id":"f1","customer_id":"alice","amount_cents":0}`,
		`{"order_id":"f1","customer_id":"alice","amount_cents":1e30}`,
		`{"order_id":"f1","customer_id":"mallory","amount_cents":1}`,
		`{"order_id":`, `[]`, `null`, ``,
	)
	fx := newFixture(f)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, op uint8, id, body string) {
		path := webtest.FuzzPath(op, "/payments", id, "refund")
		webtest.Mutation(t, fx.URL+path, body, func() int { return len(fx.Events(t)) }, "insufficient-funds")
		accounts, err := fx.Store.Accounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		payments, err := fx.Store.Payments(ctx, "", web.Page{Limit: web.MaxPageLimit})
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
				t.Fatalf("after POST %s %q: %s has %s with %s captured, seeded %s", path, body, a.CustomerID, a.Balance, captured[a.CustomerID], a.Initial)
			}
		}
	})
}
