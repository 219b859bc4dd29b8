package inventory_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/sagaforge/saga/platform/database/dbtest"
	"github.com/sagaforge/saga/platform/fault"
	"github.com/sagaforge/saga/platform/keyset"
	"github.com/sagaforge/saga/platform/web/webtest"
	"github.com/sagaforge/saga/services/inventory"
	"github.com/sagaforge/saga/services/inventory/inventoryapi"
	"github.com/sagaforge/saga/services/servicetest"
)

type fixture = servicetest.Fixture[*inventory.Store, inventoryapi.Client]

var newFixture = servicetest.Starter(inventory.Service, inventoryapi.NewClient)

func stock(t *testing.T, f fixture, sku string) inventory.Stock {
	t.Helper()
	st, err := f.Store.Stock(context.Background(), sku)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func reserve(id string, items ...inventoryapi.Item) inventoryapi.ReserveRequest {
	return inventoryapi.ReserveRequest{OrderID: id, Items: items}
}

func TestReserveIsIdempotent(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	req := reserve("o-1", inventoryapi.Item{SKU: "SKU-1", Quantity: 2}, inventoryapi.Item{SKU: "SKU-2", Quantity: 1})
	for range 3 {
		res, err := f.Client.Reserve(ctx, req)
		if err != nil || res.Status != inventoryapi.Reserved {
			t.Fatalf("reserve: %+v, %v", res, err)
		}
	}
	if st := stock(t, f, "SKU-1"); st.Available != 998 || st.Reserved != 2 {
		t.Fatalf("SKU-1 after three identical reserves: %+v, want 998 available / 2 reserved", st)
	}
	if _, err := f.Client.Reserve(ctx, reserve("o-1", inventoryapi.Item{SKU: "SKU-1", Quantity: 9})); !errors.Is(err, fault.ErrIdempotencyConflict) {
		t.Fatalf("same order, other items: %v, want idempotency conflict", err)
	}
	f.WantEvents(t, "o-1:StockReserved")
}

func TestReserveIsAllOrNothingAndRefusalIsRecorded(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	req := reserve("short", inventoryapi.Item{SKU: "SKU-1", Quantity: 2}, inventoryapi.Item{SKU: "SKU-OUT", Quantity: 1})
	_, err := f.Client.Reserve(ctx, req)
	if !errors.Is(err, fault.ErrOutOfStock) {
		t.Fatalf("reserve with a sold-out line: %v, want out of stock", err)
	}
	if st := stock(t, f, "SKU-1"); st.Available != 1000 || st.Reserved != 0 {
		t.Fatalf("SKU-1 after a refused reservation: %+v, want untouched", st)
	}
	if _, err := f.Client.Reserve(ctx, req); !errors.Is(err, fault.ErrOutOfStock) {
		t.Fatalf("repeat of a refused reservation: %v, want the same refusal", err)
	}
	res, err := f.Client.Reservation(ctx, "short")
	if err != nil || res.Status != inventoryapi.Rejected {
		t.Fatalf("recorded reservation: %+v, %v; want REJECTED", res, err)
	}
	if res, err := f.Client.Release(ctx, "short", inventoryapi.ReleaseRequest{}); err != nil || res.Status != inventoryapi.Rejected {
		t.Fatalf("release of a rejected reservation: %+v, %v; want success with nothing changed", res, err)
	}
	if st := stock(t, f, "SKU-1"); st.Available != 1000 {
		t.Fatalf("release of a rejection changed stock: %+v", st)
	}
	f.WantEvents(t, "short:StockRejected")
}

func TestReleaseRestoresOnceAndTombstoneRefusesLateReserve(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.Client.Reserve(ctx, reserve("o-2", inventoryapi.Item{SKU: "SKU-2", Quantity: 4})); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		res, err := f.Client.Release(ctx, "o-2", inventoryapi.ReleaseRequest{})
		if err != nil || res.Status != inventoryapi.Released {
			t.Fatalf("release: %+v, %v", res, err)
		}
	}
	if st := stock(t, f, "SKU-2"); st.Available != 100 || st.Reserved != 0 {
		t.Fatalf("SKU-2 after release twice: %+v, want 100 / 0", st)
	}
	if _, err := f.Client.Reserve(ctx, reserve("o-2", inventoryapi.Item{SKU: "SKU-2", Quantity: 4})); !errors.Is(err, fault.ErrCompensated) {
		t.Fatalf("reserve after release: %v, want already compensated", err)
	}

	res, err := f.Client.Release(ctx, "never-reserved", inventoryapi.ReleaseRequest{})
	if err != nil || res.Status != inventoryapi.Voided {
		t.Fatalf("release before reserve: %+v, %v; want a VOIDED tombstone", res, err)
	}
	if _, err := f.Client.Reserve(ctx, reserve("never-reserved", inventoryapi.Item{SKU: "SKU-2", Quantity: 1})); !errors.Is(err, fault.ErrCompensated) {
		t.Fatalf("late reserve after tombstone: %v, want already compensated", err)
	}
	if st := stock(t, f, "SKU-2"); st.Available != 100 {
		t.Fatalf("late reserve took stock: %+v", st)
	}
	f.WantEvents(t, "o-2:StockReserved", "o-2:StockReleased", "never-reserved:StockReleased")
}

func TestConcurrentReservationsNeverOversell(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const workers = 40 // 40 x 3 = 120 wanted, 100 in stock
	var wg sync.WaitGroup
	var mu sync.Mutex
	granted, refused := 0, 0
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.Client.Reserve(ctx, reserve(fmt.Sprintf("c-%d", i), inventoryapi.Item{SKU: "SKU-2", Quantity: 3}))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				granted++
			case errors.Is(err, fault.ErrOutOfStock):
				refused++
			default:
				t.Errorf("reserve c-%d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	st := stock(t, f, "SKU-2")
	if granted != 33 || refused != 7 || st.Available != 1 || st.Reserved != 99 {
		t.Fatalf("granted %d refused %d, stock %+v; want 33 granted, 7 refused, 1 available, 99 reserved", granted, refused, st)
	}
}

func TestBadInputIsRefusedAndWritesNothing(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct{ name, path, body string }{
		{"malformed JSON", "/reservations", `{"order_id":"b1","items":[`},
		{"unknown field", "/reservations", `{"order_id":"b1","items":[{"sku":"SKU-1","quantity":1}],"warehouse":"x"}`},
		{"zero quantity", "/reservations", `{"order_id":"b1","items":[{"sku":"SKU-1","quantity":0}]}`},
		{"negative quantity", "/reservations", `{"order_id":"b1","items":[{"sku":"SKU-1","quantity":-1}]}`},
		{"unknown sku", "/reservations", `{"order_id":"b1","items":[{"sku":"SKU-404","quantity":1}]}`},
		{"unknown sku after a known one", "/reservations", `{"order_id":"b1","items":[{"sku":"SKU-1","quantity":1},{"sku":"SKU-9","quantity":1}]}`},
		{"empty", "/reservations", `{"order_id":"b1","items":[]}`},
		{"duplicate sku", "/reservations", `{"order_id":"b1","items":[{"sku":"SKU-1","quantity":1},{"sku":"SKU-1","quantity":1}]}`},
		{"bad order id", "/reservations", `{"order_id":"","items":[{"sku":"SKU-1","quantity":1}]}`},
		{"oversized body", "/reservations", webtest.Oversized()},
		{"release with an unknown field", "/reservations/b1/release", `{"all":true}`},
		{"release bad id", "/reservations/a%20b/release", ``},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, p := webtest.Send(t, http.MethodPost, f.URL+tc.path, "application/json", tc.body)
			if status != http.StatusBadRequest || p.Code != "invalid-request" {
				t.Fatalf("got %d %+v, want 400 invalid-request", status, p)
			}
		})
	}
	all, err := f.Store.Reservations(context.Background(), keyset.Page{Limit: keyset.MaxLimit})
	if err != nil || len(all) != 0 {
		t.Fatalf("bad input wrote %d reservations (err %v), want none", len(all), err)
	}
	if st := stock(t, f, "SKU-1"); st.Available != 1000 || st.Reserved != 0 {
		t.Fatalf("bad input changed stock: %+v", st)
	}
	f.WantEvents(t)
}

// Retries of one order's calls can arrive together (a timed-out call and
// its retry, two replicas). On PostgreSQL they run in parallel
// transactions; the reservation must still be taken once and given back
// once.
func TestRacingRepeatsOfOneOrderReserveAndReleaseOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const racers = 8
	race := func(call func() error) { dbtest.Race(t, racers, call) }
	race(func() error {
		_, err := f.Client.Reserve(ctx, reserve("o-race", inventoryapi.Item{SKU: "SKU-2", Quantity: 5}))
		return err
	})
	if st := stock(t, f, "SKU-2"); st.Available != 95 || st.Reserved != 5 {
		t.Fatalf("after %d racing reserves: %+v, want 95 / 5", racers, st)
	}
	race(func() error {
		_, err := f.Client.Release(ctx, "o-race", inventoryapi.ReleaseRequest{})
		return err
	})
	if st := stock(t, f, "SKU-2"); st.Available != 100 || st.Reserved != 0 {
		t.Fatalf("after %d racing releases: %+v, want 100 / 0", racers, st)
	}
	race(func() error {
		_, err := f.Client.Release(ctx, "o-never", inventoryapi.ReleaseRequest{})
		return err
	})
	f.WantEvents(t, "o-race:StockReserved", "o-race:StockReleased", "o-never:StockReleased")
}

// Once the order is approved (the saga's pivot) its stock stays reserved: a
// late or mistaken release is refused over HTTP and changes nothing.
func TestReleaseOfAnApprovedOrderIsRefused(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.Client.Reserve(ctx, reserve("o-ok", inventoryapi.Item{SKU: "SKU-2", Quantity: 3})); err != nil {
		t.Fatal(err)
	}
	for range 2 { // idempotent
		if err := f.Store.MarkApproved(ctx, "o-ok"); err != nil {
			t.Fatal(err)
		}
	}
	_, err := f.Client.Release(ctx, "o-ok", inventoryapi.ReleaseRequest{Reason: "too late"})
	if !errors.Is(err, fault.ErrIllegalTransition) || !strings.Contains(err.Error(), "approved") {
		t.Fatalf("release of an approved order: %v, want an illegal transition that says it is approved", err)
	}
	if st := stock(t, f, "SKU-2"); st.Reserved != 3 || st.Available != 97 {
		t.Fatalf("SKU-2 after the refused release: %+v, want 3 still reserved", st)
	}
	if err := f.Store.MarkApproved(ctx, "o-unknown"); err != nil {
		t.Fatalf("approval of an order with no reservation: %v, want nothing to do", err)
	}
}

// BenchmarkReserveRelease is inventory's hot path through HTTP and a
// file-backed SQLite database: a reservation and its release (two write
// transactions, each with its outbox row).
func BenchmarkReserveRelease(b *testing.B) {
	f := newFixture(b)
	servicetest.Bench(b, func(ctx context.Context, id string) error {
		if _, err := f.Client.Reserve(ctx, reserve(id, inventoryapi.Item{SKU: "SKU-1", Quantity: 1})); err != nil {
			return err
		}
		_, err := f.Client.Release(ctx, id, inventoryapi.ReleaseRequest{})
		return err
	})
}

// FuzzInventoryRequests sends arbitrary bodies to the reserve and release
// endpoints (see servicetest.Fuzz); whatever happened, every SKU still
// holds its seeded stock as available plus reserved, never below zero.
func FuzzInventoryRequests(f *testing.F) {
	fx := newFixture(f)
	fx.Fuzz(f, servicetest.Fuzz{
		Collection: "/reservations", Actions: []string{"release"}, Recorded: "out-of-stock",
		Seeds: []string{
			`{"order_id":"f1","items":[{"sku":"SKU-1","quantity":2}]}`,
			`{"order_id":"f2","items":[{"sku":"SKU-1","quantity":1},{"sku":"SKU-2","quantity":100}]}`,
			`{"order_id":"f3","items":[{"sku":"SKU-OUT","quantity":1}]}`,
			`{"order_id":"f1","items":[{"sku":"SKU-1","quantity":-5}]}`,
			`{"order_id":"f1","items":[{"sku":"SKU-1","quantity":1},{"sku":"SKU-1","quantity":1}]}`,
			`{"reason":"payment declined"}`,
			`{"order_id":`, `[]`, `null`, ``,
		},
		Check: func(t *testing.T, ctx context.Context) {
			all, err := fx.Store.AllStock(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range all {
				if st.Available < 0 || st.Reserved < 0 || st.Available+st.Reserved != st.Initial {
					t.Fatalf("stock of %s is %+v, not conserved", st.SKU, st)
				}
			}
		},
	})
}
