package order

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/sagaforge/saga/internal/messaging/chain"
	"github.com/sagaforge/saga/internal/messaging/consumer"
	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/messaging/outbox"
	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/platform/process"
	"github.com/sagaforge/saga/internal/saga"
	api "github.com/sagaforge/saga/internal/services/order/orderapi"
	"gorm.io/gorm"
)

// Subscriptions are the order service's part of the choreographed saga:
// approve once the payment is captured; cancel when stock is rejected or
// released, or when a step before the pivot was dead-lettered. Each acts only on
// an order whose own mode is choreography. They call the same store
// operations as the HTTP API.
func Subscriptions(store *Store) ([]consumer.Subscription, error) {
	subs, err := consumer.Wire("order",
		consumer.On(func(ctx context.Context, orderID string, d events.StockRejectedData) error {
			return store.cancelChoreographed(ctx, orderID, fmt.Sprintf("%v: %s", fault.ErrOutOfStock, d.Reason))
		}),
		consumer.On(func(ctx context.Context, orderID string, d events.StockReleasedData) error {
			reason := d.Reason
			if reason == "" {
				reason = "stock released"
			}
			return store.cancelChoreographed(ctx, orderID, reason)
		}),
		// The pivot. Approving a cancelled order is refused, and that
		// order's OrderCancelled already makes the others refund and
		// release.
		consumer.On(func(ctx context.Context, orderID string, _ events.PaymentCapturedData) error {
			if ok, err := store.choreographed(ctx, orderID); !ok {
				return err
			}
			_, err := store.Approve(ctx, orderID)
			return err
		}),
		// A dead letter is a step of the saga that failed for good: the
		// saga is cancelled, and the others compensate on OrderCancelled.
		consumer.On(func(ctx context.Context, orderID string, dl events.DeadLetter) error {
			failed := "an event"
			if orig, err := events.Decode([]byte(dl.Payload)); err == nil {
				failed = string(orig.Type)
				service, _, _ := strings.Cut(dl.Consumer, ".")
				if r, ok := chain.Of(service, orig.Type); ok && r.Class == chain.Retriable {
					// After the pivot the saga only goes forward: the
					// dead letter is the alert, and nothing is undone.
					slog.ErrorContext(ctx, "a step after the pivot was dead-lettered; the order stays approved",
						"order_id", orderID, "step", r.Op, "reason", dl.Reason)
					return nil
				}
			}
			return store.cancelChoreographed(ctx, orderID, fmt.Sprintf("saga step failed: %s could not handle %s: %s", dl.Consumer, failed, dl.Reason))
		}),
	)
	if err != nil {
		return nil, err
	}
	// A step before the pivot done by another service is progress: the
	// saga's deadline counts from the latest. Those whose events the order
	// service reacts to anyway (the charge, which approves) need no note.
	for _, st := range saga.Purchase.Steps {
		done := events.Type(st.Done)
		if st.Class != saga.Compensatable || st.Service == "order" {
			continue
		}
		for i := range subs {
			_, handled := subs[i].Handlers[done]
			if subs[i].Topic == done.Topic() && !handled {
				subs[i].Fences[done] = store.noteProgress
			}
		}
	}
	return subs, nil
}

// noteProgress records e's time as its choreographed order's last progress,
// if it is later than what the order holds and the order is still pending.
func (s *Store) noteProgress(ctx context.Context, e events.Envelope) error {
	if e.SagaMode != saga.Choreography {
		return nil // the orchestrator keeps its own deadlines: no write for it
	}
	err := s.outbox.Transact(ctx, func(tx *gorm.DB, _ outbox.Emit) error {
		return tx.Model(&Order{}).
			Where("id = ? AND status = ? AND mode = ? AND (progress_at IS NULL OR progress_at < ?)", e.Subject, api.StatusPending, saga.Choreography, e.Time).
			Update("progress_at", e.Time).Error
	})
	if err != nil {
		return fmt.Errorf("note progress of order %s: %w", e.Subject, err)
	}
	return nil
}

// choreographed tells whether the order exists and its own mode is
// choreography; an event's word for the mode is not enough to act on.
func (s *Store) choreographed(ctx context.Context, id string) (bool, error) {
	o, err := s.Get(ctx, id)
	if err != nil {
		return false, err
	}
	if o.Mode != saga.Choreography {
		slog.WarnContext(ctx, "event ignored: the orchestrator drives this order", "order_id", id)
		return false, nil
	}
	return true, nil
}

// cancelChoreographed cancels a choreographed order; an approved one stays
// approved (the refusal is acknowledged: its approval was published).
func (s *Store) cancelChoreographed(ctx context.Context, id, why string) error {
	ok, err := s.choreographed(ctx, id)
	if errors.Is(err, fault.ErrNotFound) {
		return nil // nothing was created, so nothing is held for it
	}
	if !ok {
		return err
	}
	_, err = s.Cancel(ctx, id, why)
	return err
}

// ExpireChoreographed cancels the choreographed orders still PENDING whose
// last progress is more than deadline before upTo, the time up to which
// the order service has read every event (so a progress it has not read
// yet, after an outage of its own, does not count as none). A saga that
// makes no progress is cancelled, and its compensations follow on
// OrderCancelled, as the orchestrator gives up on a step after its
// deadline. It returns the orders it cancelled.
func (s *Store) ExpireChoreographed(ctx context.Context, deadline time.Duration, upTo time.Time) ([]string, error) {
	var ids []string
	err := s.outbox.DB(ctx).Model(&Order{}).
		Where("status = ? AND mode = ? AND COALESCE(progress_at, created_at) < ?", api.StatusPending, saga.Choreography, upTo.Add(-deadline)).
		Order("created_at").Limit(100).Pluck("id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("find expired orders: %w", err)
	}
	var cancelled []string
	for _, id := range ids {
		o, err := s.Cancel(ctx, id, fmt.Sprintf("no progress within %s: the choreographed saga's deadline passed", deadline))
		switch {
		case errors.Is(err, fault.ErrIllegalTransition):
			continue // approved meanwhile
		case err != nil:
			return cancelled, err
		}
		if o.Status == api.StatusCancelled {
			cancelled = append(cancelled, id)
		}
	}
	return cancelled, nil
}

// RunDeadline runs ExpireChoreographed every tick until ctx ends, up to
// the time readUpTo says the service's consumers have read every event by.
func (s *Store) RunDeadline(ctx context.Context, log *slog.Logger, deadline time.Duration, readUpTo func(context.Context) (time.Time, bool, error)) {
	caughtUp := time.Now()
	process.Every(ctx, min(max(deadline/10, 100*time.Millisecond), 5*time.Second), func() {
		upTo, ok, err := readUpTo(ctx)
		if err != nil || !ok {
			if err != nil && ctx.Err() == nil {
				log.Warn("saga deadline check skipped: how far the consumers have read is unknown", "err", err)
			}
			if behind := time.Since(caughtUp); err == nil && behind > deadline {
				// A consumer stuck on an event holds every deadline back.
				log.Warn("saga deadlines wait: the consumers have not read what came before for longer than the deadline",
					"behind", behind.Round(time.Second), "deadline", deadline)
			}
			return
		}
		caughtUp = time.Now()
		cancelled, err := s.ExpireChoreographed(ctx, deadline, upTo)
		if err != nil && ctx.Err() == nil {
			log.Warn("saga deadline check failed", "err", err)
		}
		for _, id := range cancelled {
			log.Info("choreographed saga past its deadline cancelled", "order_id", id, "deadline", deadline)
		}
	})
}
