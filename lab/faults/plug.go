package faults

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/sagaforge/saga/internal/messaging/consumer"
	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/platform/process"
	"github.com/sagaforge/saga/internal/platform/telemetry"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/internal/services/launch"
)

// Plug is the lab's fault injection as a service's plug: --faults (random
// rates per endpoint, SAGA_FAULTS) and --fault-plan (exact faults in
// chosen steps of chosen orders, SAGA_FAULT_PLAN), around the HTTP API
// and, for the plan, each event handler. With neither set it adds nothing.
func Plug(fs *flag.FlagSet) func(log *slog.Logger) (launch.Middleware, error) {
	rateSpec := fs.String("faults", process.Env("SAGA_FAULTS", ""), `inject transient faults, e.g. "POST /payments=0.2:50ms,*=0.05" (env SAGA_FAULTS)`)
	planSpec := fs.String("fault-plan", process.Env("SAGA_FAULT_PLAN", ""), `inject exact faults into chosen steps of chosen orders, e.g. "approve@o-1=down:90s" (env SAGA_FAULT_PLAN; see lab/faults)`)
	return func(log *slog.Logger) (launch.Middleware, error) {
		rates, err := ParseRates(*rateSpec)
		if err != nil {
			return launch.Middleware{}, fmt.Errorf("--faults: %w", err)
		}
		plan, err := ParsePlan(*planSpec, Ops(saga.Purchase))
		if err != nil {
			return launch.Middleware{}, fmt.Errorf("--fault-plan: %w", err)
		}
		mw := launch.Middleware{HTTP: func(next http.Handler) http.Handler { return rates.Wrap(log, plan.Wrap(log, next)) }}
		if !plan.Empty() {
			mw.Events = func(op string, next consumer.Handler) consumer.Handler {
				return func(ctx context.Context, e events.Envelope) error {
					return plan.Do(ctx, log, op, e.Subject, func() error { return next(ctx, e) })
				}
			}
			mw.Alone = plan.Targets
		}
		return mw, nil
	}
}

// Ops are a saga's steps and compensations as a plan names them, each with
// the route that performs it.
func Ops(def saga.Definition) []Op {
	var out []Op
	for _, name := range def.Ops() {
		op, _ := def.OpNamed(name)
		out = append(out, Op{Name: op.Name, Route: op.Route})
	}
	return out
}

// injected counts the faults injected, so that a chaos run or the matrix
// reads how many from /metrics: by kind (a rate's before or after, a
// plan's kind) and, for a plan, the step.
var injected, _ = telemetry.Meter("lab/faults").Int64Counter("saga.faults.injected",
	metric.WithDescription("Faults injected (SAGA_FAULTS, SAGA_FAULT_PLAN), by kind and, for a plan, step."))

// count records one fault of kind injected into op ("" for a rate's).
func count(ctx context.Context, kind, op string) {
	attrs := []attribute.KeyValue{attribute.String("saga.fault", kind)}
	if op != "" {
		attrs = append(attrs, attribute.String("saga.step", op))
	}
	injected.Add(ctx, 1, metric.WithAttributes(attrs...))
}
