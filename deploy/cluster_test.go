package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/lab/broker"
	"github.com/sagaforge/saga/lab/stack"
)

// The cluster topology of the stack runs what docker compose runs: the
// same deploy/ scripts, with the same environment but for the keys
// stack.ComposeMapping names, and paths that lead to the same files. A
// change to one side that the other does not follow fails here.
func TestClusterRunsComposesTemporalFilesAndEnvironment(t *testing.T) {
	p := load(t)
	repo, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	cfg := stack.Config{BinDir: "bin", DeployDir: filepath.Join(repo, "deploy"), Host: "127.0.0.1"}
	m := stack.ComposeMapping
	used := map[string]bool{}
	for process, script := range stack.ClusterScripts {
		s := service(t, p, process)
		// The compose service runs the script the cluster runs.
		target, ok := mountOf(s, filepath.Join(repo, "deploy", script))
		if !ok {
			t.Errorf("compose's %s does not mount deploy/%s, which the cluster runs", process, script)
		} else if !slices.Contains(append(s.Entrypoint, s.Command...), target) {
			t.Errorf("compose's %s mounts deploy/%s at %s but runs %q", process, script, target, append(s.Entrypoint, s.Command...))
		}
		cluster := cfg.ClusterEnv(process)
		for key, v := range s.Environment {
			value := ""
			if v != nil {
				value = *v
			}
			got, ok := cluster[key]
			switch {
			case !ok:
				t.Errorf("compose gives %s %s=%q; the cluster does not set %s", process, key, value, key)
			case slices.Contains(m.Paths, key):
				used[key] = true
				want, ok := sourceOf(s, value)
				if !ok {
					t.Errorf("compose's %s %s=%s is not a path it mounts from the repository", process, key, value)
				} else if got != want {
					t.Errorf("%s %s: compose mounts %s there, the cluster uses %s", process, key, want, got)
				}
			case slices.Contains(m.Addresses, key):
				used[key] = true
			case got != value:
				t.Errorf("%s %s: compose %q, cluster %q (not an address or a path: they must be equal)", process, key, value, got)
			}
		}
		for key := range cluster {
			if _, inCompose := s.Environment[key]; !inCompose && !slices.Contains(m.ClusterOnly, key) {
				t.Errorf("the cluster gives %s %s, which compose does not and stack.ComposeMapping does not list", process, key)
			}
			if slices.Contains(m.ClusterOnly, key) {
				used[key] = true
			}
		}
	}
	for _, key := range slices.Concat(m.Addresses, m.Paths, m.ClusterOnly) {
		if !used[key] {
			t.Errorf("stack.ComposeMapping lists %s, which neither side sets any more", key)
		}
	}
}

// The server's configuration is the file compose mounts where the server
// looks for it, and the dynamic config the one compose mounts.
func TestComposeStartsTheServerOnTheSharedConfig(t *testing.T) {
	p := load(t)
	repo, _ := filepath.Abs(root)
	s := service(t, p, "temporal")
	dir := env(s, "TEMPORAL_CONFIG")
	if src, ok := sourceOf(s, filepath.Join(dir, "saga.yaml")); !ok || src != filepath.Join(repo, "deploy/temporal/config/saga.yaml") {
		t.Errorf("compose's temporal does not find deploy/temporal/config/saga.yaml in %s (mounted: %s)", dir, src)
	}
	server, err := os.ReadFile(filepath.Join(root, "deploy/temporal/server.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(server), "--env saga") {
		t.Error("server.sh does not start the server on saga.yaml (--env saga)")
	}
	config, err := os.ReadFile(filepath.Join(root, "deploy/temporal/config/saga.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// Every variable the config reads is one compose or the cluster sets,
	// or one it gives a default.
	cluster := stack.Config{}.ClusterEnv("temporal")
	for _, m := range regexp.MustCompile(`env "([A-Z_]+)"( \| default)?`).FindAllStringSubmatch(string(config), -1) {
		name, hasDefault := m[1], m[2] != ""
		_, inCompose := s.Environment[name]
		if _, inCluster := cluster[name]; !hasDefault && !inCompose && !inCluster {
			t.Errorf("saga.yaml reads %s, which neither compose nor the cluster sets and which has no default", name)
		}
	}
}

// Compose's Kafka and the cluster's broker create the topics of one file,
// and that file holds exactly the topics the code uses.
func TestComposeAndClusterCreateTheTopicsOfOneFile(t *testing.T) {
	p := load(t)
	repo, _ := filepath.Abs(root)
	file := filepath.Join(repo, "deploy", stack.TopicsFile)
	s := service(t, p, "kafka-init")
	target, ok := mountOf(s, file)
	if !ok {
		t.Fatalf("kafka-init does not mount %s", stack.TopicsFile)
	}
	if script := strings.Join(append(s.Entrypoint, s.Command...), " "); !strings.Contains(script, target) {
		t.Errorf("kafka-init mounts the topics file at %s but does not read it", target)
	}
	topics, err := broker.ReadTopics(file)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, topic := range topics {
		names = append(names, topic.Name)
	}
	slices.Sort(names)
	want := slices.Sorted(slices.Values(events.Topics))
	if !slices.Equal(names, want) {
		t.Errorf("deploy/%s has %v; the code uses %v", stack.TopicsFile, names, want)
	}
}

// The Temporal server, its SQL tool and the Web UI the cluster builds are
// the versions of compose's images.
func TestClusterToolsAreComposesVersions(t *testing.T) {
	p := load(t)
	data, err := os.ReadFile(filepath.Join(root, "tools/temporal-cluster/go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	version := func(path string) string {
		m := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(path) + ` v(\S+)`).FindSubmatch(data)
		if m == nil {
			t.Fatalf("tools/temporal-cluster/go.mod does not require %s", path)
		}
		return string(m[1])
	}
	server, ui := version("go.temporal.io/server"), version("github.com/temporalio/ui-server/v2")
	for name, want := range map[string]string{"temporal": "temporalio/server:" + server, "temporal-ui": "temporalio/ui:" + ui} {
		if got := service(t, p, name).Image; got != want {
			t.Errorf("compose's %s runs %s; the cluster builds %s", name, got, want)
		}
	}
	for _, name := range []string{"temporal-schema", "temporal-setup"} {
		if got := service(t, p, name).Image; got != "temporalio/admin-tools:"+server {
			t.Errorf("compose's %s runs %s; the cluster's SQL tool is the server's %s", name, got, server)
		}
	}
}

// mountOf is where a compose service mounts a file of the repository.
func mountOf(s types.ServiceConfig, source string) (string, bool) {
	for _, v := range s.Volumes {
		if v.Type == types.VolumeTypeBind && v.Source == source {
			return v.Target, true
		}
	}
	return "", false
}

// sourceOf is the repository path a path inside a compose service comes
// from: a mounted file, or the folder of the files mounted under it.
func sourceOf(s types.ServiceConfig, inside string) (string, bool) {
	var dirs []string
	for _, v := range s.Volumes {
		if v.Type != types.VolumeTypeBind {
			continue
		}
		if v.Target == inside {
			return v.Source, true
		}
		if rest, ok := strings.CutPrefix(v.Target, inside+"/"); ok && !strings.Contains(rest, "/") {
			dirs = append(dirs, filepath.Dir(v.Source))
		}
	}
	slices.Sort(dirs)
	if dirs = slices.Compact(dirs); len(dirs) == 1 {
		return dirs[0], true
	}
	return "", false
}
