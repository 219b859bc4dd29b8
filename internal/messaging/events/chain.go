package events

import (
	"errors"
	"fmt"
	"slices"
	"strings"

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
	Event   Type
	Service string
	Op      string
	Class   Class
	Emits   []Type
}

// Chain is the choreographed saga, whole, read off saga.Purchase: the
// services' consumers are wired from it (consumer.Wire) and
// docs/failures.md shows it.
var Chain = chainOf(saga.Purchase)

// chainOf reads the reactions off a saga: each step after the first reacts
// to its Reacts event (and notes its Notes event), each compensation to its
// Reacts events, and every other service that holds a compensatable step
// fences on the pivot's event, unless a retriable step of its own reacts
// to it already (such a step fences as it goes).
func chainOf(def saga.Definition) []Reaction {
	var forward, undo, fence []Reaction
	emits := func(evs ...string) []Type {
		var out []Type
		for _, e := range evs {
			if e != "" {
				out = append(out, Type(e))
			}
		}
		return out
	}
	for _, st := range def.Steps {
		if st.Notes != "" {
			forward = append(forward, Reaction{Type(st.Notes), st.Service, "note " + st.Name, Forward, nil})
		}
		if st.Reacts != "" {
			class := Forward
			if st.Class == saga.Retriable {
				class = Retriable
			}
			forward = append(forward, Reaction{Type(st.Reacts), st.Service, st.Name, class, emits(st.Done, st.Refused)})
		}
		if st.Undo != nil {
			for _, e := range st.Undo.Reacts {
				undo = append(undo, Reaction{Type(e), st.Service, st.Undo.Name, Compensation, emits(st.Undo.Done)})
			}
		}
	}
	pivot := def.Pivot()
	for _, st := range def.Steps {
		if st.Class != saga.Compensatable || st.Service == pivot.Service {
			continue
		}
		r := Reaction{Type(pivot.Done), st.Service, "fence", Fence, nil}
		taken := func(x Reaction) bool { return x.Service == r.Service && x.Event == r.Event }
		if !slices.ContainsFunc(forward, taken) && !slices.ContainsFunc(fence, taken) {
			fence = append(fence, r)
		}
	}
	return slices.Concat(forward, undo, fence)
}

// ReactionOf is the reaction of service to events of type t, if it has one.
func ReactionOf(service string, t Type) (Reaction, bool) {
	for _, r := range Chain {
		if r.Service == service && r.Event == t {
			return r, true
		}
	}
	return Reaction{}, false
}

// CheckSaga tells whether saga.Purchase is well formed and every event it
// names is a known type, published by the service the saga says; a service
// checks it before it consumes.
func CheckSaga() error {
	errs := []error{saga.Purchase.Check()}
	for _, e := range saga.Purchase.Events() {
		if _, ok := dataTypes[Type(e)]; !ok {
			errs = append(errs, fmt.Errorf("the saga names event %s, which package events does not know", e))
		}
	}
	for _, r := range Chain {
		for _, e := range r.Emits {
			if TopicName(TopicOf(e)) != r.Service {
				errs = append(errs, fmt.Errorf("%s emits %s, which goes to %s", r.Service, e, TopicOf(e)))
			}
		}
	}
	seen := map[string]bool{}
	for _, r := range Chain {
		key := r.Service + "/" + string(r.Event)
		if seen[key] {
			errs = append(errs, fmt.Errorf("%s reacts to %s twice", r.Service, r.Event))
		}
		seen[key] = true
	}
	return errors.Join(errs...)
}

// TopicOf is the topic an event type is published on: its service's
// (the one saga.Purchase says records a step or compensation with it), or
// the dead letters'; "" for a type the saga does not publish.
func TopicOf(t Type) string {
	if t == EventDeadLettered {
		return TopicDeadLetter
	}
	if service, ok := publishers[t]; ok {
		return service + ".events"
	}
	return ""
}

// publishers are the services that publish each event of the saga.
var publishers = func() map[Type]string {
	out := map[Type]string{}
	for _, st := range saga.Purchase.Steps {
		for _, e := range []string{st.Done, st.Refused} {
			if e != "" {
				out[Type(e)] = st.Service
			}
		}
		if st.Undo != nil {
			out[Type(st.Undo.Done)] = st.Service
		}
	}
	return out
}()

// TopicName is the short name of a topic in consumer group names:
// inventory.on-order reads order.events.
func TopicName(topic string) string {
	if service, ok := strings.CutSuffix(topic, ".events"); ok {
		return service
	}
	return "deadletter"
}
