// Package launch is the shared main of the three services: flags with
// environment defaults, the service's own database, schema migration, and the
// HTTP API until SIGINT/SIGTERM.
package launch

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/sagaforge/saga/messaging/consumer"
	"github.com/sagaforge/saga/messaging/events"
	"github.com/sagaforge/saga/messaging/outbox"
	"github.com/sagaforge/saga/platform/database"
	"github.com/sagaforge/saga/platform/faultplan"
	"github.com/sagaforge/saga/platform/process"
	"github.com/sagaforge/saga/platform/telemetry"
	"github.com/sagaforge/saga/platform/web"
	"github.com/sagaforge/saga/saga/purchase"
	"github.com/sagaforge/saga/services/endpoints"
)

// Service describes one service: how its store opens on its own database,
// and what it runs over that store.
type Service[S any] struct {
	// Name is the service's name, also the prefix of its environment
	// variables (ORDER_ADDR, ORDER_DB).
	Name        string
	DefaultAddr string
	// Models are the service's tables, created beside the outbox's.
	Models []any
	// Seed is what a new database starts with, each a pointer to a slice
	// of rows: seed "demo" is the README's data, "bench" deep stock and
	// balances for long benchmark runs.
	Seed     func(seed string) []any
	NewStore func(ob *outbox.Outbox) S
	// Routes are the store's HTTP API; launch serves them behind the
	// shared middleware (the token on mutating calls) with GET /healthz.
	Routes        func(store S, log *slog.Logger) web.Routes
	Subscriptions func(store S) ([]consumer.Subscription, error)
	// Background, when set, runs beside the API until the service stops.
	Background func(ctx context.Context, store S, d Deps)
}

// Deps is what a service is built with.
type Deps struct {
	DSN    string // the database's, for what needs a connection of its own
	DB     *gorm.DB
	Outbox *outbox.Outbox
	Log    *slog.Logger
	Token  string // SAGA_SERVICE_TOKEN: required on mutating calls when set
	Seed   string // "demo" (the README's seed data) or "bench" (deep stock and balance)
	// SagaDeadline is how long a choreographed saga may stay PENDING before
	// it is cancelled and compensated (SAGA_DEADLINE).
	SagaDeadline time.Duration
	// Metrics, when set, is served at GET /metrics.
	Metrics http.Handler
}

// Parts are what a service runs: its HTTP API and its event handlers.
type Parts struct {
	Handler       http.Handler
	Subscriptions []consumer.Subscription
	// Background runs beside the API until the service stops.
	Background func(ctx context.Context)
}

// Build migrates and seeds the service's database and returns its store
// with the parts to run.
func (s Service[S]) Build(ctx context.Context, d Deps) (S, Parts, error) {
	store := s.NewStore(d.Outbox)
	if err := d.Outbox.Migrate(ctx, s.Models...); err != nil {
		return store, Parts{}, fmt.Errorf("start %s: %w", s.Name, err)
	}
	if err := database.Seed(ctx, d.DB, s.Seed(d.Seed)...); err != nil {
		return store, Parts{}, fmt.Errorf("start %s: %w", s.Name, err)
	}
	subs, err := s.Subscriptions(store)
	if err != nil {
		return store, Parts{}, fmt.Errorf("start %s: %w", s.Name, err)
	}
	routes := s.Routes(store, d.Log)
	if d.Metrics != nil {
		routes["GET /metrics"] = d.Metrics
	}
	parts := Parts{Handler: web.API(d.Log, d.Token, d.Outbox.Ping, routes), Subscriptions: subs}
	if s.Background != nil {
		parts.Background = func(ctx context.Context) { s.Background(ctx, store, d) }
	}
	return store, parts, nil
}

// Seeds is a Seed of one table: demo's rows, and for seed "bench" the same
// rows made deep enough for long benchmark runs by deepen.
func Seeds[T any](demo []T, deepen func(rows []T)) func(seed string) []any {
	return func(seed string) []any {
		rows := slices.Clone(demo)
		if seed == "bench" {
			deepen(rows)
		}
		return []any{&rows}
	}
}

// Main runs the service and exits the process when it stops.
func Main[S any](s Service[S]) { os.Exit(mainCode(s)) }

// mainCode is Main returning its exit code, so that deferred work (the CPU
// profile) runs before the process exits.
func mainCode[S any](s Service[S]) int {
	prefix := strings.ToUpper(s.Name)
	fs := flag.NewFlagSet(s.Name, flag.ContinueOnError)
	addr := fs.String("addr", process.Env(prefix+"_ADDR", s.DefaultAddr), "listen address (env "+prefix+"_ADDR)")
	dsn := fs.String("db", process.Env(prefix+"_DB", ".data/"+s.Name+".db"), "database: a SQLite file, or a postgres:// URL (env "+prefix+"_DB)")
	where := endpoints.FromEnv()
	where.BrokersFlag(fs)
	seed := fs.String("seed", process.Env("SAGA_SEED", "demo"), "seed data for a new database: demo or bench (env SAGA_SEED)")
	stepDeadline, err := process.DurationFlag(fs, "step-deadline", "SAGA_STEP_DEADLINE", time.Minute,
		"how long a choreographed step's transient failure is retried before the saga fails, as the orchestrator's step deadline")
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", s.Name, err)
		return 2
	}
	sagaDeadline, err := process.DurationFlag(fs, "saga-deadline", "SAGA_DEADLINE", 2*time.Minute,
		"how long a choreographed saga may stay PENDING before it is cancelled and compensated")
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", s.Name, err)
		return 2
	}
	slowQuery, err := process.DurationFlag(fs, "slow-query", "SAGA_SLOW_QUERY", 200*time.Millisecond,
		"log each database statement slower than this, at warn (0: none)")
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", s.Name, err)
		return 2
	}
	faultSpec := fs.String("faults", process.Env("SAGA_FAULTS", ""), `inject transient faults, e.g. "POST /payments=0.2:50ms,*=0.05" (env SAGA_FAULTS)`)
	planSpec := fs.String("fault-plan", process.Env("SAGA_FAULT_PLAN", ""), `inject exact faults into chosen steps of chosen orders, e.g. "approve@o-1=down:90s" (env SAGA_FAULT_PLAN; see package faultplan)`)
	process.ParseFlags(fs, os.Args[1:])
	faults, err := web.ParseFaults(*faultSpec)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: --faults: %v\n", s.Name, err)
		return 2
	}
	plan, err := faultplan.Parse(*planSpec, faultOps())
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: --fault-plan: %v\n", s.Name, err)
		return 2
	}
	if *stepDeadline <= 0 || *sagaDeadline <= 0 {
		fmt.Fprintf(os.Stderr, "%s: --step-deadline and --saga-deadline must be positive durations\n", s.Name)
		return 2
	}
	if *seed != "demo" && *seed != "bench" {
		fmt.Fprintf(os.Stderr, "%s: --seed must be demo or bench, got %q\n", s.Name, *seed)
		return 2
	}
	if err := web.Guarded(*addr, where.Token, os.Getenv(web.EnvExposedOn)); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", s.Name, err)
		return 2
	}
	log := process.Logger(s.Name)
	// The stores' own warnings (an event ignored because the orchestrator
	// drives its order) go through slog's default: make it this one.
	slog.SetDefault(log)
	stopRuntime, err := process.TuneRuntime(s.Name)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", s.Name, err)
		return 2
	}
	defer stopRuntime()
	ctx, stop := process.SignalContext()
	defer stop()
	tel, err := telemetry.Setup(ctx, s.Name)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", s.Name, err)
		return 2
	}
	defer tel.Flush()
	cfg := runConfig{addr: *addr, dsn: *dsn, brokers: where.BrokerList(), faults: faults, plan: plan, stepDeadline: *stepDeadline, slowQuery: *slowQuery,
		deps: Deps{Log: log, Token: where.Token, Seed: *seed, SagaDeadline: *sagaDeadline, Metrics: tel.Metrics}}
	if err := run(ctx, s, cfg); err != nil {
		log.Error("stopped", "err", err)
		return 1
	}
	log.Info("stopped")
	return 0
}

// runConfig is what a service runs with, read once from flags and env.
type runConfig struct {
	addr, dsn    string
	brokers      []string
	faults       *web.Faults
	plan         *faultplan.Plan
	stepDeadline time.Duration
	slowQuery    time.Duration
	deps         Deps // without the database and outbox, which run opens
}

func run[S any](ctx context.Context, s Service[S], cfg runConfig) error {
	log, addr, dsn, brokers, faults := cfg.deps.Log, cfg.addr, cfg.dsn, cfg.brokers, cfg.faults
	db, err := database.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer database.Close(db)
	database.LogSlowQueries(db, log, cfg.slowQuery)
	if err := database.Observe(db, s.Name); err != nil {
		return fmt.Errorf("pool metrics: %w", err)
	}
	reads, err := database.OpenReads(ctx, db, dsn)
	if err != nil {
		return err
	}
	if reads != db {
		defer database.Close(reads)
	}
	ob := outbox.New(db, reads)
	deps := cfg.deps
	deps.DSN, deps.DB, deps.Outbox = cfg.dsn, db, ob
	_, parts, err := s.Build(ctx, deps)
	if err != nil {
		return err
	}
	log.Info("database ready", "engine", database.KindOf(dsn), "dsn", database.Redact(dsn))

	writer := events.NewWriter(brokers)
	defer writer.Close()
	relay := outbox.NewRelay(ob, writer, log.With("component", "relay"))
	relay.Published = func(msgs []outbox.Message, at time.Time) {
		for _, m := range msgs {
			log.Debug("event published", "order_id", m.Key, "type", m.Type, "topic", m.Topic, "latency", at.Sub(m.CreatedAt))
		}
	}
	// The relay starts first so that rows a crash left behind go out even
	// before the API takes new requests; it stops after the API and the
	// consumers, so that their last events still go out.
	relayCtx, stopRelay := context.WithCancel(context.WithoutCancel(ctx))
	var relayDone sync.WaitGroup
	relayDone.Go(func() { _ = relay.Run(relayCtx) })
	defer func() { stopRelay(); relayDone.Wait() }()

	runner := consumer.NewRunner(brokers, writer, log.With("component", "consumer"))
	runner.RetryFor, runner.Plan = cfg.stepDeadline, cfg.plan
	runner.Batches, runner.MaxBatch = ob, 32
	var consumers sync.WaitGroup
	for _, sub := range parts.Subscriptions {
		consumers.Go(func() { _ = runner.Run(ctx, sub) })
	}
	if parts.Background != nil {
		consumers.Go(func() { parts.Background(ctx) })
	}
	defer consumers.Wait()
	return web.Serve(ctx, log, addr, faults.Wrap(log, cfg.plan.Wrap(log, parts.Handler)), nil)
}

// faultOps are purchase.Saga's steps and compensations as a fault plan
// names them, each with the route that performs it.
func faultOps() []faultplan.Op {
	var out []faultplan.Op
	for _, name := range purchase.Saga.Ops() {
		op, _ := purchase.Saga.OpNamed(name)
		out = append(out, faultplan.Op{Name: op.Name, Route: op.Route})
	}
	return out
}
