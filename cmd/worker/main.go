// Command worker runs the purchase saga (package workers): it polls the
// purchase-saga task queue for workflow and activity tasks and calls the
// three services.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/sagaforge/saga/activities"
	"github.com/sagaforge/saga/internal/platform/process"
	"github.com/sagaforge/saga/internal/platform/telemetry"
	"github.com/sagaforge/saga/internal/platform/temporalx"
	"github.com/sagaforge/saga/internal/platform/web"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/internal/services/endpoints"
	"github.com/sagaforge/saga/workers"
	"github.com/sagaforge/saga/workers/console"
	"github.com/sagaforge/saga/workers/purchases"
	"github.com/sagaforge/saga/workflows"
)

func main() {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	var temporal temporalx.Flags
	temporal.Register(fs)
	services, err := endpoints.FromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(2)
	}
	services.Flags(fs)
	addr := fs.String("addr", process.Env("WORKER_ADDR", "127.0.0.1:8080"), "listen address of the purchase API, the saga console (GET /), GET /metrics and /healthz (env WORKER_ADDR)")
	eager := fs.Bool("eager-start", process.Env("SAGA_EAGER_START", "true") == "true", "the purchase API starts sagas eagerly: the first workflow task comes back in the start's answer to this worker (env SAGA_EAGER_START)")
	traceUI := fs.String("jaeger-url", process.Env("JAEGER_URL", ""), "Jaeger's UI, for the console's links to a purchase's trace (env JAEGER_URL; none when empty)")
	benchDirect := fs.Bool("bench-direct", process.Env("SAGA_BENCH_DIRECT", "false") == "true", "the purchase API also takes mode direct, the benchmarks' baseline: the steps called in sequence with no durability, so never on a worker that serves customers (env SAGA_BENCH_DIRECT)")
	policy := workflows.DefaultPolicy()
	stepDeadline, err := process.DurationFlag(fs, "step-deadline", "SAGA_STEP_DEADLINE", policy.StepDeadline,
		"how long a forward step is retried before the saga gives up and compensates")
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(2)
	}
	process.ParseFlags(fs, os.Args[1:])
	if err := web.Guarded(*addr, services.Token, os.Getenv(web.EnvExposedOn)); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(2)
	}
	cfg, err := temporal.Load()
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(2)
	}
	policy.StepDeadline = *stepDeadline
	policy.StepTimeout = min(policy.StepTimeout, policy.StepDeadline)
	log := process.Logger("worker")
	stopRuntime, err := process.TuneRuntime("worker")
	if err != nil {
		log.Error("start failed", "err", err)
		os.Exit(2)
	}
	defer stopRuntime()
	ctx, stop := process.SignalContext()
	defer stop()
	tel, err := telemetry.Setup(ctx, "worker")
	if err != nil {
		log.Error("tracing", "err", err)
		os.Exit(2)
	}
	defer tel.Flush()

	c, err := dialWithRetry(ctx, cfg, log)
	if err != nil {
		log.Error("stopped", "err", err)
		os.Exit(1)
	}
	defer c.Close()

	clients := services.Clients(web.DefaultHTTPClient())
	pivots := purchases.NewPivots()
	w, err := workers.New(c, policy, activities.New(clients), pivots)
	if err != nil {
		log.Error("start failed", "err", err)
		os.Exit(1)
	}
	if err := w.Start(); err != nil {
		log.Error("start failed", "err", err)
		os.Exit(1)
	}
	log.Info("polling", "task_queue", saga.TaskQueue, "temporal", cfg.Address, "namespace", cfg.Namespace, "tls", cfg.Secure())
	// The orchestrator also answers clients: the purchase API, beside the
	// process's metrics and health.
	kafka, err := services.Kafka()
	if err != nil {
		log.Error("start failed", "err", err)
		os.Exit(2)
	}
	api := &purchases.Service{Temporal: c, Orders: clients.Orders, Brokers: kafka, Links: cfg, EagerStart: *eager, Pivots: pivots,
		Inboxes: services.Inboxes(web.DefaultHTTPClient()), TraceUI: *traceUI}
	if *benchDirect {
		if api.Direct, err = purchases.NewDirect(activities.New(clients)); err != nil {
			log.Error("start failed", "err", err)
			os.Exit(1)
		}
		log.Warn("the purchase API takes mode direct, with no durability: a benchmark's baseline, not for customers")
	}
	routes := purchases.Routes(api, log)
	pages, err := console.New(api, log, cfg.UIURL)
	if err != nil {
		log.Error("start failed", "err", err)
		os.Exit(1)
	}
	maps.Copy(routes, pages.Routes())
	routes["GET /metrics"] = tel.Metrics
	health := func(ctx context.Context) error { _, err := c.CheckHealth(ctx, nil); return err }
	err = web.Serve(ctx, log, *addr, web.API(log, services.Token, health, routes), purchases.MaxWait, nil)
	w.Stop()
	if err != nil {
		log.Error("stopped", "err", err)
		os.Exit(1)
	}
	log.Info("stopped")
}

// dialWithRetry waits for Temporal: in a stack started all at once the
// worker may come up before the server does.
func dialWithRetry(ctx context.Context, cfg temporalx.Config, log *slog.Logger) (client.Client, error) {
	sdkLog := slog.New(log.Handler()).With("component", "sdk")
	backoff := process.Backoff{First: time.Second, Max: time.Second}
	for attempt := 1; ; attempt++ {
		c, err := temporalx.Dial(ctx, cfg, sdkLog, 5*time.Second)
		if err == nil {
			return c, nil
		}
		if attempt == 1 || attempt%10 == 0 {
			log.Warn("waiting for Temporal", "address", cfg.Address, "err", err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(backoff.Next()):
		}
	}
}
