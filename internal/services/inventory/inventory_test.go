package inventory_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/services/inventory"
	"github.com/sagaforge/saga/internal/services/inventory/inventoryapi"
	"github.com/sagaforge/saga/internal/services/servicetest"
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

func reserve(id string, items ...input.Item) inventoryapi.ReserveRequest {
	return inventoryapi.ReserveRequest{OrderID: id, Items: items}
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
			_, err := f.Client.Reserve(ctx, reserve(fmt.Sprintf("c-%d", i), input.Item{SKU: "SKU-2", Quantity: 3}))
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

// The step after the pivot: a reservation ships once, its stock moving from
// reserved to shipped with its event; a shipped reservation is final (no
// release, and a repeated reserve is answered as done), and there is
// nothing to ship for a released, rejected or unknown one.
func TestShipSendsAReservationOutOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.Client.Reserve(ctx, reserve("s-1", input.Item{SKU: "SKU-2", Quantity: 3})); err != nil {
		t.Fatal(err)
	}
	for range 2 { // a repeat answers as the first
		if r, err := f.Client.Ship(ctx, "s-1"); err != nil || r.Status != inventoryapi.Shipped || len(r.Items) != 1 {
			t.Fatalf("ship: %+v, %v; want SHIPPED with its line", r, err)
		}
	}
	if st := stock(t, f, "SKU-2"); st.Available != 97 || st.Reserved != 0 || st.Shipped != 3 {
		t.Fatalf("stock %+v; want 97 available, 0 reserved, 3 shipped", st)
	}
	if _, err := f.Client.Release(ctx, "s-1", inventoryapi.ReleaseRequest{Reason: "late cancel"}); !errors.Is(err, fault.ErrIllegalTransition) {
		t.Fatalf("release of a shipped reservation: %v; want it refused", err)
	}
	// The retry of a workflow task that was lost after it shipped asks for
	// the reservation again: it is answered as done, and nothing is taken.
	if r, err := f.Client.Reserve(ctx, reserve("s-1", input.Item{SKU: "SKU-2", Quantity: 3})); err != nil || r.Status != inventoryapi.Shipped {
		t.Fatalf("reserve repeated after the ship: %+v, %v; want it answered as done, SHIPPED", r, err)
	}
	if st := stock(t, f, "SKU-2"); st.Available != 97 || st.Shipped != 3 {
		t.Fatalf("stock %+v after the repeat; want it unchanged", st)
	}
	if _, err := f.Client.Reserve(ctx, reserve("s-2", input.Item{SKU: "SKU-1", Quantity: 1})); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Client.Release(ctx, "s-2", inventoryapi.ReleaseRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Client.Ship(ctx, "s-2"); !errors.Is(err, fault.ErrIllegalTransition) {
		t.Fatalf("ship of a released reservation: %v; want it refused", err)
	}
	if _, err := f.Client.Ship(ctx, "s-404"); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("ship of no reservation: %v; want not found", err)
	}
	f.WantEvents(t, "s-1:StockReserved", "s-1:StockShipped", "s-2:StockReserved", "s-2:StockReleased")
}

// BenchmarkReserveRelease is inventory's hot path through HTTP and a
// file-backed SQLite database: a reservation and its release (two write
// transactions, each with its outbox row).
func BenchmarkReserveRelease(b *testing.B) {
	f := newFixture(b)
	servicetest.Bench(b, func(ctx context.Context, id string) error {
		if _, err := f.Client.Reserve(ctx, reserve(id, input.Item{SKU: "SKU-1", Quantity: 1})); err != nil {
			return err
		}
		_, err := f.Client.Release(ctx, id, inventoryapi.ReleaseRequest{})
		return err
	})
}

// FuzzInventoryRequests sends arbitrary bodies to the reserve, release and
// ship endpoints (see servicetest.Fuzz); whatever happened, every SKU still
// holds its seeded stock as available plus reserved plus shipped, never
// below zero.
func FuzzInventoryRequests(f *testing.F) {
	fx := newFixture(f)
	fx.Fuzz(f, servicetest.Fuzz{
		Collection: "/reservations", Actions: []string{"release", "ship"}, Recorded: "out-of-stock",
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
				if st.Available < 0 || st.Reserved < 0 || st.Shipped < 0 || st.Available+st.Reserved+st.Shipped != st.Initial {
					t.Fatalf("stock of %s is %+v, not conserved", st.SKU, st)
				}
			}
		},
	})
}
