package order

import (
	"context"
	"encoding/json"
	"testing"

	api "github.com/sagaforge/saga/services/order/orderapi"
	"github.com/sagaforge/saga/services/servicetest"
)

// A waiter answers with the order it was woken with instead of reading it
// again, so that order must be exactly what a read returns: after an
// approve, and after a cancel that left a tombstone.
func TestWokenOrderIsWhatAReadReturns(t *testing.T) {
	ctx := context.Background()
	s := servicetest.Start(t, Service, api.NewClient).Store
	if _, _, err := s.Create(ctx, NewOrder{ID: "w-1", CustomerID: "alice", Items: []api.Item{{SKU: "SKU-2", Quantity: 1}, {SKU: "SKU-1", Quantity: 2}}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id     string
		change func() error
	}{
		{"w-1", func() error { _, err := s.Approve(ctx, "w-1"); return err }},
		{"w-2", func() error { _, err := s.Cancel(ctx, "w-2", "cancelled before it was created"); return err }},
	} {
		next, release := s.changes.Wait(c.id)
		if err := c.change(); err != nil {
			t.Fatal(err)
		}
		<-next.Done()
		release()
		read, err := s.Get(ctx, c.id)
		if err != nil {
			t.Fatal(err)
		}
		// Compared as clients get them: PostgreSQL reads times back in
		// another *time.Location for the same instant.
		woken, _ := json.Marshal(next.Value().wire())
		want, _ := json.Marshal(read.wire())
		if string(woken) != string(want) {
			t.Errorf("%s: woken with\n%s\nbut a read returns\n%s", c.id, woken, want)
		}
	}
}
