package inventory_test

import (
	"context"
	"testing"

	"github.com/sagaforge/saga/services/servicetest"
)

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
