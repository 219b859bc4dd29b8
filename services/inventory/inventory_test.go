package inventory_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/sagaforge/saga/platform/fault"
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
