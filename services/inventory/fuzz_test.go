package inventory_test

import (
	"context"
	"testing"

	"github.com/sagaforge/saga/platform/web/webtest"
)

// FuzzInventoryRequests sends arbitrary bodies to the reserve and release
// endpoints. The answer is a success or a 4xx problem, never a 5xx; a refusal
// writes no event but a recorded decline's or rejection's own; and whatever happened, every SKU still holds its seeded
// stock as available plus reserved, never below zero.
func FuzzInventoryRequests(f *testing.F) {
	webtest.FuzzSeed(f, 2,
		`{"order_id":"f1","items":[{"sku":"SKU-1","quantity":2}]}`,
		`{"order_id":"f2","items":[{"sku":"SKU-1","quantity":1},{"sku":"SKU-2","quantity":100}]}`,
		`{"order_id":"f3","items":[{"sku":"SKU-OUT","quantity":1}]}`,
		`{"order_id":"f1","items":[{"sku":"SKU-1","quantity":-5}]}`,
		`{"order_id":"f1","items":[{"sku":"SKU-1","quantity":1},{"sku":"SKU-1","quantity":1}]}`,
		`{"reason":"payment declined"}`,
		`{"order_id":`, `[]`, `null`, ``,
	)
	fx := newFixture(f)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, op uint8, id, body string) {
		path := webtest.FuzzPath(op, "/reservations", id, "release")
		webtest.Mutation(t, fx.URL+path, body, func() int { return len(fx.Events(t)) }, "out-of-stock")
		all, err := fx.Store.AllStock(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range all {
			if st.Available < 0 || st.Reserved < 0 || st.Available+st.Reserved != st.Initial {
				t.Fatalf("after POST %s %q: stock of %s is %+v, not conserved", path, body, st.SKU, st)
			}
		}
	})
}
