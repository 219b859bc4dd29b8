package saga

import (
	"errors"
	"fmt"
	"slices"

	"github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/platform/money"
)

// Class is what a step is to the saga (docs/failures.md).
type Class string

const (
	// Compensatable steps come first; each has a compensation, which the
	// saga runs, in reverse order, when a later step fails before the pivot.
	Compensatable Class = "compensatable"
	// Pivot is the one step after which the saga only goes forward: once it
	// may have happened, nothing is compensated.
	Pivot Class = "pivot"
	// Retriable steps follow the pivot. Each retries until it succeeds,
	// with capped backoff and no deadline, and is never compensated; a
	// refusal is a defect to alert on, never a reason to undo.
	Retriable Class = "retriable"
)

// Step is one step of the saga, as both modes run it.
type Step struct {
	// Name is the step's one name: in a saga's progress, in the metrics'
	// step label, in the fault plan and the failure matrix, and in the
	// choreography chain.
	Name  string
	Class Class
	// Service performs the step, at Route on its HTTP API.
	Service string
	Route   string
	// Call is the orchestrator's activity, and how the saga feeds it.
	Call Call
	// Summary says what the step does, for the Web UI.
	Summary func(Facts) string
	// Done is the event that records the step done; Refused, if the step
	// can be refused, the one that records the refusal.
	Done, Refused string
	// Reacts is the event the service reacts to with this step in
	// choreography; the first step has none: the caller starts it.
	Reacts string
	// Notes is an earlier event whose data the step needs in choreography,
	// which the service records when it comes.
	Notes string
	// Ask is the pivot's question: where its record is, when the pivot's
	// own answer keeps getting lost.
	Ask *Activity[OrderRef, string]
	// Undo is a compensatable step's compensation.
	Undo *Undo
}

// Undo is a compensatable step's compensation, performed by the step's
// service.
type Undo struct {
	Name    string
	Route   string
	Call    Call
	Summary func(Facts) string
	// Done is the event that records the compensation done.
	Done string
	// Reacts are the events the service compensates on in choreography.
	Reacts []string
}

// Facts are what a saga knows as it goes: what was bought, what the order
// came to, and why the saga stopped, if it did. Activities' inputs and
// summaries are made of them.
type Facts struct {
	Input
	TotalCents money.Cents
	Reason     string
}

// Cart describes the items: "2 x SKU-1, 1 x SKU-2".
func (f Facts) Cart() string { return input.Describe(f.Items) }

// The saga's activities, typed.
var (
	CreateOrder   = Activity[Input, CreateOrderOutput]{"CreateOrder"}
	CancelOrder   = Activity[CancelOrderInput, Nothing]{"CancelOrder"}
	ReserveStock  = Activity[ReserveStockInput, Nothing]{"ReserveStock"}
	ReleaseStock  = Activity[ReleaseStockInput, Nothing]{"ReleaseStock"}
	ChargePayment = Activity[ChargePaymentInput, Nothing]{"ChargePayment"}
	RefundPayment = Activity[OrderRef, Nothing]{"RefundPayment"}
	ApproveOrder  = Activity[OrderRef, Nothing]{"ApproveOrder"}
	OrderStatus   = Activity[OrderRef, string]{"OrderStatus"}
	ShipStock     = Activity[OrderRef, Nothing]{"ShipStock"}
)

// ref is the input of an activity that needs only the order.
func ref(f Facts) OrderRef { return OrderRef{OrderID: f.OrderID} }

// Purchase is the purchase saga, whole: the workflow runs its steps, the
// services' consumers are wired from it (chain.Reactions), and the fault plan,
// the failure matrix, the metrics and the docs read their steps from it.
// docs/architecture.md says how to add a step.
var Purchase = Definition{Steps: []Step{
	{
		Name: "create", Class: Compensatable, Service: "order", Route: "POST /orders",
		Call: Bind(CreateOrder, func(f Facts) Input { return f.Input },
			func(f *Facts, out CreateOrderOutput) { f.TotalCents = out.TotalCents }),
		Summary: func(f Facts) string { return "Create order " + f.OrderID + " for " + f.CustomerID + ": " + f.Cart() },
		Done:    "OrderCreated",
		Undo: &Undo{
			Name: "cancel", Route: "POST /orders/{order_id}/cancel",
			Call: Bind(CancelOrder, func(f Facts) CancelOrderInput {
				return CancelOrderInput{OrderID: f.OrderID, Reason: f.Reason, CustomerID: f.CustomerID, Items: f.Items}
			}, nil),
			Summary: func(f Facts) string { return "Cancel order " + f.OrderID + ": " + f.Reason },
			Done:    "OrderCancelled", Reacts: []string{"StockRejected", "StockReleased", "EventDeadLettered"},
		},
	},
	{
		Name: "reserve", Class: Compensatable, Service: "inventory", Route: "POST /reservations",
		Call: Bind(ReserveStock, func(f Facts) ReserveStockInput {
			return ReserveStockInput{OrderID: f.OrderID, Items: f.Items}
		}, nil),
		Summary: func(f Facts) string { return "Reserve " + f.Cart() },
		Reacts:  "OrderCreated", Done: "StockReserved", Refused: "StockRejected",
		Undo: &Undo{
			Name: "release", Route: "POST /reservations/{order_id}/release",
			Call: Bind(ReleaseStock, func(f Facts) ReleaseStockInput {
				return ReleaseStockInput{OrderID: f.OrderID, Reason: f.Reason}
			}, nil),
			Summary: func(f Facts) string { return "Release " + f.Cart() },
			Done:    "StockReleased", Reacts: []string{"PaymentDeclined", "OrderCancelled"},
		},
	},
	{
		Name: "charge", Class: Compensatable, Service: "payment", Route: "POST /payments",
		Call: Bind(ChargePayment, func(f Facts) ChargePaymentInput {
			return ChargePaymentInput{OrderID: f.OrderID, CustomerID: f.CustomerID, AmountCents: f.TotalCents}
		}, nil),
		Summary: func(f Facts) string { return "Charge " + f.TotalCents.String() + " to " + f.CustomerID },
		Reacts:  "StockReserved", Notes: "OrderCreated", Done: "PaymentCaptured", Refused: "PaymentDeclined",
		Undo: &Undo{
			Name: "refund", Route: "POST /payments/{order_id}/refund",
			Call:    Bind(RefundPayment, ref, nil),
			Summary: func(f Facts) string { return "Refund " + f.TotalCents.String() + " to " + f.CustomerID },
			Done:    "PaymentRefunded", Reacts: []string{"OrderCancelled"},
		},
	},
	{
		Name: "approve", Class: Pivot, Service: "order", Route: "POST /orders/{order_id}/approve",
		Call:    Bind(ApproveOrder, ref, nil),
		Summary: func(f Facts) string { return "Approve order " + f.OrderID },
		Reacts:  "PaymentCaptured", Done: "OrderApproved",
		Ask: &OrderStatus,
	},
	{
		Name: "ship", Class: Retriable, Service: "inventory", Route: "POST /reservations/{order_id}/ship",
		Call:    Bind(ShipStock, ref, nil),
		Summary: func(f Facts) string { return "Ship " + f.Cart() },
		Reacts:  "OrderApproved", Done: "StockShipped",
	},
}}

// Definition is a saga: its steps in the order they run.
type Definition struct {
	Steps []Step
}

// Step returns the step or the compensation called name, as a step; for a
// compensation, the step it undoes.
func (s Definition) Step(name string) (Step, bool) {
	for _, st := range s.Steps {
		if st.Name == name || (st.Undo != nil && st.Undo.Name == name) {
			return st, true
		}
	}
	return Step{}, false
}

// Ops are the names of the steps, then of the compensations in step
// order: what the fault plan and the failure matrix reach.
func (s Definition) Ops() []string {
	var out []string
	for _, st := range s.Steps {
		out = append(out, st.Name)
	}
	for _, st := range s.Steps {
		if st.Undo != nil {
			out = append(out, st.Undo.Name)
		}
	}
	return out
}

// Op is what the fault plan and the failure matrix know of one of Ops: its
// service, its route, and whether it is a compensation.
type Op struct {
	Name, Service, Route string
	Undo                 bool
}

// OpNamed returns the step or compensation called name.
func (s Definition) OpNamed(name string) (Op, bool) {
	st, ok := s.Step(name)
	switch {
	case !ok:
		return Op{}, false
	case st.Name == name:
		return Op{Name: name, Service: st.Service, Route: st.Route}, true
	}
	return Op{Name: name, Service: st.Service, Route: st.Undo.Route, Undo: true}, true
}

// Pivot returns the pivot step.
func (s Definition) Pivot() Step {
	for _, st := range s.Steps {
		if st.Class == Pivot {
			return st
		}
	}
	panic("purchase: the saga has no pivot")
}

// Completed is the progress of a saga that has passed its pivot: every
// step up to it, no compensation. The retriable steps after it may still
// be under way.
func (s Definition) Completed() Progress {
	p := Begun()
	for _, st := range s.Steps {
		p.Done(st.Name)
		if st.Class == Pivot {
			break
		}
	}
	return p
}

// StepOf names the step or compensation an activity performs, as the
// metrics' step label does; the pivot's question is "status".
func (s Definition) StepOf(activity string) string {
	for _, st := range s.Steps {
		switch {
		case st.Call.ActivityName() == activity:
			return st.Name
		case st.Undo != nil && st.Undo.Call.ActivityName() == activity:
			return st.Undo.Name
		case st.Ask != nil && st.Ask.Name == activity:
			return "status"
		}
	}
	return ""
}

// Next is the step a saga whose progress is p waits for, or "" once its
// last step is done.
func (s Definition) Next(p Progress) string {
	if n := len(p.Steps); n < len(s.Steps) {
		return s.Steps[n].Name
	}
	return ""
}

// Check tells whether the saga is well formed: compensatable steps, each
// with its compensation, then one pivot, then retriable steps without any;
// every step and compensation named once, with an activity, a service, a
// route and the event that records it done; every step after the first
// reacting to an event.
func (s Definition) Check() error {
	var errs []error
	seen := map[string]bool{}
	name := func(n string) {
		if n == "" || seen[n] {
			errs = append(errs, fmt.Errorf("step or compensation name %q is empty or used twice", n))
		}
		seen[n] = true
	}
	pivots := 0
	for i, st := range s.Steps {
		name(st.Name)
		want := Compensatable
		if pivots > 0 {
			want = Retriable
		}
		switch {
		case st.Class == Pivot && pivots == 0:
			pivots++
		case st.Class != want:
			errs = append(errs, fmt.Errorf("step %s is %s; after %s steps come one pivot, then retriable steps", st.Name, st.Class, want))
		}
		if st.Call == nil || st.Summary == nil || st.Service == "" || st.Route == "" || st.Done == "" {
			errs = append(errs, fmt.Errorf("step %s needs an activity, a summary, a service, a route and its done event", st.Name))
		}
		if (i == 0) != (st.Reacts == "") {
			errs = append(errs, fmt.Errorf("step %s: every step but the first reacts to an event in choreography", st.Name))
		}
		if (st.Class == Compensatable) != (st.Undo != nil) {
			errs = append(errs, fmt.Errorf("step %s is %s: a compensatable step has a compensation, and only it", st.Name, st.Class))
		}
		if (st.Class == Pivot) != (st.Ask != nil) {
			errs = append(errs, fmt.Errorf("step %s is %s: the pivot asks where it is when its answer is lost, and only it", st.Name, st.Class))
		}
		if u := st.Undo; u != nil {
			name(u.Name)
			if u.Call == nil || u.Summary == nil || u.Route == "" || u.Done == "" || len(u.Reacts) == 0 {
				errs = append(errs, fmt.Errorf("compensation %s needs an activity, a summary, a route, its done event and the events it reacts to", u.Name))
			}
		}
	}
	if pivots != 1 {
		errs = append(errs, errors.New("the saga needs exactly one pivot"))
	}
	if len(s.Steps) > 0 && s.Steps[0].Class != Compensatable {
		errs = append(errs, errors.New("the first step creates what the saga cancels: it is compensatable"))
	}
	return errors.Join(errs...)
}

// Events are the events the saga names, each once, in step order.
func (s Definition) Events() []string {
	var out []string
	add := func(evs ...string) {
		for _, e := range evs {
			if e != "" && !slices.Contains(out, e) {
				out = append(out, e)
			}
		}
	}
	for _, st := range s.Steps {
		add(st.Reacts, st.Notes, st.Done, st.Refused)
		if st.Undo != nil {
			add(st.Undo.Done)
			add(st.Undo.Reacts...)
		}
	}
	return out
}
