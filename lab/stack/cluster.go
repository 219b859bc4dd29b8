package stack

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"go.temporal.io/sdk/client"

	"github.com/sagaforge/saga/internal/messaging/kafkaio"
	"github.com/sagaforge/saga/internal/platform/temporalx"
)

// The stack's topologies. Embedded runs the Temporal dev server and one
// process per service on SQLite; Cluster runs what docker compose runs, as
// processes on this machine: PostgreSQL, a Temporal server on it with SQL
// visibility, the Web UI, the broker with compose's partitions, Replicas of
// each service on PostgreSQL behind HAProxy, and Replicas workers.
const (
	Embedded = "embedded"
	Cluster  = "cluster"
)

// Replicas is how many processes of each service, and workers, the cluster
// topology runs.
const Replicas = 2

// clusterPorts are the cluster topology's ports beyond the public ones: the
// replicas' and workers' own (behind the load balancer), PostgreSQL's, and
// the Temporal server's roles.
type clusterPorts struct {
	Postgres          int
	Services          [3][Replicas]int // order, inventory, payment
	Workers           [Replicas]int
	TemporalHTTP      int
	History, Matching int
	TemporalWorker    int
	TemporalMetrics   int
	Membership        [4]int // frontend, history, matching, worker
}

// UseClusterDefaults gives the cluster topology compose's PostgreSQL port;
// its other ports behind the load balancer are picked free at start.
func (c *Config) UseClusterDefaults() {
	c.Topology = Cluster
	if c.cluster.Postgres == 0 {
		c.cluster.Postgres = 5432
	}
}

func (c *Config) clusterPortList() []namedPort {
	p := &c.cluster
	ports := []namedPort{{"PostgreSQL", &p.Postgres}, {"Temporal HTTP", &p.TemporalHTTP}, {"Temporal history", &p.History},
		{"Temporal matching", &p.Matching}, {"Temporal worker", &p.TemporalWorker}, {"Temporal metrics", &p.TemporalMetrics}}
	for i := range p.Membership {
		ports = append(ports, namedPort{"Temporal membership", &p.Membership[i]})
	}
	for s, name := range serviceNames {
		for r := range Replicas {
			ports = append(ports, namedPort{replicaName(name, r), &p.Services[s][r]})
		}
	}
	for r := range Replicas {
		ports = append(ports, namedPort{replicaName("worker", r), &p.Workers[r]})
	}
	return ports
}

var serviceNames = [3]string{"order", "inventory", "payment"}

// replicaName is the process name of replica r (from 0) of a service: order-1.
func replicaName(service string, r int) string { return service + "-" + strconv.Itoa(r+1) }

// serviceDatabase is the PostgreSQL database of each service, as
// deploy/postgres/init.sql creates them.
var serviceDatabase = map[string]string{"order": "orders", "inventory": "inventory", "payment": "payments"}

// The PostgreSQL role docker compose uses; the cluster topology's server
// has it as its superuser.
const pgUser, pgPassword = "saga", "saga"

// PostgresURL is the URL of one of the cluster topology's databases.
func (s *Stack) PostgresURL(database string) string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(pgUser, pgPassword),
		Host: net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.cluster.Postgres)), Path: "/" + database, RawQuery: "sslmode=disable"}
	return u.String()
}

// ClusterEnv is the environment the cluster topology gives the process
// that runs a script of deploy/temporal (temporal-schema, temporal,
// temporal-setup): the environment docker compose gives the service of the
// same name, with the addresses and paths of this machine (ComposeMapping).
// deploy/compose_test.go checks the two stay the same.
func (c Config) ClusterEnv(process string) map[string]string {
	db := map[string]string{
		"DB": "postgres12", "DB_PORT": strconv.Itoa(c.cluster.Postgres), "POSTGRES_SEEDS": c.Host,
		"POSTGRES_USER": pgUser, "POSTGRES_PWD": pgPassword, "DBNAME": "temporal", "VISIBILITY_DBNAME": "temporal_visibility",
	}
	deploy := func(p string) string { return filepath.Join(c.DeployDir, p) }
	switch process {
	case "temporal-schema":
		db["TEMPORAL_SQL_TOOL"] = filepath.Join(c.BinDir, "temporal-sql-tool")
		db["TEMPORAL_SCHEMA_DIR"] = filepath.Join(c.BinDir, "temporal-files", "schema")
		return db
	case "temporal":
		p := c.cluster
		db["TEMPORAL_CONFIG"] = deploy("temporal/config")
		db["DYNAMIC_CONFIG_FILE_PATH"] = deploy("temporal/dynamicconfig.yaml")
		db["TEMPORAL_SERVER"] = filepath.Join(c.BinDir, "temporal-server")
		db["BIND_ON_IP"] = c.Host
		for k, v := range map[string]int{"FRONTEND_GRPC_PORT": c.TemporalPort, "FRONTEND_HTTP_PORT": p.TemporalHTTP,
			"HISTORY_GRPC_PORT": p.History, "MATCHING_GRPC_PORT": p.Matching, "WORKER_GRPC_PORT": p.TemporalWorker,
			"FRONTEND_MEMBERSHIP_PORT": p.Membership[0], "HISTORY_MEMBERSHIP_PORT": p.Membership[1],
			"MATCHING_MEMBERSHIP_PORT": p.Membership[2], "WORKER_MEMBERSHIP_PORT": p.Membership[3], "METRICS_PORT": p.TemporalMetrics} {
			db[k] = strconv.Itoa(v)
		}
		return db
	case "temporal-setup":
		return map[string]string{"TEMPORAL_ADDRESS": net.JoinHostPort(c.Host, strconv.Itoa(c.TemporalPort)), "TEMPORAL_NAMESPACE": "default"}
	}
	return nil
}

// ComposeMapping is what differs between a compose service's environment
// and ClusterEnv's for the same process: the keys whose values are this
// machine's (hosts, ports, paths), and the keys only the cluster topology
// sets (where its binaries are, and the ports compose leaves at Temporal's
// defaults). Every other key has the same value in both.
var ComposeMapping = struct {
	Addresses, Paths, ClusterOnly []string
}{
	Addresses: []string{"DB_PORT", "POSTGRES_SEEDS", "TEMPORAL_ADDRESS"},
	Paths:     []string{"TEMPORAL_CONFIG", "DYNAMIC_CONFIG_FILE_PATH"},
	ClusterOnly: []string{"TEMPORAL_SQL_TOOL", "TEMPORAL_SCHEMA_DIR", "TEMPORAL_SERVER", "BIND_ON_IP",
		"FRONTEND_GRPC_PORT", "FRONTEND_HTTP_PORT", "HISTORY_GRPC_PORT", "MATCHING_GRPC_PORT", "WORKER_GRPC_PORT",
		"FRONTEND_MEMBERSHIP_PORT", "HISTORY_MEMBERSHIP_PORT", "MATCHING_MEMBERSHIP_PORT", "WORKER_MEMBERSHIP_PORT", "METRICS_PORT"},
}

// ClusterScripts are the deploy/ scripts the cluster topology runs, by
// process; docker compose's service of the same name runs the same file.
var ClusterScripts = map[string]string{
	"temporal-schema": "temporal/schema.sh",
	"temporal":        "temporal/server.sh",
	"temporal-setup":  "temporal/setup.sh",
}

// TopicsFile is the topics file, under deploy/, that compose's kafka-init
// and the cluster topology's broker both read.
const TopicsFile = "kafka/topics"

func envList(m map[string]string) []string {
	var env []string
	for k, v := range m {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	return env
}

// defineCluster is the cluster topology's processes in start order.
func (s *Stack) defineCluster() ([]*child, error) {
	c := s.cfg
	bin := func(name string) string { return filepath.Join(c.BinDir, name) }
	data := func(name string) string { return filepath.Join(c.DataDir, name) }
	addr := func(port int) string { return net.JoinHostPort(c.Host, strconv.Itoa(port)) }
	env := withDefault(append(kafkaio.PlainEnv(), c.Env...), "GOMAXPROCS", strconv.Itoa(ProcsEach()))
	script := func(name string) *child {
		return &child{name: name, path: "/bin/sh", args: []string{filepath.Join(c.DeployDir, ClusterScripts[name])},
			env: append(slices.Clone(env), envList(c.ClusterEnv(name))...)}
	}

	for _, tool := range []string{"temporal-server", "temporal-sql-tool", "temporal-ui", "temporal", "temporal-files/schema"} {
		if _, err := os.Stat(bin(tool)); err != nil {
			return nil, fmt.Errorf("the cluster topology needs %s: make cluster-tools builds it (%w)", bin(tool), err)
		}
	}
	pg, err := s.postgres()
	if err != nil {
		return nil, err
	}
	schema := script("temporal-schema")
	schema.once = true
	server := script("temporal")
	server.ready = s.temporalHealthy
	server.grace = 30 * time.Second
	setup := script("temporal-setup")
	setup.once = true
	// setup.sh runs the Temporal CLI, as compose's admin-tools image does.
	setup.env = append(setup.env, "PATH="+absolute(c.BinDir)+string(os.PathListSeparator)+os.Getenv("PATH"))
	// The Web UI on the configuration of compose's image (the same
	// ui-server version's docker.yaml), on the stack's host only.
	uiConfig, err := os.ReadFile(bin("temporal-files/ui/docker.yaml"))
	if err != nil {
		return nil, fmt.Errorf("the Web UI's configuration (make cluster-tools): %w", err)
	}
	if err := os.MkdirAll(data("temporal-ui"), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(data("temporal-ui/docker.yaml"), append(uiConfig, []byte("\nhost: "+c.Host+"\n")...), 0o644); err != nil {
		return nil, err
	}
	ui := &child{name: "temporal-ui", path: bin("temporal-ui"),
		args: []string{"--root", "/", "--config", absolute(data("temporal-ui")), "--env", "docker", "start"},
		env: append(slices.Clone(env), "TEMPORAL_ADDRESS="+addr(c.TemporalPort), "TEMPORAL_UI_PORT="+strconv.Itoa(c.UIPort),
			"TEMPORAL_CORS_ORIGINS="+s.url(c.UIPort)),
		ready: httpReady(s.url(c.UIPort) + "/healthz")}
	broker := &child{name: "broker", path: bin("broker"), env: env,
		args:  []string{"--addr", addr(c.BrokerPort), "--data-dir", data("broker"), "--topics", filepath.Join(c.DeployDir, TopicsFile)},
		ready: tcpReady(addr(c.BrokerPort))}
	procs := []*child{pg, schema, server, setup, ui, broker}
	for i, name := range serviceNames {
		for r := range Replicas {
			port := c.cluster.Services[i][r]
			procs = append(procs, &child{name: replicaName(name, r), path: bin(name), env: env,
				args: []string{"--addr", addr(port), "--db", s.PostgresURL(serviceDatabase[name]), "--brokers", addr(c.BrokerPort),
					"--seed", cmp.Or(c.Seed, "demo")},
				ready: httpReady("http://" + addr(port) + "/healthz")})
		}
	}
	if err := os.WriteFile(data("haproxy.cfg"), []byte(s.haproxyConfig()), 0o644); err != nil {
		return nil, fmt.Errorf("write the load balancer's configuration: %w", err)
	}
	haproxy, err := haproxyPath()
	if err != nil {
		return nil, err
	}
	procs = append(procs, &child{name: "lb", path: haproxy, args: []string{"-f", data("haproxy.cfg"), "-db"}, env: env,
		ready: allReady(httpReady(s.OrderURL()+"/healthz"), httpReady(s.InventoryURL()+"/healthz"), httpReady(s.PaymentURL()+"/healthz"))})
	for r := range Replicas {
		own := addr(c.cluster.Workers[r])
		procs = append(procs, &child{name: replicaName("worker", r), path: bin("worker"), args: []string{
			"--temporal-address", addr(c.TemporalPort), "--addr", own, "--brokers", addr(c.BrokerPort), "--ui-url", s.url(c.UIPort),
			"--order-url", s.OrderURL(), "--inventory-url", s.InventoryURL(), "--payment-url", s.PaymentURL()},
			env: append(temporalx.PlainEnv(), env...), ready: allReady(httpReady("http://"+own+"/healthz"), s.workerReady)})
	}
	return procs, nil
}

// haproxyConfig puts the services' replicas, and the workers' purchase
// APIs, behind one port each. A replica that fails its health check, or
// refuses a connection, gets no requests; a request whose connection fails
// or whose replica dies before answering is sent again to the other (every
// mutating call of the services is idempotent under retry).
func (s *Stack) haproxyConfig() string {
	c := s.cfg
	var b strings.Builder
	b.WriteString(`# Written by the stack's cluster topology at each start.
global
  maxconn 8192

defaults
  mode http
  timeout connect 2s
  timeout client 2m
  timeout server 2m
  timeout http-keep-alive 1m
  option http-keep-alive
  option redispatch 1
  retries 3
  retry-on conn-failure empty-response 503
  default-server inter 500ms fall 2 rise 2
`)
	backend := func(name string, port int, servers []int) {
		fmt.Fprintf(&b, "\nfrontend %s\n  bind %s\n  default_backend %s\n\nbackend %s\n  balance roundrobin\n  option httpchk GET /healthz\n",
			name, net.JoinHostPort(c.Host, strconv.Itoa(port)), name, name)
		for r, p := range servers {
			fmt.Fprintf(&b, "  server %s %s check\n", replicaName(name, r), net.JoinHostPort(c.Host, strconv.Itoa(p)))
		}
	}
	ports := []int{c.OrderPort, c.InventoryPort, c.PaymentPort}
	for i, name := range serviceNames {
		backend(name, ports[i], c.cluster.Services[i][:])
	}
	backend("worker", c.WorkerPort, c.cluster.Workers[:])
	return b.String()
}

// postgres is the cluster topology's PostgreSQL server, with a database
// cluster in DataDir/postgres made on first start (initdb) and the
// databases of deploy/postgres/init.sql created once it answers. As root
// it runs as the postgres user, since the server refuses to run as root.
func (s *Stack) postgres() (*child, error) {
	c := s.cfg
	binDir, err := postgresBin()
	if err != nil {
		return nil, err
	}
	dir := absolute(filepath.Join(c.DataDir, "postgres"))
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("PostgreSQL refuses to run as root and there is no postgres user to run it as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if dir, err = s.postgresDirForUser(dir); err != nil {
			return nil, err
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "PG_VERSION")); err != nil {
		if err := initdb(binDir, dir, cred); err != nil {
			return nil, err
		}
	}
	return &child{name: "postgres", path: filepath.Join(binDir, "postgres"), cred: cred,
		args: []string{"-D", filepath.Join(dir, "data"), "-p", strconv.Itoa(c.cluster.Postgres), "-k", dir,
			"-c", "listen_addresses=" + c.Host, "-c", "max_connections=400"},
		ready: s.postgresReady}, nil
}

// postgresDirForUser is where the postgres user keeps the cluster of
// DataDir/postgres when the stack runs as root: DataDir may lie under a
// folder that user cannot enter (root's home, a test's temporary folder),
// so the cluster lives in the system's temporary folder, one per DataDir,
// and DataDir/postgres links to it.
func (s *Stack) postgresDirForUser(link string) (string, error) {
	if target, err := os.Readlink(link); err == nil {
		return target, nil
	}
	sum := sha256.Sum256([]byte(link))
	dir := filepath.Join(os.TempDir(), "saga-postgres-"+hex.EncodeToString(sum[:6]))
	// A folder there without the link is left from a DataDir since
	// removed: a new DataDir starts with a new database cluster.
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		return "", err
	}
	if err := os.Symlink(dir, link); err != nil {
		return "", fmt.Errorf("link %s to the PostgreSQL folder: %w", link, err)
	}
	return dir, nil
}

// PostgresDir is the cluster topology's PostgreSQL folder (DataDir/postgres,
// or where it links to when the stack runs as root).
func (s *Stack) PostgresDir() string {
	dir := absolute(filepath.Join(s.cfg.DataDir, "postgres"))
	if target, err := os.Readlink(dir); err == nil {
		return target
	}
	return dir
}

// haproxyPath finds HAProxy: on PATH, or where Debian puts it.
func haproxyPath() (string, error) {
	if path, err := exec.LookPath("haproxy"); err == nil {
		return path, nil
	}
	if _, err := os.Stat("/usr/sbin/haproxy"); err == nil {
		return "/usr/sbin/haproxy", nil
	}
	return "", errors.New("the cluster topology needs HAProxy: apt-get install haproxy")
}

// postgresBin finds PostgreSQL's programs: SAGA_PG_BIN, or Debian's newest
// under /usr/lib/postgresql.
func postgresBin() (string, error) {
	if dir := os.Getenv("SAGA_PG_BIN"); dir != "" {
		return dir, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgMajor(dirs[i]) < pgMajor(dirs[j]) })
	if len(dirs) == 0 {
		return "", errors.New("the cluster topology needs PostgreSQL: apt-get install postgresql, or set SAGA_PG_BIN to the directory of initdb and postgres")
	}
	return dirs[len(dirs)-1], nil
}

func pgMajor(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// initdb makes a database cluster whose superuser is compose's role, with
// its password required on TCP connections, as compose's image does.
func initdb(binDir, dir string, cred *syscall.Credential) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	pwfile := filepath.Join(dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(pgPassword+"\n"), 0o600); err != nil {
		return err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return err
		}
		if err := os.Chown(pwfile, int(cred.Uid), int(cred.Gid)); err != nil {
			return err
		}
	}
	p := &child{name: "initdb", path: filepath.Join(binDir, "initdb"), cred: cred,
		args: []string{"-D", filepath.Join(dir, "data"), "-U", pgUser, "--pwfile", pwfile, "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8"}}
	out, err := p.output()
	if err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, out)
	}
	return nil
}

// postgresReady passes once the server answers, after creating the
// databases of deploy/postgres/init.sql that do not exist yet (compose's
// image runs that file once, on a new volume).
func (s *Stack) postgresReady(ctx context.Context) error {
	db, err := sql.Open("pgx", s.PostgresURL("postgres"))
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		return err
	}
	initSQL, err := os.ReadFile(filepath.Join(s.cfg.DeployDir, "postgres", "init.sql"))
	if err != nil {
		return err
	}
	for _, stmt := range sqlStatements(string(initSQL)) {
		var pgErr *pgconn.PgError
		if _, err := db.ExecContext(ctx, stmt); err != nil && !(errors.As(err, &pgErr) && pgErr.Code == "42P04") { // duplicate_database
			return fmt.Errorf("deploy/postgres/init.sql: %s: %w", stmt, err)
		}
	}
	return nil
}

// sqlStatements splits a file of SQL statements, one or more lines each
// ending with a semicolon, with -- comments.
func sqlStatements(text string) []string {
	var stmts []string
	var cur strings.Builder
	for _, line := range strings.Split(text, "\n") {
		if i := strings.Index(line, "--"); i >= 0 {
			line = line[:i]
		}
		cur.WriteString(line + "\n")
		if strings.HasSuffix(strings.TrimSpace(line), ";") {
			stmts = append(stmts, strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(cur.String()), ";")))
			cur.Reset()
		}
	}
	return stmts
}

// temporalHealthy passes once the Temporal server's frontend answers its
// health check; the namespace comes after, from setup.sh.
func (s *Stack) temporalHealthy(ctx context.Context) error {
	cfg := s.Temporal()
	cfg.Namespace = "temporal-system"
	c, err := temporalx.Dial(ctx, cfg, nil, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.CheckHealth(ctx, &client.CheckHealthRequest{})
	return err
}

// allReady passes once every check passes, in order.
func allReady(checks ...func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		for _, check := range checks {
			if err := check(ctx); err != nil {
				return err
			}
		}
		return nil
	}
}

func absolute(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}
