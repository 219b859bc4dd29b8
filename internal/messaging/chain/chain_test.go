package chain

import (
	"strings"
	"testing"

	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/saga"
)

// The saga the services run is well formed: every event it names is known
// and published on its service's topic, and each service reacts to an event
// once.
func TestTheSagaIsWellFormed(t *testing.T) {
	if err := Check(); err != nil {
		t.Fatal(err)
	}
}

// The chain follows the saga: every step after the first, and every
// compensation, is a reaction of its service; the participants other than
// the pivot's service fence on its event.
func TestChainFollowsTheSaga(t *testing.T) {
	has := func(event, service, op string, class Class) {
		t.Helper()
		r, ok := Of(service, events.Type(event))
		if !ok || r.Op != op || r.Class != class {
			t.Errorf("%s on %s: %+v (%v); want %s, %s", service, event, r, ok, op, class)
		}
	}
	for _, st := range saga.Purchase.Steps[1:] {
		class := Forward
		if st.Class == saga.Retriable {
			class = Retriable
		}
		has(st.Reacts, st.Service, st.Name, class)
		if st.Undo != nil {
			for _, e := range st.Undo.Reacts {
				has(e, st.Service, st.Undo.Name, Compensation)
			}
		}
	}
	has("OrderApproved", "payment", "fence", Fence)
	if _, ok := Of("order", events.OrderApproved); ok {
		t.Error("the order service reacts to its own approval")
	}
}

// A saga that breaks the class rules is refused with a reason naming the
// step.
func TestCheckRefusesAMisorderedSaga(t *testing.T) {
	steps := append([]saga.Step{}, saga.Purchase.Steps...)
	steps[0], steps[1] = steps[1], steps[0]
	bad := saga.Definition{Steps: append(steps, saga.Step{Name: "late", Class: saga.Compensatable})}
	err := bad.Check()
	if err == nil || !strings.Contains(err.Error(), "late") || !strings.Contains(err.Error(), "reserve") {
		t.Fatalf("Check: %v; want it to name the misplaced steps", err)
	}
}
