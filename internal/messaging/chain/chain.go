// Package chain is the choreographed saga read off its definition: which
// service reacts to which event, as a step, a compensation, a retriable
// step or a fence; and what an order's events say about its saga.
package chain

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/saga"
)

// Class is what a reaction is to the saga: a step forward, the undo of one,
// a step after the pivot, or a fence that every mode relies on.
type Class string

const (
	// Forward takes a choreographed saga a step on; a failure no retry
	// fixes is dead-lettered, which fails the saga.
	Forward Class = "forward"
	// Compensation undoes a choreographed saga's step; it retries for as
	// long as the orchestrator retries an undo.
	Compensation Class = "compensation"
	// Retriable takes an approved saga on: it retries until it succeeds,
	// and a refusal is a defect, dead-lettered and counted, that cancels
	// nothing. It runs whatever drives the order, since it also fences.
	Retriable Class = "retriable"
	// Fence records a fact whatever drives the order: an approval makes
	// later refunds and releases refusable.
	Fence Class = "fence"
)

// Reaction is one link of the choreographed saga: when Event is published,
// Service performs Op (named as saga.Purchase names its steps and
// compensations), which may publish one of Emits.
type Reaction struct {
	Event   events.Type
	Service string
	Op      string
	Class   Class
	Emits   []events.Type
}

// Reactions is the choreographed saga, whole, read off saga.Purchase: the
// services' consumers are wired from it (consumer.Wire) and
// docs/failures.md shows it.
var Reactions = chainOf(saga.Purchase)

// chainOf reads the reactions off a saga: each step after the first reacts
// to its Reacts event (and notes its Notes event), each compensation to its
// Reacts events, and every other service that holds a compensatable step
// fences on the pivot's event, unless a retriable step of its own reacts
// to it already (such a step fences as it goes).
func chainOf(def saga.Definition) []Reaction {
	var forward, undo, fence []Reaction
	emits := func(evs ...string) []events.Type {
		var out []events.Type
		for _, e := range evs {
			if e != "" {
				out = append(out, events.Type(e))
			}
		}
		return out
	}
	for _, st := range def.Steps {
		if st.Notes != "" {
			forward = append(forward, Reaction{events.Type(st.Notes), st.Service, "note " + st.Name, Forward, nil})
		}
		if st.Reacts != "" {
			class := Forward
			if st.Class == saga.Retriable {
				class = Retriable
			}
			forward = append(forward, Reaction{events.Type(st.Reacts), st.Service, st.Name, class, emits(st.Done, st.Refused)})
		}
		if st.Undo != nil {
			for _, e := range st.Undo.Reacts {
				undo = append(undo, Reaction{events.Type(e), st.Service, st.Undo.Name, Compensation, emits(st.Undo.Done)})
			}
		}
	}
	pivot := def.Pivot()
	for _, st := range def.Steps {
		if st.Class != saga.Compensatable || st.Service == pivot.Service {
			continue
		}
		r := Reaction{events.Type(pivot.Done), st.Service, "fence", Fence, nil}
		taken := func(x Reaction) bool { return x.Service == r.Service && x.Event == r.Event }
		if !slices.ContainsFunc(forward, taken) && !slices.ContainsFunc(fence, taken) {
			fence = append(fence, r)
		}
	}
	return slices.Concat(forward, undo, fence)
}

// Of is the reaction of service to events of type t, if it has one.
func Of(service string, t events.Type) (Reaction, bool) {
	for _, r := range Reactions {
		if r.Service == service && r.Event == t {
			return r, true
		}
	}
	return Reaction{}, false
}

// Check tells whether saga.Purchase is well formed and every event it
// names is a known type, published on the topic of the service the saga
// says; a service checks it before it consumes.
func Check() error {
	errs := []error{saga.Purchase.Check()}
	for _, e := range saga.Purchase.Events() {
		if _, ok := events.Type(e).NewData(); !ok {
			errs = append(errs, fmt.Errorf("the saga names event %s, which package events does not know", e))
		}
	}
	for t, service := range publishers {
		if want := service + ".events"; t.Topic() != want {
			errs = append(errs, fmt.Errorf("%s publishes %s, which the event registry puts on %s, not %s", service, t, t.Topic(), want))
		}
	}
	seen := map[string]bool{}
	for _, r := range Reactions {
		key := r.Service + "/" + string(r.Event)
		if seen[key] {
			errs = append(errs, fmt.Errorf("%s reacts to %s twice", r.Service, r.Event))
		}
		seen[key] = true
	}
	return errors.Join(errs...)
}

// publishers are the services that publish each event of the saga, by
// its definition.
var publishers = func() map[events.Type]string {
	out := map[events.Type]string{}
	for _, st := range saga.Purchase.Steps {
		for _, e := range []string{st.Done, st.Refused} {
			if e != "" {
				out[events.Type(e)] = st.Service
			}
		}
		if st.Undo != nil {
			out[events.Type(st.Undo.Done)] = st.Service
		}
	}
	return out
}()

// Summary is what an order's events say about its saga: the steps done and the
// compensations run, named as the orchestrated workflow names them.
type Summary struct {
	saga.Progress
	// Settled: the order is approved, or cancelled with every step that
	// held something compensated (in choreography, refund and release
	// follow the OrderCancelled).
	Settled bool
	// Finished: settled, and an approved saga's steps after the pivot done
	// too; nothing more will happen.
	Finished bool
}

// Summarize reads the saga's progress off an order's events, by the events
// saga.Purchase says record each step and compensation done.
func Summarize(evs []events.Envelope) Summary {
	s := Summary{Progress: saga.Begun()}
	seen := map[events.Type]bool{}
	for _, e := range evs {
		seen[e.Type] = true
		for _, st := range saga.Purchase.Steps {
			switch {
			case events.Type(st.Done) == e.Type:
				s.Done(st.Name)
				s.Settled = s.Settled || st.Class == saga.Pivot
			case st.Undo != nil && events.Type(st.Undo.Done) == e.Type && !voided(e):
				// A tombstone (voided) undid nothing: it refuses a late step.
				s.Undone(st.Undo.Name)
			}
		}
	}
	// Cancelled, the saga is settled once every step that held something
	// has been undone: in choreography the undos follow the cancel.
	first := saga.Purchase.Steps[0]
	if seen[events.Type(first.Undo.Done)] {
		s.Settled = true
		for _, st := range saga.Purchase.Steps[1:] {
			if st.Undo != nil && seen[events.Type(st.Done)] && !seen[events.Type(st.Undo.Done)] {
				s.Settled = false
			}
		}
		s.Finished = s.Settled
	} else {
		s.Finished = saga.Purchase.Next(s.Progress) == ""
	}
	return s
}

// voided tells whether a release or refund event reports a tombstone.
func voided(e events.Envelope) bool {
	var d struct {
		Voided bool `json:"voided"`
	}
	return json.Unmarshal(e.Data, &d) == nil && d.Voided
}
