package purchases_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/messaging/kafkaio"
	"github.com/sagaforge/saga/internal/messaging/outbox"
	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/internal/services/order"
	"github.com/sagaforge/saga/internal/services/order/orderapi"
	"github.com/sagaforge/saga/internal/services/servicetest"
	"github.com/sagaforge/saga/workers/purchases"
)

// choreographed is the purchase API in this process over a real order
// service (its own database) whose events reach an in-process broker; no
// inventory or payment runs, so a purchase stays at its first step.
func choreographed(t *testing.T) *purchases.Service {
	t.Helper()
	c, err := kfake.NewCluster(kfake.SeedTopics(1, events.Topics...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	brokers := kafkaio.Plain(c.ListenAddrs()...)
	f := servicetest.Start(t, order.Service, orderapi.NewClient)
	w := kafkaio.NewWriter(brokers)
	t.Cleanup(func() { _ = w.Close() })
	ctx, stop := context.WithCancel(context.Background())
	var relay sync.WaitGroup
	relay.Go(func() { _ = outbox.NewRelay(f.Outbox, w, slog.New(slog.DiscardHandler)).Run(ctx) })
	t.Cleanup(func() { stop(); relay.Wait() })
	return &purchases.Service{Orders: f.Client, Brokers: brokers}
}

func buy(t *testing.T, svc *purchases.Service, orderID string) purchases.Report {
	t.Helper()
	rep, err := svc.Purchase(context.Background(), purchases.Request{Mode: saga.Choreography,
		Input: saga.Input{OrderID: orderID, CustomerID: "alice", Items: []input.Item{{SKU: "SKU-1", Quantity: 1}}}}, 0)
	if err != nil || rep.Status != saga.Running {
		t.Fatalf("purchase %s: %+v, %v", orderID, rep, err)
	}
	return rep
}

// A cancel asked again, as a client does when the first answer was lost,
// answers as the first did, even when its reason needed cleaning before
// the order service stored it; a cancel with another reason is refused.
func TestARepeatedCancelAnswersAsTheFirst(t *testing.T) {
	svc := choreographed(t)
	ctx := context.Background()
	buy(t, svc, "c-1")
	why := "changed my mind \n"
	first, err := svc.Cancel(ctx, "c-1", why, time.Minute)
	if err != nil || first.Status != saga.Cancelled {
		t.Fatalf("cancel: %+v, %v", first, err)
	}
	again, err := svc.Cancel(ctx, "c-1", why, time.Minute)
	if err != nil || again.Status != saga.Cancelled || again.Reason != first.Reason {
		t.Fatalf("the same cancel again: %+v, %v; want the first answer %+v", again, err, first)
	}
	if _, err := svc.Cancel(ctx, "c-1", "another reason", time.Minute); !errors.Is(err, fault.ErrIllegalTransition) {
		t.Fatalf("another cancel of a cancelled order: %v, want %v", err, fault.ErrIllegalTransition)
	}
}

// The same purchase asked again once it has settled answers with its
// outcome, not as if it had just started.
func TestARepeatedPurchaseOfASettledOneAnswersItsOutcome(t *testing.T) {
	svc := choreographed(t)
	ctx := context.Background()
	first := buy(t, svc, "c-2")
	if _, err := svc.Cancel(ctx, "c-2", "changed my mind", time.Minute); err != nil {
		t.Fatal(err)
	}
	again, err := svc.Purchase(ctx, purchases.Request{Mode: saga.Choreography,
		Input: saga.Input{OrderID: first.OrderID, CustomerID: "alice", Items: []input.Item{{SKU: "SKU-1", Quantity: 1}}}}, 0)
	if err != nil || again.Status != saga.Cancelled || !again.Settled() {
		t.Fatalf("the purchase again: %+v, %v; want its outcome, CANCELLED", again, err)
	}
}

// A purchase whose cancel overtook its create answers CANCELLED, to its
// POST and to every GET after it, not 404.
func TestAPurchaseCancelledBeforeItWasCreatedIsFound(t *testing.T) {
	svc := choreographed(t)
	ctx := context.Background()
	if _, err := svc.Orders.Cancel(ctx, "c-3", orderapi.CancelOrderRequest{Reason: "cancelled by the customer"}); err != nil {
		t.Fatal(err)
	}
	posted, err := svc.Purchase(ctx, purchases.Request{Mode: saga.Choreography,
		Input: saga.Input{OrderID: "c-3", CustomerID: "alice", Items: []input.Item{{SKU: "SKU-1", Quantity: 1}}}}, 0)
	if err != nil || posted.Status != saga.Cancelled {
		t.Fatalf("purchase after its cancel: %+v, %v; want CANCELLED", posted, err)
	}
	got, err := svc.Get(ctx, "c-3", 0)
	if err != nil || got.Status != saga.Cancelled || got.Reason != posted.Reason {
		t.Fatalf("GET: %+v, %v; want what the POST said, %+v", got, err, posted)
	}
}

// A wait is over when its deadline has passed, even before the context
// says so: Temporal's answer to the same deadline can come first, and it
// is the end of the wait, not a failure.
func TestAWaitEndsAtItsDeadlineWhateverTheContextSaysYet(t *testing.T) {
	if !purchases.WaitEnded(notYetNoticed{time.Now().Add(-time.Millisecond)}) {
		t.Fatal("a deadline passed, not yet noticed by the context, did not end the wait")
	}
	if purchases.WaitEnded(notYetNoticed{time.Now().Add(time.Hour)}) {
		t.Fatal("an hour-long wait ended at once")
	}
}

// notYetNoticed is a context whose deadline its timer has not reached yet:
// Err is still nil.
type notYetNoticed struct{ deadline time.Time }

func (c notYetNoticed) Deadline() (time.Time, bool) { return c.deadline, true }
func (notYetNoticed) Done() <-chan struct{}         { return nil }
func (notYetNoticed) Err() error                    { return nil }
func (notYetNoticed) Value(any) any                 { return nil }

// When the order service cannot say whether an order ID is already
// another mode's purchase, nothing is started: the check is not skipped.
func TestAPurchaseIsNotStartedWhenItsModeCannotBeChecked(t *testing.T) {
	down := orderapi.NewClient("http://127.0.0.1:1", nil, "") // nothing listens there
	svc := &purchases.Service{Orders: down}
	for _, mode := range []saga.Mode{saga.Orchestration, saga.Choreography} {
		_, err := svc.Purchase(context.Background(), purchases.Request{Mode: mode,
			Input: saga.Input{OrderID: "unchecked", CustomerID: "alice", Items: []input.Item{{SKU: "SKU-1", Quantity: 1}}}}, 0)
		if err == nil || !strings.Contains(err.Error(), "read order unchecked") {
			t.Fatalf("%s purchase with the order service down: %v; want it refused before anything starts", mode, err)
		}
	}
}
