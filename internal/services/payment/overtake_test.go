package payment

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"gorm.io/gorm"

	"github.com/sagaforge/saga/internal/messaging/outbox"
	"github.com/sagaforge/saga/internal/platform/watch"
	api "github.com/sagaforge/saga/internal/services/payment/paymentapi"
	"github.com/sagaforge/saga/internal/services/servicetest"
)

// A StockReserved that overtook its OrderCreated waits for it in-process and
// goes on the moment it is recorded, instead of failing into the consumer's
// retry backoff: without the wake-up it fails after orderCreatedWait.
func TestOvertakingStockReservedWaitsForOrderCreated(t *testing.T) {
	ctx := context.Background()
	var seen watch.Set[struct{}]
	missed := make(chan struct{})
	loads := 0
	load := func(context.Context, string) (PendingCharge, error) {
		if loads++; loads == 1 {
			close(missed) // the first read finds nothing: OrderCreated is late
			return PendingCharge{}, fmt.Errorf("charge for ord-late: %w", errOrderNotSeenYet)
		}
		return PendingCharge{OrderID: "ord-late", CustomerID: "alice", Amount: 4990}, nil
	}
	type result struct {
		req PendingCharge
		err error
	}
	got := make(chan result, 1)
	go func() {
		req, err := awaitPendingCharge(ctx, &seen, "ord-late", load)
		got <- result{req, err}
	}()
	<-missed
	seen.Notify("ord-late", struct{}{}) // OrderCreated committed
	r := <-got
	if r.err != nil || r.req.CustomerID != "alice" || loads != 2 {
		t.Fatalf("got %+v, %v after %d reads; want alice's charge, read again once woken", r.req, r.err, loads)
	}
}

// The store's read tells a missing request apart, so the handler waits only
// for that.
func TestPendingChargeNotSeenYet(t *testing.T) {
	ctx := context.Background()
	store := servicetest.Start(t, Service, api.NewClient).Store
	if _, err := store.pendingCharge(ctx, "ord-x"); !errors.Is(err, errOrderNotSeenYet) {
		t.Fatalf("missing request: %v, want errOrderNotSeenYet", err)
	}
	if err := store.Outbox.Transact(ctx, func(tx *gorm.DB, _ outbox.Emit) error {
		return tx.Create(&PendingCharge{OrderID: "ord-x", CustomerID: "bob", Amount: 100}).Error
	}); err != nil {
		t.Fatal(err)
	}
	if req, err := store.pendingCharge(ctx, "ord-x"); err != nil || req.CustomerID != "bob" {
		t.Fatalf("got %+v, %v", req, err)
	}
}

// Inside a batch of events the handler holds the one writer that the late
// OrderCreated needs to commit, so it does not wait: it fails at once, and
// the consumer handles it alone once the batch has committed.
func TestOvertakingStockReservedDoesNotWaitInsideABatch(t *testing.T) {
	ctx := context.Background()
	ob := servicetest.Start(t, Service, api.NewClient).Outbox
	var seen watch.Set[struct{}]
	loads := 0
	load := func(context.Context, string) (PendingCharge, error) {
		if loads++; loads == 1 {
			// OrderCreated commits elsewhere right after this read: a
			// handler that waited would wake and read it.
			go seen.Notify("ord-late", struct{}{})
			return PendingCharge{}, fmt.Errorf("charge for ord-late: %w", errOrderNotSeenYet)
		}
		return PendingCharge{OrderID: "ord-late", CustomerID: "alice", Amount: 4990}, nil
	}
	done, failed, err := ob.Batch(ctx, 1, func(ctx context.Context, _ int) error {
		_, err := awaitPendingCharge(ctx, &seen, "ord-late", load)
		return err
	})
	if err != nil || done != 0 || !errors.Is(failed, errOrderNotSeenYet) || loads != 1 {
		t.Fatalf("in a batch: done %d, failed %v, err %v after %d reads; want errOrderNotSeenYet after one read", done, failed, err, loads)
	}
}
