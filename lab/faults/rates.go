package faults

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/platform/web"
)

// Rates injects transient failures into a service, so that retries can be
// watched in the Web UI and exercised in tests. Half of the injected errors
// come before the handler runs (nothing done), half after it (the work is
// done and the answer lost), which is the case idempotency exists for.
type Rates struct {
	rules    []faultRule
	Injected atomic.Int64
}

type faultRule struct {
	method, path string // "" matches any
	rate         float64
	latency      time.Duration
}

// ParseRates reads a spec such as
//
//	"POST /payments=0.2:50ms, POST /reservations=0.1, *=0:5ms"
//
// that is: per endpoint (method and path prefix, or * for all), an error
// rate from 0 to 1 and an optional added latency. The first matching rule
// wins. An empty spec injects nothing.
func ParseRates(spec string) (*Rates, error) {
	f := &Rates{}
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		target, value, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("fault %q: want ENDPOINT=RATE[:LATENCY]", part)
		}
		var r faultRule
		target = strings.TrimSpace(target)
		if target != "*" {
			method, path, ok := strings.Cut(target, " ")
			if !ok || !strings.HasPrefix(path, "/") {
				return nil, fmt.Errorf("fault %q: endpoint must be * or \"METHOD /path\"", part)
			}
			r.method, r.path = strings.ToUpper(method), path
		}
		rateText, latencyText, hasLatency := strings.Cut(value, ":")
		rate, err := strconv.ParseFloat(strings.TrimSpace(rateText), 64)
		if err != nil || rate < 0 || rate > 1 {
			return nil, fmt.Errorf("fault %q: rate must be a number from 0 to 1", part)
		}
		r.rate = rate
		if hasLatency {
			if r.latency, err = time.ParseDuration(strings.TrimSpace(latencyText)); err != nil || r.latency < 0 {
				return nil, fmt.Errorf("fault %q: latency must be a duration such as 50ms", part)
			}
		}
		f.rules = append(f.rules, r)
	}
	return f, nil
}

func (f *Rates) rule(r *http.Request) (faultRule, bool) {
	for _, rule := range f.rules {
		if (rule.method == "" || rule.method == r.Method) && strings.HasPrefix(r.URL.Path, rule.path) {
			return rule, true
		}
	}
	return faultRule{}, false
}

// Wrap injects faults into next; health checks and metric scrapes are never
// touched: they are how a run watches the faults, not the saga's work.
func (f *Rates) Wrap(log *slog.Logger, next http.Handler) http.Handler {
	if f == nil || len(f.rules) == 0 {
		return next
	}
	for _, when := range []string{Before, After} {
		count(context.Background(), when, "")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rule, ok := f.rule(r)
		if !ok || r.URL.Path == "/healthz" || r.URL.Path == "/metrics" {
			next.ServeHTTP(w, r)
			return
		}
		if rule.latency > 0 {
			time.Sleep(rule.latency)
		}
		if rand.Float64() >= rule.rate {
			next.ServeHTTP(w, r)
			return
		}
		f.Injected.Add(1)
		if rand.IntN(2) == 0 {
			log.InfoContext(r.Context(), "fault injected", "method", r.Method, "path", r.URL.Path, "when", "before")
			count(r.Context(), Before, "")
			web.WriteProblem(w, r, web.ProblemFrom(fmt.Errorf("%w: injected fault before the request was handled", fault.ErrUnavailable)))
			return
		}
		// Do the work, then lose the answer.
		next.ServeHTTP(web.NewHeld(), r)
		log.InfoContext(r.Context(), "fault injected", "method", r.Method, "path", r.URL.Path, "when", "after")
		count(r.Context(), After, "")
		web.WriteProblem(w, r, web.ProblemFrom(fmt.Errorf("%w: injected fault after the request was handled", fault.ErrUnavailable)))
	})
}
