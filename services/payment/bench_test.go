package payment_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/sagaforge/saga/services/payment/paymentapi"
)

// BenchmarkChargeRefund is payment's hot path through HTTP and a
// file-backed SQLite database: a charge and its refund.
func BenchmarkChargeRefund(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		id := fmt.Sprintf("b-%d", i)
		if _, err := f.Client.Charge(ctx, paymentapi.ChargeRequest{OrderID: id, CustomerID: "alice", AmountCents: 1}); err != nil {
			b.Fatal(err)
		}
		if _, err := f.Client.Refund(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
}
