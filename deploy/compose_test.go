package deploy

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v3"

	"github.com/sagaforge/saga/lab/stack"
)

const root = ".."

// load parses docker-compose.yml as docker compose does (the compose-spec
// loader: schema, interpolation, anchors, profiles).
func load(t *testing.T) *types.Project {
	t.Helper()
	return loadWith(t)
}

// loadWith is load with env as the user's environment.
func loadWith(t *testing.T, env ...string) *types.Project {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{filepath.Join(root, "docker-compose.yml")},
		cli.WithWorkingDirectory(root), cli.WithName("saga"), cli.WithProfiles([]string{"tools"}),
		cli.WithEnv(env), cli.WithResolvedPaths(true))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("docker-compose.yml does not load: %v", err)
	}
	return p
}

func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, ok := p.Services[name]
	if !ok {
		t.Fatalf("docker-compose.yml has no service %q", name)
	}
	return s
}

func env(s types.ServiceConfig, key string) string {
	if v := s.Environment[key]; v != nil {
		return *v
	}
	return ""
}

// Every piece of the topology is there, and what must be healthy before
// its dependants start has a health check.
func TestComposeHasTheWholeTopology(t *testing.T) {
	p := load(t)
	for _, name := range []string{"postgresql", "temporal-schema", "temporal", "temporal-setup", "temporal-ui", "kafka", "kafka-init", "order", "inventory", "payment", "worker", "starter",
		"jaeger", "prometheus", "grafana"} {
		s := service(t, p, name)
		if s.Image == "" && s.Build == nil {
			t.Errorf("%s: neither image nor build", name)
		}
		if s.Image != "" && s.Build == nil && !regexp.MustCompile(`:v?[0-9][0-9A-Za-z.\-]*$`).MatchString(s.Image) {
			t.Errorf("%s: image %q is not pinned to a version", name, s.Image)
		}
	}
	for name, s := range p.Services {
		for dep, cond := range s.DependsOn {
			d := service(t, p, dep)
			switch cond.Condition {
			case types.ServiceConditionHealthy:
				if d.HealthCheck == nil || len(d.HealthCheck.Test) == 0 {
					t.Errorf("%s waits for %s to be healthy, which has no health check", name, dep)
				}
			case types.ServiceConditionCompletedSuccessfully:
				if d.Restart != "no" && !strings.HasPrefix(d.Restart, "on-failure") {
					t.Errorf("%s waits for %s to complete, which restarts even when it succeeds (%q)", name, dep, d.Restart)
				}
			}
		}
	}
	for _, name := range []string{"order", "inventory", "payment"} {
		if service(t, p, name).DependsOn["kafka-init"].Condition != types.ServiceConditionCompletedSuccessfully {
			t.Errorf("%s may start before the topics exist", name)
		}
	}
	if service(t, p, "worker").DependsOn["temporal-setup"].Condition != types.ServiceConditionCompletedSuccessfully {
		t.Error("the worker may start before the search attributes are registered")
	}
}

// The images are today's: Temporal's server with its admin tools doing the
// schema, the namespace and the search attributes (auto-setup is no longer
// built), the project's own image built here and never pulled, and a name
// for the project.
func TestComposeRunsWithTodaysImages(t *testing.T) {
	p := load(t)
	raw, err := os.ReadFile(filepath.Join(root, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^name: \S+`).Match(raw) {
		t.Error("docker-compose.yml has no top-level name:")
	}
	for name, s := range p.Services {
		if strings.Contains(s.Image, "auto-setup") {
			t.Errorf("%s uses %s, which Temporal no longer builds", name, s.Image)
		}
		if s.Build != nil && s.PullPolicy != types.PullPolicyBuild {
			t.Errorf("%s is built here but its pull_policy is %q, not build", name, s.PullPolicy)
		}
	}
	// The server's image ships no CLI from 1.30 on: its health check must
	// not need one (TestClusterToolsAreComposesVersions pins the versions).
	temporal := service(t, p, "temporal")
	if hc := temporal.HealthCheck; hc == nil || len(hc.Test) < 2 || hc.Test[0] != "CMD" || hc.Test[1] != "nc" {
		t.Errorf("the Temporal server's health check %v runs more than nc -z", temporal.HealthCheck)
	}
	if r := service(t, p, "temporal-schema").Restart; !strings.HasPrefix(r, "on-failure") {
		t.Errorf("the schema job's restart policy is %q: a first refused connection fails the stack", r)
	}
	if service(t, p, "temporal").DependsOn["temporal-schema"].Condition != types.ServiceConditionCompletedSuccessfully {
		t.Error("the Temporal server may start before its schema exists")
	}
	schema, err := os.ReadFile(filepath.Join(root, "deploy", "temporal", "schema.sh"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"temporal-sql-tool", "setup-schema", "update-schema", "/etc/temporal/schema}/postgresql/v12", "/versioned"} {
		if !strings.Contains(string(schema), want) {
			t.Errorf("deploy/temporal/schema.sh does not run %s", want)
		}
	}
	setup, err := os.ReadFile(filepath.Join(root, "deploy", "temporal", "setup.sh"))
	if err != nil || !strings.Contains(string(setup), "operator namespace create") {
		t.Errorf("deploy/temporal/setup.sh does not create the namespace (%v)", err)
	}
}

// Everything long-running that something waits for, or that a user looks
// at, says whether it is healthy, and no check starts a JVM.
func TestComposeChecksHealthCheaply(t *testing.T) {
	p := load(t)
	for name, s := range p.Services {
		if oneShot(p, name) || name == "jaeger" {
			continue // one-shot jobs, and Jaeger, which nothing waits for
		}
		if s.HealthCheck == nil || len(s.HealthCheck.Test) == 0 {
			t.Errorf("%s has no health check: docker compose ps cannot say it is healthy", name)
			continue
		}
		if cmd := strings.Join(s.HealthCheck.Test, " "); strings.Contains(cmd, ".sh") || strings.Contains(cmd, "java") {
			t.Errorf("%s checks its health with %q, a JVM at every check", name, cmd)
		}
	}
	if hc := service(t, p, "worker").HealthCheck; hc == nil || !strings.Contains(strings.Join(hc.Test, " "), "/healthz") {
		t.Error("the worker's health check does not ask its /healthz")
	}
}

// Every port is published on the host's loopback unless the user opts in
// (SAGA_BIND), and the services know where they are published, so that
// they refuse to be reachable from elsewhere without a token.
func TestComposePublishesOnLoopbackByDefault(t *testing.T) {
	p := load(t)
	for name, s := range p.Services {
		for _, pc := range s.Ports {
			if pc.HostIP != "127.0.0.1" {
				t.Errorf("%s publishes %s on %q, want 127.0.0.1 by default", name, pc.Published, pc.HostIP)
			}
		}
	}
	for _, name := range []string{"order", "inventory", "payment"} {
		if got := env(service(t, p, name), "SAGA_EXPOSED_ON"); got != "127.0.0.1" {
			t.Errorf("%s: SAGA_EXPOSED_ON=%q, want where its port is published (127.0.0.1)", name, got)
		}
	}
	opened := loadWith(t, "SAGA_BIND=0.0.0.0")
	if got := env(service(t, opened, "order"), "SAGA_EXPOSED_ON"); got != "0.0.0.0" {
		t.Errorf("with SAGA_BIND=0.0.0.0 the order service is told it is exposed on %q", got)
	}
}

// The addresses the starter uses by default on the host are published.
func TestComposePublishesTheStartersDefaults(t *testing.T) {
	p := load(t)
	want := map[string]uint32{"order": 8081, "inventory": 8082, "payment": 8083, "temporal": 7233, "temporal-ui": 8233, "kafka": 9092, "postgresql": 5432}
	for name, port := range want {
		published := false
		for _, pc := range service(t, p, name).Ports {
			if pc.Published == strconv.Itoa(int(port)) {
				published = true
			}
		}
		if !published {
			t.Errorf("%s does not publish %d on the host", name, port)
		}
	}
}

// Build contexts, the Dockerfile, every bind-mounted file, and the binaries
// named by commands and health checks exist.
func TestComposeReferencesWhatExists(t *testing.T) {
	p := load(t)
	dockerfile, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range p.Services {
		if s.Build != nil {
			df := s.Build.Dockerfile
			if !filepath.IsAbs(df) {
				df = filepath.Join(s.Build.Context, df)
			}
			if _, err := os.Stat(df); err != nil {
				t.Errorf("%s: build %s: %v", name, df, err)
			}
			// The command runs a binary the Dockerfile builds.
			bin := append(s.Entrypoint, s.Command...)[0]
			if !builds(string(dockerfile), bin) {
				t.Errorf("%s runs %q, which the Dockerfile does not build", name, bin)
			}
			if s.HealthCheck != nil && slices.Contains(s.HealthCheck.Test, "healthcheck") && !builds(string(dockerfile), "healthcheck") {
				t.Errorf("%s: health check binary not built", name)
			}
		}
		for _, v := range s.Volumes {
			if v.Type != types.VolumeTypeBind {
				continue
			}
			if _, err := os.Stat(v.Source); err != nil {
				t.Errorf("%s mounts %s: %v", name, v.Source, err)
			}
		}
	}
}

// builds tells whether the Dockerfile builds bin: every binary is
// cmd/NAME, and named NAME.
func builds(dockerfile, bin string) bool {
	return strings.Contains(dockerfile, "./cmd/"+bin+" ") || strings.Contains(dockerfile, "./cmd/"+bin+"\n")
}

// Each service has its own PostgreSQL database, created by the init script,
// and talks to Kafka and to the others by their compose names.
func TestComposeWiresTheServices(t *testing.T) {
	p := load(t)
	initSQL, err := os.ReadFile(filepath.Join(root, "deploy", "postgres", "init.sql"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, name := range []string{"order", "inventory", "payment"} {
		s := service(t, p, name)
		key := strings.ToUpper(name) + "_DB"
		dsn, err := url.Parse(env(s, key))
		if err != nil || dsn.Scheme != "postgres" || dsn.Host != "postgresql:5432" {
			t.Errorf("%s: %s=%q, want a postgres:// URL on postgresql:5432", name, key, env(s, key))
			continue
		}
		db := strings.TrimPrefix(dsn.Path, "/")
		if other, ok := seen[db]; ok {
			t.Errorf("%s and %s share database %q", name, other, db)
		}
		seen[db] = name
		if !regexp.MustCompile(`(?m)^CREATE DATABASE ` + regexp.QuoteMeta(db) + `;`).Match(initSQL) {
			t.Errorf("%s uses database %q, which init.sql does not create", name, db)
		}
		if env(s, "KAFKA_BROKERS") != "kafka:29092" {
			t.Errorf("%s: KAFKA_BROKERS=%q, want kafka's internal listener", name, env(s, "KAFKA_BROKERS"))
		}
	}
	for _, name := range []string{"worker", "starter"} {
		s := service(t, p, name)
		if env(s, "TEMPORAL_ADDRESS") != "temporal:7233" {
			t.Errorf("%s: TEMPORAL_ADDRESS=%q", name, env(s, "TEMPORAL_ADDRESS"))
		}
		for svc, port := range map[string]string{"order": "8081", "inventory": "8082", "payment": "8083"} {
			key := strings.ToUpper(svc) + "_URL"
			if want := "http://" + svc + ":" + port; env(s, key) != want {
				t.Errorf("%s: %s=%q, want %q", name, key, env(s, key), want)
			}
		}
	}
	temporal := service(t, p, "temporal")
	for _, key := range []string{"DBNAME", "VISIBILITY_DBNAME"} {
		if db := env(temporal, key); !strings.Contains(string(initSQL), "CREATE DATABASE "+db+";") {
			t.Errorf("temporal %s=%q is not created by init.sql", key, db)
		}
	}
}

// The search attributes the workflow upserts are registered (the topics:
// TestComposeAndClusterCreateTheTopicsOfOneFile).
func TestComposeRegistersTheSearchAttributes(t *testing.T) {
	setup, err := os.ReadFile(filepath.Join(root, "deploy", "temporal", "setup.sh"))
	if err != nil {
		t.Fatal(err)
	}
	for _, sa := range stack.SearchAttributes {
		if !strings.Contains(string(setup), sa) {
			t.Errorf("deploy/temporal/setup.sh does not register %s", sa)
		}
	}
}

// What must survive `docker compose down` (without -v) lives in volumes:
// the databases and Kafka's log.
func TestComposeKeepsStateInVolumes(t *testing.T) {
	p := load(t)
	onVolume := func(s types.ServiceConfig, dir string) bool {
		for _, v := range s.Volumes {
			if v.Type == types.VolumeTypeVolume && v.Target == dir {
				return true
			}
		}
		return false
	}
	if !onVolume(service(t, p, "postgresql"), "/var/lib/postgresql/data") {
		t.Error("PostgreSQL's data directory is not on a volume")
	}
	kafka := service(t, p, "kafka")
	if dir := env(kafka, "KAFKA_LOG_DIRS"); dir == "" || !onVolume(kafka, dir) {
		t.Errorf("Kafka's log (KAFKA_LOG_DIRS=%q) is not on a volume; the image's default is /tmp", dir)
	}
}

// Every process exports its spans to Jaeger, Prometheus scrapes every
// process's /metrics where it listens, and Grafana has both as data sources
// and the dashboard kept in deploy/grafana.
func TestComposeObservesEveryProcess(t *testing.T) {
	p := load(t)
	scrapeConfig, err := os.ReadFile(filepath.Join(root, "deploy", "prometheus", "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var prom struct {
		ScrapeConfigs []struct {
			DNS []struct {
				Names []string `yaml:"names"`
				Type  string   `yaml:"type"`
				Port  int      `yaml:"port"`
			} `yaml:"dns_sd_configs"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(scrapeConfig, &prom); err != nil {
		t.Fatal(err)
	}
	// scrapes tells whether Prometheus finds a service's replicas by DNS
	// (Docker answers a service's name with all of them) on port.
	scrapes := func(service, port string) bool {
		for _, sc := range prom.ScrapeConfigs {
			for _, d := range sc.DNS {
				if slices.Equal(d.Names, []string{service}) && d.Type == "A" && strconv.Itoa(d.Port) == port {
					return true
				}
			}
		}
		return false
	}
	listens := map[string]string{"order": "ORDER_ADDR", "inventory": "INVENTORY_ADDR", "payment": "PAYMENT_ADDR", "worker": "WORKER_ADDR"}
	dockerfile, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for name, addrVar := range listens {
		s := service(t, p, name)
		if got := env(s, "OTEL_EXPORTER_OTLP_ENDPOINT"); got != "http://jaeger:4318" {
			t.Errorf("%s exports traces to %q, want Jaeger's OTLP/HTTP endpoint", name, got)
		}
		// Where it listens: its compose environment, else the image's.
		addr := env(s, addrVar)
		if addr == "" {
			m := regexp.MustCompile(addrVar + `=(\S+)`).FindStringSubmatch(string(dockerfile))
			if m == nil {
				t.Errorf("%s: no %s in compose or the Dockerfile, so it listens on loopback only", name, addrVar)
				continue
			}
			addr = m[1]
		}
		_, port, _ := strings.Cut(addr, ":")
		if !strings.HasPrefix(addr, "0.0.0.0:") || !scrapes(name, port) {
			t.Errorf("%s listens on %s; prometheus.yml must find every replica of %s by DNS and scrape port %s", name, addr, name, port)
		}
	}
	if !scrapes("temporal", "8000") {
		t.Error("prometheus.yml does not scrape the Temporal server's own metrics (temporal:8000)")
	}
	for _, f := range []string{"provisioning/datasources/datasources.yml", "provisioning/dashboards/dashboards.yml", "dashboards/saga.json"} {
		if _, err := os.Stat(filepath.Join(root, "deploy", "grafana", f)); err != nil {
			t.Errorf("grafana: %v", err)
		}
	}
}

// oneShot tells whether a service is a job that runs to its end: it never
// restarts, or others wait for it to complete.
func oneShot(p *types.Project, name string) bool {
	if p.Services[name].Restart == "no" {
		return true
	}
	for _, s := range p.Services {
		if d, ok := s.DependsOn[name]; ok && d.Condition == types.ServiceConditionCompletedSuccessfully {
			return true
		}
	}
	return false
}

// What the README does against compose works: the purchase API is
// published where the starter's --api looks, Kafka's topics can be seen
// in a UI, and Grafana gets Temporal's own dashboards beside the saga's.
func TestComposePublishesThePurchaseAPIAndTheUIs(t *testing.T) {
	p := load(t)
	published := func(name string, target uint32) string {
		for _, pc := range service(t, p, name).Ports {
			if pc.Target == target {
				return pc.Published
			}
		}
		return ""
	}
	if got := published("worker", 8080); got != "8080" {
		t.Errorf("the worker's purchase API is published on %q, want 8080 (starter purchase --api http://127.0.0.1:8080)", got)
	}
	ui := service(t, p, "kafka-ui")
	if env(ui, "KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS") != "kafka:29092" || published("kafka-ui", 8080) == "" {
		t.Errorf("kafka-ui reads %q and is published on %q", env(ui, "KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS"), published("kafka-ui", 8080))
	}
	provisioning, err := os.ReadFile(filepath.Join(root, "deploy", "grafana", "provisioning", "dashboards", "dashboards.yml"))
	if err != nil {
		t.Fatal(err)
	}
	target, ok := "", false
	for _, v := range service(t, p, "grafana").Volumes {
		if v.Source == "temporal-dashboards" {
			target, ok = v.Target, true
		}
	}
	if !ok || !strings.Contains(string(provisioning), "path: "+target) {
		t.Errorf("grafana does not load Temporal's dashboards (volume at %q)", target)
	}
	if service(t, p, "grafana").DependsOn["temporal-dashboards"].Condition != types.ServiceConditionCompletedSuccessfully {
		t.Error("grafana may start before Temporal's dashboards are downloaded")
	}
}
