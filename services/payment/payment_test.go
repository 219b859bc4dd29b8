package payment_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/sagaforge/saga/platform/database/dbtest"
	"github.com/sagaforge/saga/platform/fault"
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

func TestChargeIsIdempotent(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	req := paymentapi.ChargeRequest{OrderID: "o-1", CustomerID: "alice", AmountCents: 9980}
	for range 3 {
		p, err := f.Client.Charge(ctx, req)
		if err != nil || p.Status != paymentapi.Captured {
			t.Fatalf("charge: %+v, %v", p, err)
		}
	}
	if got := balance(t, f, "alice"); got != 1_000_000-9980 {
		t.Fatalf("alice after three identical charges: %s, want 9900.20", got)
	}
	req.AmountCents = 1
	if _, err := f.Client.Charge(ctx, req); !errors.Is(err, fault.ErrIdempotencyConflict) {
		t.Fatalf("same order, other amount: %v, want idempotency conflict", err)
	}
	f.WantEvents(t, "o-1:PaymentCaptured")
}

func TestDeclineIsRecordedAndRepeated(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	req := paymentapi.ChargeRequest{OrderID: "o-bob", CustomerID: "bob", AmountCents: 19900}
	if _, err := f.Client.Charge(ctx, req); !errors.Is(err, fault.ErrInsufficientFunds) {
		t.Fatalf("charge over balance: %v, want insufficient funds", err)
	}
	if status, p := webtest.Send(t, http.MethodPost, f.URL+"/payments", "application/json",
		`{"order_id":"o-bob","customer_id":"bob","amount_cents":19900}`); status != http.StatusPaymentRequired || p.Code != "insufficient-funds" {
		t.Fatalf("repeat over HTTP: %d %+v, want 402 insufficient-funds", status, p)
	}
	p, err := f.Client.Payment(ctx, "o-bob")
	if err != nil || p.Status != paymentapi.Declined {
		t.Fatalf("recorded payment: %+v, %v; want DECLINED", p, err)
	}
	if p, err := f.Client.Refund(ctx, "o-bob"); err != nil || p.Status != paymentapi.Declined {
		t.Fatalf("refund of a declined payment: %+v, %v; want success, nothing changed", p, err)
	}
	if got := balance(t, f, "bob"); got != 5000 {
		t.Fatalf("bob's balance moved to %s", got)
	}
	f.WantEvents(t, "o-bob:PaymentDeclined")
}

func TestRefundRestoresOnceAndTombstoneRefusesLateCharge(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.Client.Charge(ctx, paymentapi.ChargeRequest{OrderID: "o-2", CustomerID: "alice", AmountCents: 19900}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		p, err := f.Client.Refund(ctx, "o-2")
		if err != nil || p.Status != paymentapi.Refunded {
			t.Fatalf("refund: %+v, %v", p, err)
		}
	}
	if got := balance(t, f, "alice"); got != 1_000_000 {
		t.Fatalf("alice after refund twice: %s, want 10000.00", got)
	}
	if _, err := f.Client.Charge(ctx, paymentapi.ChargeRequest{OrderID: "o-2", CustomerID: "alice", AmountCents: 19900}); !errors.Is(err, fault.ErrCompensated) {
		t.Fatalf("charge after refund: %v, want already compensated", err)
	}

	p, err := f.Client.Refund(ctx, "never-charged")
	if err != nil || p.Status != paymentapi.Voided {
		t.Fatalf("refund before charge: %+v, %v; want a VOIDED tombstone", p, err)
	}
	if _, err := f.Client.Charge(ctx, paymentapi.ChargeRequest{OrderID: "never-charged", CustomerID: "alice", AmountCents: 100}); !errors.Is(err, fault.ErrCompensated) {
		t.Fatalf("late charge after tombstone: %v, want already compensated", err)
	}
	if got := balance(t, f, "alice"); got != 1_000_000 {
		t.Fatalf("late charge moved money: %s", got)
	}
	f.WantEvents(t, "o-2:PaymentCaptured", "o-2:PaymentRefunded", "never-charged:PaymentRefunded")
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

// Retries of one order's calls can arrive together (a timed-out call and
// its retry, two replicas). On PostgreSQL they run in parallel
// transactions; the money must still move once each way.
func TestRacingRepeatsOfOneOrderChargeAndRefundOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const racers = 8
	race := func(call func() error) { dbtest.Race(t, racers, call) }
	race(func() error {
		_, err := f.Client.Charge(ctx, paymentapi.ChargeRequest{OrderID: "o-race", CustomerID: "alice", AmountCents: 19900})
		return err
	})
	if got := balance(t, f, "alice"); got != 1_000_000-19900 {
		t.Fatalf("alice after %d racing charges: %s, want 9801.00", racers, got)
	}
	race(func() error {
		_, err := f.Client.Refund(ctx, "o-race")
		return err
	})
	if got := balance(t, f, "alice"); got != 1_000_000 {
		t.Fatalf("alice after %d racing refunds: %s, want 10000.00", racers, got)
	}
	race(func() error {
		_, err := f.Client.Refund(ctx, "o-never")
		return err
	})
	f.WantEvents(t, "o-race:PaymentCaptured", "o-race:PaymentRefunded", "o-never:PaymentRefunded")
}

// Once the order is approved (the saga's pivot) its payment stays captured:
// a late or mistaken refund is refused over HTTP and moves no money.
func TestRefundOfAnApprovedOrderIsRefused(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.Client.Charge(ctx, paymentapi.ChargeRequest{OrderID: "o-ok", CustomerID: "alice", AmountCents: 19900}); err != nil {
		t.Fatal(err)
	}
	for range 2 { // idempotent
		if err := f.Store.MarkApproved(ctx, "o-ok"); err != nil {
			t.Fatal(err)
		}
	}
	_, err := f.Client.Refund(ctx, "o-ok")
	if !errors.Is(err, fault.ErrIllegalTransition) || !strings.Contains(err.Error(), "approved") {
		t.Fatalf("refund of an approved order: %v, want an illegal transition that says it is approved", err)
	}
	if got := balance(t, f, "alice"); got != 1_000_000-19900 {
		t.Fatalf("alice after the refused refund: %s, want still charged", got)
	}
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
