package order

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/sagaforge/saga/internal/platform/database/dbtest"
	"github.com/sagaforge/saga/internal/platform/input"
	api "github.com/sagaforge/saga/internal/services/order/orderapi"
	"github.com/sagaforge/saga/internal/services/servicetest"
)

// A waiter answers with the order it was woken with instead of reading it
// again, so that order must be exactly what a read returns: after an
// approve, and after a cancel that left a tombstone.
func TestWokenOrderIsWhatAReadReturns(t *testing.T) {
	ctx := context.Background()
	s := servicetest.Start(t, Service, api.NewClient).Store
	if _, _, err := s.Create(ctx, NewOrder{ID: "w-1", CustomerID: "alice", Items: []input.Item{{SKU: "SKU-2", Quantity: 1}, {SKU: "SKU-1", Quantity: 2}}}); err != nil {
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

// On PostgreSQL replicas share the database: a waiter on one replica is
// woken by the approval another commits, through the database's
// notification, not by its recheck (an hour here).
func TestAWaiterIsWokenByAnotherReplicasChange(t *testing.T) {
	if dbtest.Engine() != "postgres" {
		t.Skip("replicas share a database only on PostgreSQL (SAGA_TEST_POSTGRES)")
	}
	ctx := context.Background()
	first := servicetest.Start(t, Service, api.NewClient)
	second := first.Restart(t)
	first.Store.Recheck = time.Hour
	listening := make(chan struct{}, 1)
	first.Store.listening = func() { listening <- struct{}{} }
	listenCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		first.Store.ListenSettled(listenCtx, first.DSN, slog.New(slog.DiscardHandler))
	}()
	t.Cleanup(func() { stop(); <-done })
	<-listening
	if _, _, err := first.Store.Create(ctx, NewOrder{ID: "r-1", CustomerID: "alice", Items: []input.Item{{SKU: "SKU-1", Quantity: 1}}}); err != nil {
		t.Fatal(err)
	}
	next, release := first.Store.changes.Wait("r-1")
	defer release()
	if _, err := second.Store.Approve(ctx, "r-1"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-next.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the waiter on the first replica was not woken by the second replica's approval")
	}
	o, err := first.Store.AwaitSettled(ctx, "r-1")
	if err != nil || o.Status != api.StatusApproved {
		t.Fatalf("after the wake-up: %v %v, want APPROVED", o.Status, err)
	}
}
