// Package launch is the shared main of the three services: flags with
// environment defaults, the service's own database, schema migration, and the
// HTTP API until SIGINT/SIGTERM.
package launch

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/sagaforge/saga/internal/messaging/consumed"
	"github.com/sagaforge/saga/internal/messaging/consumer"
	"github.com/sagaforge/saga/internal/messaging/kafkaio"
	"github.com/sagaforge/saga/internal/messaging/outbox"
	"github.com/sagaforge/saga/internal/platform/database"
	"github.com/sagaforge/saga/internal/platform/process"
	"github.com/sagaforge/saga/internal/platform/telemetry"
	"github.com/sagaforge/saga/internal/platform/web"
	"github.com/sagaforge/saga/internal/services/endpoints"
)

// Service describes one service: how its store opens on its own database,
// and what it runs over that store.
type Service[S any] struct {
	// Name is the service's name, also the prefix of its environment
	// variables (ORDER_ADDR, ORDER_DB).
	Name        string
	DefaultAddr string
	// Migrations are the service's schema: its embedded migrations folder
	// (database.Migrations), versioned SQL beside the outbox's. Models are
	// its tables as gorm maps them, which the migrations must match
	// (launch's tests check) and which bring a database from before the
	// migrations to their first version.
	Migrations fs.FS
	Models     []any
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
	// LongestWait is the longest a route of the service holds a request
	// before it answers (a long poll); the server's write deadline leaves
	// room for it.
	LongestWait time.Duration
}

// Deps is what a service is built with.
type Deps struct {
	DSN    string // the database's, for what needs a connection of its own
	DB     *gorm.DB
	Outbox *outbox.Outbox
	Log    *slog.Logger
	Token  string // SAGA_SERVICE_TOKEN: required on mutating calls when set
	Seed   string // "demo" (the README's seed data) or "bench" (deep stock and balance)
	// SagaDeadline is how long a choreographed saga may go without progress
	// before it is cancelled and compensated (SAGA_DEADLINE).
	SagaDeadline time.Duration
	// Brokers are the Kafka brokers the service's consumers read.
	Brokers kafkaio.Brokers
	// Groups are the service's consumer groups, each with the topic it
	// reads (its Subscriptions, as Build made them), for Background.
	Groups map[string]string
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

// Schema is the service's migrations, recorded in its database's
// schema_migrations.
func (s Service[S]) Schema() database.Migrations {
	return database.Migrations{Name: s.Name, FS: s.Migrations, Table: "schema_migrations"}
}

// Build migrates and seeds the service's database and returns its store
// with the parts to run.
func (s Service[S]) Build(ctx context.Context, d Deps) (S, Parts, error) {
	store := s.NewStore(d.Outbox)
	if err := d.Outbox.Migrate(ctx, d.Log, s.Schema(), s.Models...); err != nil {
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
	routes["GET /consumed"] = consumedRoute(d, subs)
	if d.Metrics != nil {
		routes["GET /metrics"] = d.Metrics
	}
	parts := Parts{Handler: web.API(d.Log, d.Token, d.Outbox.Ping, routes), Subscriptions: subs}
	if s.Background != nil {
		d.Groups = map[string]string{}
		for _, sub := range subs {
			d.Groups[sub.Name] = sub.Topic
		}
		parts.Background = func(ctx context.Context) { s.Background(ctx, store, d) }
	}
	return store, parts, nil
}

// consumedRoute serves GET /consumed?event_id=: when the service's
// consumers handled those events (package consumed).
func consumedRoute(d Deps, subs []consumer.Subscription) http.Handler {
	names := make([]string, 0, len(subs))
	for _, sub := range subs {
		names = append(names, sub.Name)
	}
	return web.Endpoint(d.Log, "consumed", func(r *http.Request, _ web.NoBody) (consumed.Response, error) {
		ids, err := consumed.IDs(r.URL.Query())
		if err != nil {
			return consumed.Response{}, err
		}
		rows, err := d.Outbox.Consumed(r.Context(), names, ids)
		return consumed.Response{Consumed: web.Render(rows, func(p outbox.ProcessedEvent) consumed.Record {
			return consumed.Record{Consumer: p.Consumer, EventID: p.EventID, At: p.ProcessedAt}
		})}, err
	})
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

// Plug is what cmd/ plugs into a service from outside the product (the
// lab's fault injection): it registers its flags beside the service's and
// returns how to build its middleware once they are parsed; an error then
// is bad flags (exit 2).
type Plug func(fs *flag.FlagSet) func(log *slog.Logger) (Middleware, error)

// Middleware wraps a service's HTTP API and its event handlers; either may
// be nil. Alone names the events Events acts on (consumer.Runner.Alone);
// nil with Events set means every event.
type Middleware struct {
	HTTP   func(next http.Handler) http.Handler
	Events consumer.Middleware
	Alone  func(op, orderID string) bool
}

// Main runs the service, with plugs, and exits the process when it stops.
func Main[S any](s Service[S], plugs ...Plug) { os.Exit(mainCode(s, plugs)) }

// mainCode is Main returning its exit code, so that deferred work (the CPU
// profile) runs before the process exits.
func mainCode[S any](s Service[S], plugs []Plug) int {
	prefix := strings.ToUpper(s.Name)
	fs := flag.NewFlagSet(s.Name, flag.ContinueOnError)
	addr := fs.String("addr", process.Env(prefix+"_ADDR", s.DefaultAddr), "listen address (env "+prefix+"_ADDR)")
	dsnSetting, err := process.Secret(prefix+"_DB", ".data/"+s.Name+".db")
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", s.Name, err)
		return 2
	}
	dsn := fs.String("db", dsnSetting, "database: a SQLite file, or a postgres:// URL, which may hold a password (env "+prefix+"_DB, or a file named by "+prefix+"_DB_FILE)")
	where, err := endpoints.FromEnv()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", s.Name, err)
		return 2
	}
	where.BrokersFlag(fs)
	seed := fs.String("seed", process.Env("SAGA_SEED", "demo"), "seed data for a new database: demo or bench (env SAGA_SEED)")
	stepDeadline, err := process.DurationFlag(fs, "step-deadline", "SAGA_STEP_DEADLINE", time.Minute,
		"how long a choreographed step's transient failure is retried before the saga fails, as the orchestrator's step deadline")
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", s.Name, err)
		return 2
	}
	sagaDeadline, err := process.DurationFlag(fs, "saga-deadline", "SAGA_DEADLINE", 2*time.Minute,
		"how long a choreographed saga may go without progress before it is cancelled and compensated")
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
	builds := make([]func(*slog.Logger) (Middleware, error), len(plugs))
	for i, plug := range plugs {
		builds[i] = plug(fs)
	}
	process.ParseFlags(fs, os.Args[1:])
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
	var mws []Middleware
	for _, build := range builds {
		mw, err := build(log)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", s.Name, err)
			return 2
		}
		mws = append(mws, mw)
	}
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
	kafka, err := where.Kafka()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", s.Name, err)
		return 2
	}
	cfg := runConfig{addr: *addr, dsn: *dsn, middleware: mws, stepDeadline: *stepDeadline, slowQuery: *slowQuery,
		deps: Deps{Log: log, Token: where.Token, Seed: *seed, SagaDeadline: *sagaDeadline, Brokers: kafka, Metrics: tel.Metrics}}
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
	middleware   []Middleware // the plugs', the first outermost
	stepDeadline time.Duration
	slowQuery    time.Duration
	deps         Deps // without the database and outbox, which run opens
}

func run[S any](ctx context.Context, s Service[S], cfg runConfig) error {
	log, addr, dsn, brokers := cfg.deps.Log, cfg.addr, cfg.dsn, cfg.deps.Brokers
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
	ob.Syncer = database.NewSyncer(dsn)
	deps := cfg.deps
	deps.DSN, deps.DB, deps.Outbox = cfg.dsn, db, ob
	_, parts, err := s.Build(ctx, deps)
	if err != nil {
		return err
	}
	log.Info("database ready", "engine", database.KindOf(dsn), "dsn", database.Redact(dsn))

	writer := kafkaio.NewWriter(brokers)
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
	runner.RetryFor = cfg.stepDeadline
	runner.Batches, runner.MaxBatch = ob, 32
	runner.Durable = ob.Durable
	handler := parts.Handler
	var alone []func(op, orderID string) bool
	for _, mw := range slices.Backward(cfg.middleware) {
		if mw.HTTP != nil {
			handler = mw.HTTP(handler)
		}
		if mw.Events != nil {
			runner.Wrap = chain(mw.Events, runner.Wrap)
			alone = append(alone, mw.Alone)
		}
	}
	if len(alone) > 0 && !slices.ContainsFunc(alone, func(f func(op, orderID string) bool) bool { return f == nil }) {
		runner.Alone = func(op, orderID string) bool {
			return slices.ContainsFunc(alone, func(f func(op, orderID string) bool) bool { return f(op, orderID) })
		}
	}
	var consumers sync.WaitGroup
	for _, sub := range parts.Subscriptions {
		consumers.Go(func() { _ = runner.Run(ctx, sub) })
	}
	if parts.Background != nil {
		consumers.Go(func() { parts.Background(ctx) })
	}
	defer consumers.Wait()
	return web.Serve(ctx, log, addr, handler, s.LongestWait, nil)
}

// chain is outer around inner (nil: none).
func chain(outer, inner consumer.Middleware) consumer.Middleware {
	if inner == nil {
		return outer
	}
	return func(op string, next consumer.Handler) consumer.Handler { return outer(op, inner(op, next)) }
}
