// Command worker runs the purchase saga (package workers): it polls the
// purchase-saga task queue for workflow and activity tasks and calls the
// three services.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/sagaforge/saga/activities"
	"github.com/sagaforge/saga/platform/process"
	"github.com/sagaforge/saga/platform/telemetry"
	"github.com/sagaforge/saga/platform/temporalx"
	"github.com/sagaforge/saga/platform/web"
	"github.com/sagaforge/saga/saga/purchase"
	"github.com/sagaforge/saga/services/endpoints"
	"github.com/sagaforge/saga/workers"
	"github.com/sagaforge/saga/workers/purchases"
	"github.com/sagaforge/saga/workflows"
)

func main() {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	address := fs.String("temporal-address", "", "Temporal frontend host:port (default: the profile's, env TEMPORAL_ADDRESS, else "+temporalx.DefaultAddress+")")
	namespace := fs.String("namespace", "", "Temporal namespace (default: the profile's, env TEMPORAL_NAMESPACE, else "+temporalx.DefaultNamespace+")")
	profile := fs.String("profile", "", "Temporal CLI client profile: address, namespace, TLS, API key (env TEMPORAL_PROFILE, else default)")
	configFile := fs.String("config-file", "", "Temporal CLI config file (env TEMPORAL_CONFIG_FILE, else ~/.config/temporalio/temporal.toml)")
	services := endpoints.FromEnv()
	services.Flags(fs)
	addr := fs.String("addr", process.Env("WORKER_ADDR", "127.0.0.1:8080"), "listen address of the purchase API, GET /metrics and /healthz (env WORKER_ADDR)")
	brokers := fs.String("brokers", process.Env("KAFKA_BROKERS", "127.0.0.1:9092"), "Kafka bootstrap brokers, comma-separated, where the API reads a choreographed purchase's events (env KAFKA_BROKERS)")
	eager := fs.Bool("eager-start", process.Env("SAGA_EAGER_START", "true") == "true", "the purchase API starts sagas eagerly: the first workflow task comes back in the start's answer to this worker (env SAGA_EAGER_START)")
	uiURL := fs.String("ui-url", process.Env("TEMPORAL_UI_URL", "http://127.0.0.1:8233"), "Temporal Web UI base URL, for the API's links (env TEMPORAL_UI_URL)")
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
	cfg, err := temporalx.Load(*configFile, *profile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(2)
	}
	cfg.UIURL = *uiURL
	if *address != "" {
		cfg.Address = *address
	}
	if *namespace != "" {
		cfg.Namespace = *namespace
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
	log.Info("polling", "task_queue", purchase.TaskQueue, "temporal", cfg.Address, "namespace", cfg.Namespace, "tls", cfg.Secure())
	// The orchestrator also answers clients: the purchase API, beside the
	// process's metrics and health.
	api := &purchases.Service{Temporal: c, Orders: clients.Orders, Brokers: strings.Split(*brokers, ","), Links: cfg, EagerStart: *eager, Pivots: pivots}
	routes := purchases.Routes(api, log)
	routes["GET /metrics"] = tel.Metrics
	health := func(ctx context.Context) error { _, err := c.CheckHealth(ctx, nil); return err }
	err = web.Serve(ctx, log, *addr, web.API(log, services.Token, health, routes), nil)
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
