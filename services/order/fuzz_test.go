package order_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sagaforge/saga/services/order"
	"github.com/sagaforge/saga/services/servicetest"
)

// FuzzOrderRequests sends arbitrary bodies to the order service's mutating
// endpoints (see servicetest.Fuzz); whatever happened, every order that is
// not a tombstone has exactly one OrderCreated event, so a refusal wrote
// no order and a create wrote one order and its event.
func FuzzOrderRequests(f *testing.F) {
	fx := newFixture(f)
	fx.Fuzz(f, servicetest.Fuzz{
		Collection: "/orders", Actions: []string{"approve", "cancel"},
		Seeds: []string{
			`{"order_id":"f1","customer_id":"alice","items":[{"sku":"SKU-1","quantity":2}]}`,
			`{"order_id":"f1","customer_id":"alice","items":[{"sku":"SKU-1","quantity":2}],"mode":"choreography"}`,
			`{"order_id":"f2","customer_id":"bob","items":[{"sku":"SKU-1","quantity":1},{"sku":"SKU-2","quantity":1}]}`,
			`{"order_id":"f1","customer_id":"alice","items":[{"sku":"SKU-1","quantity":-1}]}`,
			`{"order_id":"f1","customer_id":"alice","items":[{"sku":"SKU-1","quantity":1e9}]}`,
			`{"order_id":"f1","customer_id":"alice","items":[{"sku":"SKU-1","quantity":1},{"sku":"SKU-1","quantity":1}]}`,
			`{"order_id":"f1","customer_id":"","items":null}`,
			`{"reason":"customer asked"}`,
			`{"order_id":`, `[]`, `null`, `"x"`, ``,
		},
		Check: func(t *testing.T, ctx context.Context) {
			orders, err := fx.Store.List(ctx, order.ListFilter{})
			if err != nil {
				t.Fatal(err)
			}
			created := map[string]int{}
			for _, e := range fx.Events(t) {
				if id, ok := strings.CutSuffix(e, ":OrderCreated"); ok {
					created[id]++
				}
			}
			live := 0
			for _, o := range orders {
				if !o.Tombstone {
					live++
					if created[o.ID] != 1 {
						t.Fatalf("order %s has %d OrderCreated events, want 1", o.ID, created[o.ID])
					}
				}
			}
			if live != len(created) {
				t.Fatalf("%d orders but %d OrderCreated events", live, len(created))
			}
		},
	})
}
