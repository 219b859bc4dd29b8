package outbox_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/messaging/outbox"
	"github.com/sagaforge/saga/internal/platform/database/dbtest"
	"github.com/sagaforge/saga/internal/saga"
)

// count counts the outbox's rows through db.
func count(t *testing.T, db *gorm.DB) int64 {
	t.Helper()
	var n int64
	if err := db.Model(&outbox.Message{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// A batch commits the events before the first that fails, in one
// transaction, and nothing of that one: each event is its own savepoint,
// recorded in the inbox with its effects. Hooks run once the rows can be
// read from outside, and handlers inside read what the earlier ones did.
func TestBatchCommitsWhatCameBeforeTheFailure(t *testing.T) {
	ob := openOutbox(t, dbtest.DSN(t, "svc"))
	ctx := context.Background()
	emitOne := func(ctx context.Context, id string) error {
		e := events.New(events.Source("order"), events.OrderCancelled, id, saga.Choreography, events.OrderCancelledData{OrderID: id}, time.Now())
		return ob.Transact(outbox.Consuming(ctx, "test", "ev-"+id), func(tx *gorm.DB, emit outbox.Emit) error { emit(e); return nil })
	}
	boom := errors.New("boom")
	var seenInside []int64
	var seenByHook int64 = -1
	done, failed, err := ob.Batch(ctx, 4, func(ctx context.Context, i int) error {
		switch i {
		case 0, 1:
			if err := emitOne(ctx, []string{"a", "b"}[i]); err != nil {
				return err
			}
			seenInside = append(seenInside, count(t, ob.DB(ctx)))
			if i == 1 {
				outbox.AfterCommit(ctx, func() { seenByHook = count(t, ob.DB(context.Background())) })
			}
			return nil
		case 2:
			// Its effect is written, then it fails: the savepoint undoes it.
			_ = emitOne(ctx, "c")
			return ob.Transact(ctx, func(tx *gorm.DB, emit outbox.Emit) error { return boom })
		default:
			t.Error("the batch went on past the failure")
			return nil
		}
	})
	if err != nil || done != 2 || !errors.Is(failed, boom) {
		t.Fatalf("Batch: done %d, failed %v, err %v; want 2, boom, nil", done, failed, err)
	}
	if len(seenInside) != 2 || seenInside[0] != 1 || seenInside[1] != 2 {
		t.Fatalf("handlers read %v rows inside the batch, want [1 2]", seenInside)
	}
	if seenByHook != 2 {
		t.Fatalf("the hook read %d rows from outside, want the 2 committed", seenByHook)
	}
	if n := count(t, ob.DB(ctx)); n != 2 {
		t.Fatalf("%d rows committed, want 2 (a and b; c was undone with its event)", n)
	}
	// Each handled event is in the inbox: handled again, it is a duplicate;
	// c's record was undone with it, so c can be handled.
	if err := emitOne(ctx, "a"); !errors.Is(err, outbox.ErrAlreadyProcessed) {
		t.Fatalf("a again: %v, want ErrAlreadyProcessed", err)
	}
	if err := emitOne(ctx, "c"); err != nil {
		t.Fatalf("c alone after the batch: %v", err)
	}
}
