// Package stack starts and stops the whole system on one machine: the
// Temporal dev server (real server and Web UI, history in a SQLite file), the
// embedded Kafka-protocol broker, the three services and the worker, each as
// its own process. "make up", "make demo" and the integration tests all use
// it, so the tests run what users run.
package stack

import (
	"cmp"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/sagaforge/saga/internal/messaging/kafkaio"
	"github.com/sagaforge/saga/internal/platform/temporalx"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/internal/services/endpoints"
	"github.com/sagaforge/saga/starter"
)

// Config places the stack. Ports of 0 are picked free at start.
type Config struct {
	BinDir  string // holds temporal, broker, order, inventory, payment, worker
	DataDir string // databases and the broker's log
	Host    string

	TemporalPort, UIPort                  int
	OrderPort, InventoryPort, PaymentPort int
	BrokerPort                            int
	WorkerPort                            int // the worker's /metrics
	// Traces starts Jaeger (BinDir/jaeger, from make jaeger) as the stack's
	// trace store, first, and has every process export its spans to it:
	// its query API on TracesPort, OTLP/HTTP on OTLPPort.
	Traces                          bool
	TracesPort, OTLPPort, traceGRPC int

	// Seed is the services' seed data: "demo" (default) or "bench".
	Seed string
	// Databases maps a service's name to its database DSN (a SQLite path
	// or a postgres:// URL); a service not in it gets DataDir/NAME.db.
	Databases map[string]string
	// Topology is Embedded (the default) or Cluster (see cluster.go).
	Topology string
	// DeployDir is the repository's deploy/ folder, whose Temporal
	// configuration, scripts, topics and init.sql the cluster topology
	// runs as docker compose does; "deploy" when empty.
	DeployDir string
	cluster   clusterPorts
	// Env is added to every child's environment (e.g. SAGA_LOG_LEVEL=debug).
	Env []string
	// Output receives every child's log lines, prefixed with its name.
	Output io.Writer
}

// DefaultConfig is the documented layout: Temporal on 7233 with its UI on
// 8233, the services on 8081-8083 and the broker on 9092, all on loopback.
func DefaultConfig() Config {
	return Config{
		BinDir: "bin", DataDir: ".data", Host: "127.0.0.1",
		TemporalPort: 7233, UIPort: 8233,
		OrderPort: 8081, InventoryPort: 8082, PaymentPort: 8083, BrokerPort: 9092, WorkerPort: 8080,
		TracesPort: 16686, OTLPPort: 4318, traceGRPC: 16685,
	}
}

// Processes names the stack's processes in start order: the services, and
// the Temporal server, the broker and the worker.
var Processes = []string{"temporal", "broker", "order", "inventory", "payment", "worker"}

// Stack is a running system.
type Stack struct {
	cfg   Config
	procs map[string]*child
	order []string      // the processes' names in start order
	out   *prefixWriter // the children's lines and the stack's own
}

// Start starts every process in order, waiting for each to be ready, and
// stops what it started if one fails.
func Start(ctx context.Context, cfg Config) (*Stack, error) {
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	switch cfg.Topology {
	case "":
		cfg.Topology = Embedded
	case Embedded, Cluster:
	default:
		return nil, fmt.Errorf("topology %q: want %s or %s", cfg.Topology, Embedded, Cluster)
	}
	cfg.DeployDir = absolute(cmp.Or(cfg.DeployDir, "deploy"))
	if err := portsFree(cfg); err != nil {
		return nil, err
	}
	taken := map[int]bool{}
	for _, p := range cfg.ports() {
		if *p.port == 0 {
			free, err := freePort(cfg.Host, taken)
			if err != nil {
				return nil, err
			}
			*p.port = free
		}
		taken[*p.port] = true
	}
	if cfg.Output == nil {
		cfg.Output = io.Discard
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	if cfg.Traces {
		if err := os.WriteFile(filepath.Join(cfg.DataDir, "jaeger.yaml"), jaegerConfig, 0o644); err != nil {
			return nil, fmt.Errorf("write Jaeger's configuration: %w", err)
		}
		cfg.Env = append(slices.Clone(cfg.Env), "OTEL_EXPORTER_OTLP_ENDPOINT="+(&Stack{cfg: cfg}).OTLPEndpoint())
	}
	s := &Stack{cfg: cfg, procs: map[string]*child{}, out: &prefixWriter{w: cfg.Output, pad: 9}}
	procs := s.define()
	if cfg.Topology == Cluster {
		cluster, err := s.defineCluster()
		if err != nil {
			return nil, err
		}
		procs = append(procs[:len(procs)-len(Processes)], cluster...)
		s.out.pad = len("temporal-schema")
	}
	for _, p := range procs {
		p.out = s.out
		s.procs[p.name] = p
		s.order = append(s.order, p.name)
	}
	for _, name := range s.order {
		p := s.procs[name]
		err := p.start()
		if err == nil && p.once {
			err = p.finish(ctx, 5*time.Minute)
		} else if err == nil {
			err = p.waitReady(ctx, 90*time.Second)
		}
		if err != nil {
			s.Stop()
			return nil, err
		}
	}
	return s, nil
}

// names are the stack's processes in start order.
func (s *Stack) names() []string { return s.order }

// Names are the stack's processes in start order: in the cluster topology
// the replicas of a service are NAME-1 and NAME-2, the workers worker-1
// and worker-2, and "lb" is the load balancer.
func (s *Stack) Names() []string { return slices.Clone(s.order) }

// jaegerConfig runs Jaeger v2 as the stack's trace store.
//
//go:embed jaeger.yaml
var jaegerConfig []byte

func (s *Stack) define() []*child {
	c := s.cfg
	bin := func(name string) string { return filepath.Join(c.BinDir, name) }
	data := func(name string) string { return filepath.Join(c.DataDir, name) }
	addr := func(port int) string { return net.JoinHostPort(c.Host, strconv.Itoa(port)) }
	env := withDefault(append(kafkaio.PlainEnv(), c.Env...), "GOMAXPROCS", strconv.Itoa(ProcsEach()))
	svc := func(name string, port int) *child {
		return &child{name: name, path: bin(name), env: env,
			args:  []string{"--addr", addr(port), "--db", cmp.Or(c.Databases[name], data(name+".db")), "--brokers", addr(c.BrokerPort), "--seed", cmp.Or(c.Seed, "demo")},
			ready: httpReady("http://" + addr(port) + "/healthz")}
	}
	var jaeger []*child
	if c.Traces {
		jaeger = append(jaeger, &child{name: "jaeger", path: bin("jaeger"), args: []string{"--config", data("jaeger.yaml")},
			env:   append(slices.Clone(env), "SAGA_JAEGER_QUERY="+addr(c.TracesPort), "SAGA_JAEGER_OTLP="+addr(c.OTLPPort), "SAGA_JAEGER_GRPC="+addr(c.traceGRPC)),
			ready: httpReady("http://" + addr(c.TracesPort) + "/api/services")})
	}
	return append(jaeger, []*child{
		// At GOGC 200 the dev server's collector runs half as often, for a
		// heap of a few hundred MB at most (docs/bench/tuning.md).
		{name: "temporal", path: bin("temporal"), env: withDefault(env, "GOGC", "200"), args: TemporalArgs(c.Host, c.TemporalPort, c.UIPort, data("temporal.db")),
			ready: s.temporalReadyAndLean(data("temporal.db")),
			// It owns the saga histories, so it gets longer than the others
			// to shut down: once, under the full test suite's load, it took
			// more than 10 s, 7 s after its start (not reproduced alone;
			// temporalio/cli#79 reports a 10 s wait in its early shutdown).
			grace: 30 * time.Second},
		{name: "broker", path: bin("broker"), env: env,
			args:  []string{"--addr", addr(c.BrokerPort), "--data-dir", data("broker")},
			ready: tcpReady(addr(c.BrokerPort))},
		svc("order", c.OrderPort),
		svc("inventory", c.InventoryPort),
		svc("payment", c.PaymentPort),
		{name: "worker", path: bin("worker"), args: []string{
			"--temporal-address", addr(c.TemporalPort), "--addr", addr(c.WorkerPort), "--brokers", addr(c.BrokerPort), "--ui-url", s.url(c.UIPort),
			"--order-url", s.OrderURL(), "--inventory-url", s.InventoryURL(), "--payment-url", s.PaymentURL()},
			env: append(temporalx.PlainEnv(), env...), ready: s.workerReady},
	}...)
}

// ProcsEach is the GOMAXPROCS each process of a stack gets, the stack's
// own included, unless GOMAXPROCS is set. Seven Go runtimes share the
// machine; each sized for all of its cores spins idle threads looking for
// work and hands goroutines to threads that then wait for a core
// (docs/bench/tuning.md).
func ProcsEach() int { return max(1, runtime.NumCPU()/4) }

// TakeOwnShare gives the calling process, the stack itself, the GOMAXPROCS
// its children get, by the same rule: unless GOMAXPROCS is set.
func TakeOwnShare() {
	if _, set := os.LookupEnv("GOMAXPROCS"); !set {
		runtime.GOMAXPROCS(ProcsEach())
	}
}

// withDefault adds KEY=value to env unless the stack's own environment or
// env already sets KEY.
func withDefault(env []string, key, value string) []string {
	if _, set := os.LookupEnv(key); set {
		return env
	}
	for _, kv := range env {
		if strings.HasPrefix(kv, key+"=") {
			return env
		}
	}
	return append([]string{key + "=" + value}, env...)
}

// SearchAttributes are the custom search attributes the purchase workflow
// upserts, as NAME=TYPE; a cluster must have them registered.
var SearchAttributes = []string{"OrderId=Keyword", "CustomerId=Keyword", "OrderTotal=Int", "SagaStatus=Keyword"}

// TemporalArgs are the dev server's flags, tuned for latency on one node:
// the transfer queue is polled often instead of 20 times a second (each
// task hand-off otherwise waits ~50 ms), task queues have one partition (no
// multi-second outliers from a poll landing on an empty partition), eager
// activity execution is on, and SQLite runs in WAL mode without an fsync per
// commit; see LeanVisibility for the indexes of its visibility table.
func TemporalArgs(host string, port, uiPort int, dbFile string) []string {
	args := []string{"server", "start-dev",
		"--ip", host, "--port", strconv.Itoa(port), "--ui-port", strconv.Itoa(uiPort),
		"--db-filename", dbFile, "--log-level", "error",
		"--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal",
		// Another connection's write (LeanVisibility's, or a person's
		// sqlite3 shell) then makes the server wait instead of failing.
		"--sqlite-pragma", "busy_timeout=10000",
	}
	for _, sa := range SearchAttributes {
		args = append(args, "--search-attribute", sa)
	}
	for _, kv := range []string{
		"history.transferProcessorMaxPollRPS=1000",
		"history.timerProcessorMaxPollRPS=1000",
		// A queue forgets its done tasks only when it checkpoints, every 30
		// s by default, and each new range of tasks splits the map of all
		// it remembers; polled 1000 times a second, that map is what the
		// server spent its time on.
		`history.transferProcessorUpdateAckInterval="1s"`,
		`history.visibilityProcessorUpdateAckInterval="1s"`,
		"matching.numTaskqueueReadPartitions=1",
		"matching.numTaskqueueWritePartitions=1",
		"system.enableActivityEagerExecution=true",
		// start-dev re-reads the search attributes from the database on
		// every use so that ones added at run time show at once; ours are
		// written before the server starts, so the re-reads only cost.
		"system.forceSearchAttributesCacheRefreshOnRead=false",
		// The visibility queue is read twice a second instead of 20 times:
		// a start record whose workflow has closed by then is skipped (the
		// close record carries everything), which is most sagas. Lists and
		// the Web UI show a new saga up to half a second later.
		"history.visibilityProcessorMaxPollRPS=2",
	} {
		args = append(args, "--dynamic-config-value", kv)
	}
	return args
}

// Stop stops the processes in reverse order: SIGTERM, then SIGKILL after
// each one's grace (10 s; the dev server 30 s).
func (s *Stack) Stop() error {
	var errs []error
	names := s.names()
	for i := len(names) - 1; i >= 0; i-- {
		if p := s.procs[names[i]]; p != nil {
			errs = append(errs, p.terminate())
		}
	}
	return errors.Join(errs...)
}

// Kill kills one process with SIGKILL, as a crash would.
func (s *Stack) Kill(name string) error {
	p, ok := s.procs[name]
	if !ok {
		return fmt.Errorf("no process %q", name)
	}
	return p.signal(syscall.SIGKILL, 0)
}

// Victims are the processes a chaos run kills by default: every process
// that runs the saga (the services, the worker, the Temporal server and the
// broker); in the cluster topology each replica and worker.
func (s *Stack) Victims() []string {
	var victims []string
	for _, name := range s.order {
		switch {
		case name == "jaeger", name == "postgres", name == "lb", strings.HasPrefix(name, "temporal-"):
		default:
			victims = append(victims, name)
		}
	}
	return victims
}

// PID is a running process's ID, 0 when it is not running.
func (s *Stack) PID(name string) int {
	p, ok := s.procs[name]
	if !ok || !p.running() {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd.Process.Pid
}

// Restart starts a stopped or killed process again and waits until it is ready.
func (s *Stack) Restart(ctx context.Context, name string) error {
	p, ok := s.procs[name]
	if !ok {
		return fmt.Errorf("no process %q", name)
	}
	if p.running() {
		if err := p.terminate(); err != nil {
			return err
		}
	}
	if err := p.start(); err != nil {
		return err
	}
	return p.waitReady(ctx, 90*time.Second)
}

// Command is the shell command that starts a process as the stack does,
// with the environment the stack gives it, quoted for a POSIX shell.
func (s *Stack) Command(name string) string {
	p, ok := s.procs[name]
	if !ok {
		return ""
	}
	var words []string
	if len(p.env) > 0 {
		words = append(words, "env")
		for _, kv := range p.env {
			words = append(words, shellQuote(kv))
		}
	}
	words = append(words, shellQuote(p.path))
	for _, a := range p.args {
		words = append(words, shellQuote(a))
	}
	return strings.Join(words, " ")
}

// shellQuote quotes a word for a POSIX shell when it needs it.
func shellQuote(w string) string {
	if w != "" && strings.IndexFunc(w, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-./:=,@%+", r))
	}) < 0 {
		return w
	}
	return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
}

// Down returns the names of the processes that exited without being asked
// to, in start order; none when all are running.
func (s *Stack) Down() []string {
	var down []string
	for _, name := range s.names() {
		p := s.procs[name]
		p.mu.Lock()
		stopped := p.stopped
		p.mu.Unlock()
		if !stopped && !p.running() {
			down = append(down, name)
		}
	}
	return down
}

func (s *Stack) url(port int) string {
	return "http://" + net.JoinHostPort(s.cfg.Host, strconv.Itoa(port))
}

// OrderURL, InventoryURL and PaymentURL are the services' base URLs.
func (s *Stack) OrderURL() string     { return s.url(s.cfg.OrderPort) }
func (s *Stack) InventoryURL() string { return s.url(s.cfg.InventoryPort) }
func (s *Stack) PaymentURL() string   { return s.url(s.cfg.PaymentPort) }

// OTLPEndpoint is where the stack's processes export their spans (Jaeger's
// OTLP/HTTP receiver), empty when the stack keeps no traces.
func (s *Stack) OTLPEndpoint() string {
	if !s.cfg.Traces {
		return ""
	}
	return s.url(s.cfg.OTLPPort)
}

// TracesURL is Jaeger's query API, empty when the stack keeps no traces.
func (s *Stack) TracesURL() string {
	if !s.cfg.Traces {
		return ""
	}
	return s.url(s.cfg.TracesPort)
}

// WorkerURL is the worker's HTTP address (GET /metrics).
func (s *Stack) WorkerURL() string { return s.url(s.cfg.WorkerPort) }

// MetricsURLs are the /metrics endpoints of the services and the worker:
// in the cluster topology, of each replica and worker.
func (s *Stack) MetricsURLs() []string {
	var urls []string
	if s.cfg.Topology == Cluster {
		for i := range serviceNames {
			for _, port := range s.cfg.cluster.Services[i] {
				urls = append(urls, s.url(port)+"/metrics")
			}
		}
		for _, port := range s.cfg.cluster.Workers {
			urls = append(urls, s.url(port)+"/metrics")
		}
		return urls
	}
	for _, base := range []string{s.OrderURL(), s.InventoryURL(), s.PaymentURL(), s.WorkerURL()} {
		urls = append(urls, base+"/metrics")
	}
	return urls
}

// ProcessMetricsURL is the /metrics of one process of the cluster
// topology (order-1, worker-2, ...), empty for another name.
func (s *Stack) ProcessMetricsURL(name string) string {
	for i, svc := range serviceNames {
		for r, port := range s.cfg.cluster.Services[i] {
			if replicaName(svc, r) == name {
				return s.url(port) + "/metrics"
			}
		}
	}
	for r, port := range s.cfg.cluster.Workers {
		if replicaName("worker", r) == name {
			return s.url(port) + "/metrics"
		}
	}
	return ""
}

// BrokerAddr is the Kafka bootstrap address.
func (s *Stack) BrokerAddr() string {
	return net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.BrokerPort))
}

// Temporal is how to reach the stack's Temporal server and UI.
func (s *Stack) Temporal() temporalx.Config {
	return temporalx.Config{
		Address:   net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.TemporalPort)),
		Namespace: "default",
		UIURL:     s.url(s.cfg.UIPort),
	}
}

// Env is the environment a starter needs to talk to this stack: its
// addresses, plus the Config's Env (which may hold SAGA_SERVICE_TOKEN).
func (s *Stack) Env() []string {
	t := s.Temporal()
	env := append(append(temporalx.PlainEnv(), kafkaio.PlainEnv()...), "TEMPORAL_ADDRESS="+t.Address, "TEMPORAL_NAMESPACE="+t.Namespace, "TEMPORAL_UI_URL="+t.UIURL)
	if s.cfg.Traces {
		env = append(env, "JAEGER_URL="+s.TracesURL())
	}
	return append(append(env, s.Endpoints().Environ()...), s.cfg.Env...)
}

// Endpoints are where this stack's services are, with the token of the
// Config's Env (SAGA_SERVICE_TOKEN), if any.
func (s *Stack) Endpoints() endpoints.Endpoints {
	e := endpoints.Endpoints{Order: s.OrderURL(), Inventory: s.InventoryURL(), Payment: s.PaymentURL(), Brokers: s.BrokerAddr()}
	for _, kv := range s.cfg.Env {
		if token, ok := strings.CutPrefix(kv, endpoints.EnvToken+"="); ok {
			e.Token = token
		}
	}
	return e
}

// Starter is the starter's configuration for this stack, writing to stdout
// and stderr: its commands run in this process reach this stack without
// flags or environment variables.
func (s *Stack) Starter(stdout, stderr io.Writer) starter.Env {
	return starter.Env{Stdout: stdout, Stderr: stderr, Temporal: s.Temporal(), Services: s.Endpoints(), TemporalWait: starter.DefaultTemporalWait}
}

// temporalReady passes once the frontend answers for the default namespace.
func (s *Stack) temporalReady(ctx context.Context) error {
	c, err := temporalx.Dial(ctx, s.Temporal(), nil, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "default"})
	return err
}

// temporalReadyAndLean passes once the frontend answers and the
// visibility indexes of its database are trimmed (see LeanVisibility),
// before any saga runs; on a restart the trim finds nothing left to do.
func (s *Stack) temporalReadyAndLean(dbFile string) func(context.Context) error {
	return func(ctx context.Context) error {
		if err := s.temporalReady(ctx); err != nil {
			return err
		}
		dropped, partial, err := LeanVisibility(ctx, dbFile)
		if err != nil {
			return err
		}
		if dropped+partial > 0 {
			s.out.line("stack", fmt.Sprintf("visibility indexes of %s: %d dropped, %d made partial", filepath.Base(dbFile), dropped, partial))
		}
		return nil
	}
}

// workerReady passes once a worker polls the purchase task queue, so a saga
// started right after Start is picked up at once.
func (s *Stack) workerReady(ctx context.Context) error {
	c, err := temporalx.Dial(ctx, s.Temporal(), nil, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	resp, err := c.WorkflowService().DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
		Namespace:     "default",
		TaskQueue:     &taskqueuepb.TaskQueue{Name: saga.TaskQueue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
		TaskQueueType: enumspb.TASK_QUEUE_TYPE_WORKFLOW,
	})
	if err != nil {
		return err
	}
	if len(resp.GetPollers()) == 0 {
		return errors.New("no worker polls " + saga.TaskQueue + " yet")
	}
	return nil
}

func httpReady(url string) func(context.Context) error {
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s answered %d", url, resp.StatusCode)
		}
		return nil
	}
}

func tcpReady(addr string) func(context.Context) error {
	return func(ctx context.Context) error {
		conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		return conn.Close()
	}
}

// portsFree refuses to start on ports something already listens on. The
// readiness checks cannot tell our child from a stranger: with another stack
// still up, this one's server would fail to bind while its checks passed
// against the other's, and the run would go on against a stack being torn
// down.
func portsFree(cfg Config) error {
	for _, p := range cfg.ports() {
		if *p.port == 0 {
			continue
		}
		addr := net.JoinHostPort(cfg.Host, strconv.Itoa(*p.port))
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("%s port %s is taken (another stack still running?): %w", p.name, addr, err)
		}
		ln.Close()
	}
	return nil
}

// namedPort is one of the stack's ports, named for messages.
type namedPort struct {
	name string
	port *int
}

func (c *Config) ports() []namedPort {
	ports := []namedPort{{"temporal", &c.TemporalPort}, {"Web UI", &c.UIPort}, {"order", &c.OrderPort},
		{"inventory", &c.InventoryPort}, {"payment", &c.PaymentPort}, {"broker", &c.BrokerPort}, {"worker", &c.WorkerPort}}
	if c.Topology == Cluster {
		ports = append(ports, c.clusterPortList()...)
	}
	if c.Traces {
		ports = append(ports, namedPort{"Jaeger", &c.TracesPort}, namedPort{"OTLP", &c.OTLPPort}, namedPort{"Jaeger gRPC", &c.traceGRPC})
	}
	return ports
}

// freePort picks a port nothing listens on, and none of taken. It picks
// below Linux's ephemeral range (32768 and up), which is where a port from
// Listen(":0") comes from, and where every outgoing connection on the
// machine takes its local port: one of those could take the port between
// this check and the child's bind.
func freePort(host string, taken map[int]bool) (int, error) {
	for range 200 {
		port := 20000 + rand.IntN(12000)
		if taken[port] {
			continue
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			continue // in use
		}
		ln.Close()
		return port, nil
	}
	return 0, fmt.Errorf("no free port on %s between 20000 and 32000", host)
}
