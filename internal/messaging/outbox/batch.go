package outbox

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/platform/telemetry"
)

// batch is one transaction that the handlers of several consumed events
// share (Outbox.Batch).
type batch struct {
	tx      *gorm.DB
	n       int      // savepoints taken
	emitted bool     // some event wrote to the outbox: wake the relay
	after   []func() // AfterCommit hooks
}

type batchKey struct{}

// Batch runs each(ctx, i) for i = 0..n-1, in order, in one transaction,
// until one returns an error, and commits the ones before it. Under the
// context each is given, Transact joins that transaction inside a
// savepoint, so a handler that fails leaves nothing behind while the
// others' effects, inbox records and events commit together: one write
// transaction instead of n, which is what a service with one SQLite writer
// runs short of. done is how many succeeded; failed is the error of the
// one that stopped the batch, for the caller to handle alone with its
// retries. err means nothing was committed. After the commit Batch runs the
// AfterCommit hooks and wakes the relay.
func (o *Outbox) Batch(ctx context.Context, n int, each func(ctx context.Context, i int) error) (done int, failed error, err error) {
	b := &batch{}
	err = o.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		b.tx, b.after, b.emitted, done, failed = tx, nil, false, 0, nil
		in := context.WithValue(ctx, batchKey{}, b)
		for i := range n {
			// The event's own savepoint undoes all it did, should it fail
			// after a Transact of its own succeeded.
			name, hooks, emitted := b.savepoint(), len(b.after), b.emitted
			if err := tx.SavePoint(name).Error; err != nil {
				return fmt.Errorf("savepoint: %w", err)
			}
			if failed = each(in, i); failed != nil {
				b.after, b.emitted = b.after[:hooks], emitted
				if err := tx.RollbackTo(name).Error; err != nil {
					return fmt.Errorf("roll back to savepoint: %w", err)
				}
				return nil
			}
			done++
		}
		return nil
	})
	if err != nil {
		return 0, nil, fmt.Errorf("commit a batch of %d events: %w", done, err)
	}
	for _, fn := range b.after {
		fn()
	}
	if b.emitted {
		o.Wake()
	}
	return done, failed, nil
}

// transact is Transact inside a batch: fn and its inbox record and events
// in a savepoint of the batch's transaction, undone if it fails as a
// transaction of its own would be.
func (b *batch) transact(ctx context.Context, fn func(tx *gorm.DB, emit Emit) error) error {
	name := b.savepoint()
	tx := b.tx.WithContext(ctx)
	if err := tx.SavePoint(name).Error; err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	var pending []events.Envelope
	err := claim(ctx, tx)
	if err == nil {
		err = fn(tx, func(e events.Envelope) { pending = append(pending, e) })
	}
	if err == nil {
		err = appendRows(tx, pending, telemetry.Traceparent(ctx))
	}
	if err != nil {
		if rerr := tx.RollbackTo(name).Error; rerr != nil {
			return errors.Join(err, fmt.Errorf("roll back to savepoint: %w", rerr))
		}
		return err
	}
	b.emitted = b.emitted || len(pending) > 0
	return nil
}

// savepoint names a new savepoint.
func (b *batch) savepoint() string {
	b.n++
	return fmt.Sprintf("sp%d", b.n)
}

// InBatch reports whether ctx runs inside a Batch. A handler there holds
// the batch's transaction, on SQLite the one writer: it must not wait for
// another event's commit, but fail, to be handled alone once the batch
// commits.
func InBatch(ctx context.Context) bool {
	_, ok := ctx.Value(batchKey{}).(*batch)
	return ok
}

// AfterCommit runs fn once what Transact just did under ctx is committed:
// at once, or, inside a Batch, after the batch commits. Wake-ups of
// readers waiting for a change go here, so that they never read before
// the change is there to be read.
func AfterCommit(ctx context.Context, fn func()) {
	if b, ok := ctx.Value(batchKey{}).(*batch); ok {
		b.after = append(b.after, fn)
		return
	}
	fn()
}
