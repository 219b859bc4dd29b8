// Package faults is the lab's fault injection, plugged into a service from
// cmd/ (Plug): random rates per endpoint (SAGA_FAULTS, rates.go), and exact
// plans (SAGA_FAULT_PLAN) below.
//
// A plan injects faults into chosen steps of chosen orders, the same way
// in both saga modes: over HTTP (the orchestrator's calls and the
// starter's create) and in the event handlers (choreography). The failure
// matrix runs every step and compensation against every kind of fault with
// it; unlike SAGA_FAULTS' random rates, a plan is exact and repeatable.
//
// A plan is a comma-separated list of OP@ORDER_ID=KIND[:DURATION]:
//
//	reserve@mx-1=after        the first reserve does the work, then fails
//	charge@mx-2=before        the first charge fails before the work
//	approve@mx-3=down:5s      every approve fails before the work for 5 s
//	                          after the first try (the service is down)
//	refund@mx-4=hold:2s       the first refund waits 2 s before the work
//	charge@mx-5=holdafter:2s  the first charge waits 2 s after the work
//
// OP is one of the operations the plan is parsed with: the saga's steps
// and compensations. A failure is fault.ErrUnavailable (HTTP 503). Each fault
// is logged with fault_plan=KIND, op and order_id, which is how the matrix
// knows a hold has begun.
package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/platform/web"
)

// Op is an operation a plan may name, and the route of the service's HTTP
// API that performs it ("POST /payments/{order_id}/refund"); the saga's
// definition gives them (launch).
type Op struct {
	Name, Route string
}

// The kinds of fault.
const (
	Before    = "before"
	After     = "after"
	Down      = "down"
	Hold      = "hold"
	HoldAfter = "holdafter"
)

type rule struct {
	op, orderID, kind string
	d                 time.Duration
}

// Plan is a parsed plan and what it has done so far. The zero Plan (and a
// nil one) injects nothing.
type Plan struct {
	ops   []Op
	rules []rule
	mu    sync.Mutex
	first map[string]time.Time // op@order -> first try
}

// Parse reads a plan over ops; an empty spec injects nothing.
func ParsePlan(spec string, ops []Op) (*Plan, error) {
	p := &Plan{ops: ops, first: map[string]time.Time{}}
	names := make([]string, len(ops))
	for i, op := range ops {
		names[i] = op.Name
	}
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		target, value, ok := strings.Cut(part, "=")
		op, id, ok2 := strings.Cut(target, "@")
		if !ok || !ok2 || id == "" || !slices.Contains(names, op) {
			return nil, fmt.Errorf("fault plan %q: want OP@ORDER_ID=KIND[:DURATION] with OP one of %s", part, strings.Join(names, ", "))
		}
		kind, dtext, hasD := strings.Cut(value, ":")
		r := rule{op: op, orderID: id, kind: kind}
		switch kind {
		case Before, After:
			if hasD {
				return nil, fmt.Errorf("fault plan %q: %s takes no duration", part, kind)
			}
		case Down, Hold, HoldAfter:
			d, err := time.ParseDuration(dtext)
			if err != nil || d <= 0 {
				return nil, fmt.Errorf("fault plan %q: %s needs a duration, e.g. %s:2s", part, kind, kind)
			}
			r.d = d
		default:
			return nil, fmt.Errorf("fault plan %q: kind must be before, after, down, hold or holdafter", part)
		}
		p.rules = append(p.rules, r)
	}
	return p, nil
}

// Empty tells whether the plan injects nothing.
func (p *Plan) Empty() bool { return p == nil || len(p.rules) == 0 }

// Targets tells whether the plan has a fault for op on orderID: the
// consumer handles such an event alone, out of any batch, so that the
// fault lands between its effect's commit and its offset's.
func (p *Plan) Targets(op, orderID string) bool {
	if p.Empty() {
		return false
	}
	return slices.ContainsFunc(p.rules, func(r rule) bool { return r.op == op && r.orderID == orderID })
}

// fire returns the rules of op on orderID that apply to this try.
func (p *Plan) fire(op, orderID string) []rule {
	if p.Empty() || orderID == "" {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	key := op + "@" + orderID
	first, seen := p.first[key]
	now := time.Now()
	if !seen {
		first = now
		p.first[key] = first
	}
	var out []rule
	for _, r := range p.rules {
		if r.op != op || r.orderID != orderID {
			continue
		}
		if (r.kind == Down && now.Sub(first) < r.d) || (r.kind != Down && !seen) {
			out = append(out, r)
		}
	}
	return out
}

// Do runs work under the plan's faults for op on orderID.
func (p *Plan) Do(ctx context.Context, log *slog.Logger, op, orderID string, work func() error) error {
	rules := p.fire(op, orderID)
	if len(rules) == 0 {
		return work()
	}
	injected := func(r rule) {
		log.InfoContext(ctx, "fault injected", "fault_plan", r.kind, "op", op, "order_id", orderID, "for", r.d)
		count(ctx, r.kind, op)
	}
	for _, r := range rules {
		switch r.kind {
		case Before, Down:
			injected(r)
			return fmt.Errorf("%w: fault plan: %s %s before the work", fault.ErrUnavailable, r.kind, op)
		case Hold:
			injected(r)
			if !sleep(ctx, r.d) {
				return ctx.Err()
			}
		}
	}
	err := work()
	for _, r := range rules {
		switch r.kind {
		case After:
			if err == nil {
				injected(r)
				return fmt.Errorf("%w: fault plan: answer of %s lost after the work", fault.ErrUnavailable, op)
			}
		case HoldAfter:
			injected(r)
			if !sleep(ctx, r.d) {
				return ctx.Err()
			}
		}
	}
	return err
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Wrap injects the plan's faults into a service's HTTP API, at the routes
// of the plan's operations.
func (p *Plan) Wrap(log *slog.Logger, next http.Handler) http.Handler {
	if p.Empty() {
		return next
	}
	routes, opAt := http.NewServeMux(), map[string]string{}
	for _, op := range p.ops {
		routes.HandleFunc(op.Route, http.NotFound)
		opAt[op.Route] = op.Name
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op, orderID := httpOp(routes, opAt, r)
		if op == "" {
			next.ServeHTTP(w, r)
			return
		}
		held := web.NewHeld()
		err := p.Do(r.Context(), log, op, orderID, func() error {
			next.ServeHTTP(held, r)
			return nil
		})
		if err != nil {
			web.WriteProblem(w, r, web.ProblemFrom(err))
			return
		}
		held.CopyTo(w)
	})
}

// httpOp names the operation of a request, by the route routes matches it
// to (opAt names each route's), and the order it acts on: the route's
// {order_id}, or the body's order_id.
func httpOp(routes *http.ServeMux, opAt map[string]string, r *http.Request) (op, orderID string) {
	_, pattern := routes.Handler(r)
	op, ok := opAt[pattern]
	if !ok {
		return "", ""
	}
	_, path, _ := strings.Cut(pattern, " ")
	want, got := strings.Split(path, "/"), strings.Split(r.URL.Path, "/")
	if i := slices.Index(want, "{order_id}"); i >= 0 && i < len(got) {
		return op, got[i]
	}
	return op, bodyOrderID(r)
}

// bodyOrderID reads order_id from a JSON body and puts the body back.
func bodyOrderID(r *http.Request) string {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	r.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil {
		return ""
	}
	var v struct {
		OrderID string `json:"order_id"`
	}
	_ = json.Unmarshal(b, &v)
	return v.OrderID
}
