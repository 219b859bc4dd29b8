package payment_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/sagaforge/saga/platform/keyset"
	"github.com/sagaforge/saga/platform/money"
	"github.com/sagaforge/saga/platform/web/webtest"
	"github.com/sagaforge/saga/services/payment"
	"github.com/sagaforge/saga/services/payment/paymentapi"
	"github.com/sagaforge/saga/services/servicetest"
)

type fixture = servicetest.Fixture[*payment.Store, paymentapi.Client]

var newFixture = servicetest.Starter(payment.Service, paymentapi.NewClient)

func balance(t *testing.T, f fixture, customer string) money.Cents {
	t.Helper()
	a, err := f.Store.Account(context.Background(), customer)
	if err != nil {
		t.Fatal(err)
	}
	return a.Balance
}

func TestBadInputIsRefusedAndWritesNothing(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct{ name, path, body string }{
		{"malformed JSON", "/payments", `{"order_id":`},
		{"unknown field", "/payments", `{"order_id":"b1","customer_id":"alice","amount_cents":100,"card":"4111"}`},
		{"amount as float", "/payments", `{"order_id":"b1","customer_id":"alice","amount_cents":99.8}`},
		{"amount as string", "/payments", `{"order_id":"b1","customer_id":"alice","amount_cents":"100"}`},
		{"zero amount", "/payments", `{"order_id":"b1","customer_id":"alice","amount_cents":0}`},
		{"negative amount", "/payments", `{"order_id":"b1","customer_id":"alice","amount_cents":-100}`},
		{"huge amount", "/payments", `{"order_id":"b1","customer_id":"alice","amount_cents":9223372036854775807}`},
		{"unknown customer", "/payments", `{"order_id":"b1","customer_id":"mallory","amount_cents":100}`},
		{"missing customer", "/payments", `{"order_id":"b1","amount_cents":100}`},
		{"bad order id", "/payments", `{"order_id":"../x","customer_id":"alice","amount_cents":100}`},
		{"oversized body", "/payments", webtest.Oversized()},
		{"refund with a body", "/payments/b1/refund", `{"amount_cents":1}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, p := webtest.Send(t, http.MethodPost, f.URL+tc.path, "application/json", tc.body)
			if status != http.StatusBadRequest || p.Code != "invalid-request" {
				t.Fatalf("got %d %+v, want 400 invalid-request", status, p)
			}
		})
	}
	all, err := f.Store.Payments(context.Background(), "", keyset.Page{Limit: keyset.MaxLimit})
	if err != nil || len(all) != 0 {
		t.Fatalf("bad input wrote %d payments (err %v), want none", len(all), err)
	}
	if got := balance(t, f, "alice"); got != 1_000_000 {
		t.Fatalf("bad input moved money: %s", got)
	}
	f.WantEvents(t)
}

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
