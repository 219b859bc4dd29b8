package order_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/sagaforge/saga/platform/web/webtest"
	"github.com/sagaforge/saga/services/order"
)

// FuzzOrderRequests sends arbitrary bodies to the order service's mutating
// endpoints. Whatever arrives, the answer is a success or a 4xx problem,
// never a 5xx, and a refusal writes neither an order nor an event.
func FuzzOrderRequests(f *testing.F) {
	webtest.FuzzSeed(f, 3,
		`{"order_id":"f1","customer_id":"alice","items":[{"sku":"SKU-1","quantity":2}]}`,
		`{"order_id":"f1","customer_id":"alice","items":[{"sku":"SKU-1","quantity":2}],"mode":"choreography"}`,
		`{"order_id":"f2","customer_id":"bob","items":[{"sku":"SKU-1","quantity":1},{"sku":"SKU-2","quantity":1}]}`,
		`{"order_id":"f1","customer_id":"alice","items":[{"sku":"SKU-1","quantity":-1}]}`,
		`{"order_id":"f1","customer_id":"alice","items":[{"sku":"SKU-1","quantity":1e9}]}`,
		`{"order_id":"f1","customer_id":"alice","items":[{"sku":"SKU-1","quantity":1},{"sku":"SKU-1","quantity":1}]}`,
		`{"order_id":"f1","customer_id":"","items":null}`,
		`{"reason":"customer asked"}`,
		`{"order_id":`, `[]`, `null`, `"x"`, ``,
	)
	fx := newFixture(f)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, op uint8, id, body string) {
		path := webtest.FuzzPath(op, "/orders", id, "approve", "cancel")
		ordersBefore, err := fx.Store.List(ctx, order.ListFilter{})
		if err != nil {
			t.Fatal(err)
		}
		eventsBefore := len(fx.Events(t))
		status, _ := webtest.Mutation(t, fx.URL+path, body, func() int { return len(fx.Events(t)) }, "")
		ordersAfter, err := fx.Store.List(ctx, order.ListFilter{})
		if err != nil {
			t.Fatal(err)
		}
		eventsAfter := len(fx.Events(t))
		switch {
		case status >= 400 && len(ordersAfter) != len(ordersBefore):
			t.Fatalf("POST %s %q refused with %d but wrote orders: %d -> %d", path, body, status, len(ordersBefore), len(ordersAfter))
		case status == http.StatusCreated && (len(ordersAfter) != len(ordersBefore)+1 || eventsAfter != eventsBefore+1):
			t.Fatalf("POST %s %q created, but orders %d -> %d, events %d -> %d",
				path, body, len(ordersBefore), len(ordersAfter), eventsBefore, eventsAfter)
		}
	})
}
