package order_test

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkCreateApprove is the order service's hot path through HTTP and a
// file-backed SQLite database: create an order and approve it.
func BenchmarkCreateApprove(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		id := fmt.Sprintf("b-%d", i)
		if _, err := f.Client.Create(ctx, createReq(id)); err != nil {
			b.Fatal(err)
		}
		if _, err := f.Client.Approve(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
}
