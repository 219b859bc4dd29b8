package inventory_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/sagaforge/saga/services/inventory/inventoryapi"
)

// BenchmarkReserveRelease is inventory's hot path through HTTP and a
// file-backed SQLite database: a reservation and its release (two write
// transactions, each with its outbox row).
func BenchmarkReserveRelease(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		id := fmt.Sprintf("b-%d", i)
		if _, err := f.Client.Reserve(ctx, reserve(id, inventoryapi.Item{SKU: "SKU-1", Quantity: 1})); err != nil {
			b.Fatal(err)
		}
		if _, err := f.Client.Release(ctx, id, inventoryapi.ReleaseRequest{}); err != nil {
			b.Fatal(err)
		}
	}
}
