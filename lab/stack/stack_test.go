package stack

import (
	"context"
	"net"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// A second stack on the ports of a running one must not start: its checks
// would pass against the first one's processes.
func TestStartRefusesATakenPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port

	cfg := Config{BinDir: t.TempDir(), DataDir: t.TempDir(), Host: "127.0.0.1", OrderPort: port}
	s, err := Start(context.Background(), cfg)
	if err == nil {
		s.Stop()
		t.Fatal("Start succeeded on a taken port")
	}
	if !strings.Contains(err.Error(), "order port 127.0.0.1:"+strconv.Itoa(port)+" is taken") {
		t.Fatalf("error does not name the taken port: %v", err)
	}
}

func TestWithDefaultLeavesAChosenValueAlone(t *testing.T) {
	t.Setenv("SAGA_TEST_KNOB", "")
	os.Unsetenv("SAGA_TEST_KNOB")
	if got := withDefault([]string{"A=1"}, "SAGA_TEST_KNOB", "200"); !slices.Equal(got, []string{"SAGA_TEST_KNOB=200", "A=1"}) {
		t.Errorf("unset: got %q", got)
	}
	if got := withDefault([]string{"SAGA_TEST_KNOB=50"}, "SAGA_TEST_KNOB", "200"); !slices.Equal(got, []string{"SAGA_TEST_KNOB=50"}) {
		t.Errorf("set in the stack's config: got %q", got)
	}
	t.Setenv("SAGA_TEST_KNOB", "off")
	if got := withDefault(nil, "SAGA_TEST_KNOB", "200"); len(got) != 0 {
		t.Errorf("set in the environment: got %q", got)
	}
}

// Every process of the stack runs with its share of the cores, unless the
// user chose GOMAXPROCS: the stack's environment reaches them unchanged.
func TestEveryProcessGetsItsShareOfTheCores(t *testing.T) {
	t.Setenv("GOMAXPROCS", "")
	os.Unsetenv("GOMAXPROCS")
	s := &Stack{cfg: DefaultConfig()}
	want := "GOMAXPROCS=" + strconv.Itoa(ProcsEach())
	for _, p := range s.define() {
		if !slices.Contains(p.env, want) {
			t.Errorf("%s: env %q lacks %s", p.name, p.env, want)
		}
	}
	t.Setenv("GOMAXPROCS", "3")
	for _, p := range s.define() {
		if slices.ContainsFunc(p.env, func(kv string) bool { return strings.HasPrefix(kv, "GOMAXPROCS=") }) {
			t.Errorf("%s: env %q overrides the GOMAXPROCS the user set", p.name, p.env)
		}
	}
}

// The stack takes the share it gives its children, and leaves a GOMAXPROCS
// the user set alone, as it does for them.
func TestTheStackTakesItsOwnShare(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	t.Setenv("GOMAXPROCS", "")
	os.Unsetenv("GOMAXPROCS")
	runtime.GOMAXPROCS(ProcsEach() + 1)
	TakeOwnShare()
	if got := runtime.GOMAXPROCS(0); got != ProcsEach() {
		t.Errorf("GOMAXPROCS %d, want %d", got, ProcsEach())
	}
	t.Setenv("GOMAXPROCS", "3")
	runtime.GOMAXPROCS(ProcsEach() + 1)
	TakeOwnShare()
	if got := runtime.GOMAXPROCS(0); got != ProcsEach()+1 {
		t.Errorf("GOMAXPROCS set by the user: the stack changed its own to %d", got)
	}
}

// The command printed for a process that died must work when pasted into a
// shell: the dev server's dynamic config values carry double quotes.
func TestCommandSurvivesAShell(t *testing.T) {
	words := append([]string{"GOMAXPROCS=1", "it's", "a b", "", `x="1s"`, "$HOME", "ok-plain/path:1"}, TemporalArgs("127.0.0.1", 7233, 8233, "/tmp/t.db")...)
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = shellQuote(w)
	}
	got, err := exec.Command("sh", "-c", "printf '%s\\0' "+strings.Join(quoted, " ")).Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Join(words, "\x00") + "\x00"; string(got) != want {
		t.Fatalf("the shell read\n%q\nwant\n%q", got, want)
	}
	if shellQuote("plain") != "plain" {
		t.Fatal("a plain word needs no quotes")
	}
}

// Every process that died is reported, not only the first.
func TestDownListsEveryDeadProcess(t *testing.T) {
	s := &Stack{procs: map[string]*child{}, order: Processes}
	for _, name := range Processes {
		s.procs[name] = &child{name: name}
	}
	// Never started, as good as dead; stopped on purpose is not a crash.
	s.procs["temporal"].stopped = true
	s.procs["order"].stopped = true
	if got, want := s.Down(), []string{"broker", "inventory", "payment", "worker"}; !slices.Equal(got, want) {
		t.Fatalf("Down() = %v, want %v", got, want)
	}
}

// A chaos run kills what runs the saga: in the cluster topology each
// replica and worker, the server and the broker; never PostgreSQL, the
// load balancer, the Web UI or a setup step.
func TestVictimsAreWhatRunsTheSaga(t *testing.T) {
	s := &Stack{order: []string{"postgres", "temporal-schema", "temporal", "temporal-setup", "temporal-ui", "broker",
		"order-1", "order-2", "lb", "worker-1", "worker-2"}}
	if got, want := s.Victims(), []string{"temporal", "broker", "order-1", "order-2", "worker-1", "worker-2"}; !slices.Equal(got, want) {
		t.Fatalf("Victims() = %v, want %v", got, want)
	}
	s = &Stack{order: append([]string{"jaeger"}, Processes...)}
	if got := s.Victims(); !slices.Equal(got, Processes) {
		t.Fatalf("embedded Victims() = %v, want %v", got, Processes)
	}
}
