package order

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/sagaforge/saga/database"
	"github.com/sagaforge/saga/database/dbtest"
	"github.com/sagaforge/saga/outbox"
)

// A change wakes the waiters of that order and no one else, and a released
// watch leaves nothing behind.
func TestWatchersWakeOnlyTheChangedOrder(t *testing.T) {
	w := watchers{m: map[string]*watch{}}
	a1, releaseA1 := w.wait("a")
	a2, releaseA2 := w.wait("a")
	b, releaseB := w.wait("b")
	w.notify(Order{ID: "a", Status: StatusApproved})
	for name, x := range map[string]*watch{"first waiter of a": a1, "second waiter of a": a2} {
		select {
		case <-x.changed:
			if x.order.Status != StatusApproved {
				t.Errorf("%s woken with status %q, want the change's %q", name, x.order.Status, StatusApproved)
			}
		default:
			t.Errorf("%s not woken by a's change", name)
		}
	}
	select {
	case <-b.changed:
		t.Error("b's waiter woken by a's change")
	default:
	}
	releaseA1()
	releaseA2()
	releaseB()
	if len(w.m) != 0 {
		t.Errorf("%d watches left after every waiter released", len(w.m))
	}
}

// A waiter answers with the order it was woken with instead of reading it
// again, so that order must be exactly what a read returns: after an
// approve, and after a cancel that left a tombstone.
func TestWokenOrderIsWhatAReadReturns(t *testing.T) {
	ctx := context.Background()
	db, err := database.Open(ctx, dbtest.DSN(t, "order"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = database.Close(db) })
	s := NewStore(db, outbox.New(db))
	if err := s.Migrate(ctx, "demo"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Create(ctx, NewOrder{ID: "w-1", CustomerID: "alice", Items: []Item{{SKU: "SKU-2", Quantity: 1}, {SKU: "SKU-1", Quantity: 2}}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id     string
		change func() error
	}{
		{"w-1", func() error { _, err := s.Approve(ctx, "w-1"); return err }},
		{"w-2", func() error { _, err := s.Cancel(ctx, "w-2", "cancelled before it was created"); return err }},
	} {
		next, release := s.changes.wait(c.id)
		if err := c.change(); err != nil {
			t.Fatal(err)
		}
		<-next.changed
		release()
		read, err := s.Get(ctx, c.id)
		if err != nil {
			t.Fatal(err)
		}
		// Compared as clients get them: PostgreSQL reads times back in
		// another *time.Location for the same instant.
		woken, _ := json.Marshal(NewOrderResponse(next.order))
		want, _ := json.Marshal(NewOrderResponse(read))
		if string(woken) != string(want) {
			t.Errorf("%s: woken with\n%s\nbut a read returns\n%s", c.id, woken, want)
		}
	}
}
