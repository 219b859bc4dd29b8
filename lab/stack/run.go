package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/sagaforge/saga/internal/platform/process"
	"github.com/sagaforge/saga/internal/platform/telemetry"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/lab/bench"
	"github.com/sagaforge/saga/starter"
)

// demoPurchase is one purchase of the demo and the outcome it must have.
type demoPurchase struct {
	title  string
	args   []string
	expect saga.Status
	api    bool // through the worker's purchase API (--api)
}

var demoPurchases = []demoPurchase{
	{"alice buys 2 keyboards", []string{"--customer", "alice", "--item", "SKU-1:2"}, "APPROVED", false},
	{"bob's card is declined for a monitor", []string{"--customer", "bob", "--item", "SKU-2:1"}, "CANCELLED", false},
	{"alice buys a keyboard over HTTP, with no coordinator", []string{"--customer", "alice", "--item", "SKU-1:1", "--mode", "choreography"}, "APPROVED", true},
	{"bob's card is declined again, with no coordinator", []string{"--customer", "bob", "--item", "SKU-2:1", "--mode", "choreography"}, "CANCELLED", false},
}

// Options say what Run does with the stack once it is up.
type Options struct {
	Demo  bool     // run the demo purchases
	Bench []string // run "starter bench" with these arguments
	// Then, if not nil, runs once the stack is up (after the demo and the
	// benchmark); false makes the exit code 1.
	Then      func(ctx context.Context, s *Stack) bool
	ExitAfter bool // stop once that is done instead of waiting for Ctrl-C
}

// Run starts the stack and keeps it up until ctx is done (Ctrl-C), running
// the demo or a benchmark first if asked. The result is the process exit code.
func Run(ctx context.Context, cfg Config, opts Options, out io.Writer) int {
	say := func(format string, args ...any) { fmt.Fprintf(out, "stack     | "+format+"\n", args...) }
	if cfg.Topology == Cluster {
		say("starting the cluster topology: PostgreSQL, a Temporal server on it with its schema and Web UI, the broker, %d replicas of each service behind HAProxy, %d workers (data in %s)", Replicas, Replicas, cfg.DataDir)
	} else {
		say("starting temporal, broker, order, inventory, payment, worker (data in %s)", cfg.DataDir)
	}
	started := time.Now()
	s, err := Start(ctx, cfg)
	if err != nil {
		say("start failed: %v", err)
		return 1
	}
	t := s.Temporal()
	say("ready in %s", time.Since(started).Round(100*time.Millisecond))
	say("Temporal Web UI  %s", t.UIURL)
	say("saga console  %s/  (both modes; the purchase API beside it at %s/purchases)", s.WorkerURL(), s.WorkerURL())
	say("order %s  inventory %s  payment %s  kafka %s", s.OrderURL(), s.InventoryURL(), s.PaymentURL(), s.BrokerAddr())
	say("metrics (Prometheus text)  %s", strings.Join(s.MetricsURLs(), "  "))
	switch {
	case s.TracesURL() != "":
		say("traces in Jaeger, query API %s; in your shell: export %s JAEGER_URL=%s; then bin/starter trace ORDER_ID",
			s.TracesURL(), "OTEL_EXPORTER_OTLP_ENDPOINT="+s.OTLPEndpoint(), s.TracesURL())
	case telemetry.Enabled():
		say("traces go to OTEL_EXPORTER_OTLP_ENDPOINT: each purchase's report names its trace ID")
	}

	code := 0
	if opts.Demo && !runDemo(ctx, s, out) {
		code = 1
	}
	if opts.Bench != nil {
		if s.Starter(out, out).Run(ctx, append([]string{"bench"}, opts.Bench...), bench.Command) != 0 {
			code = 1
		}
	}
	if opts.Then != nil && !opts.Then(ctx, s) {
		code = 1
	}
	if !opts.ExitAfter {
		say("up; try: bin/starter purchase --customer alice --item SKU-1:1 --wait   (Ctrl-C stops everything)")
		// A process that dies is reported, not mourned: killing a service
		// and watching the sagas cope is the point of the exercise.
		reported := map[string]bool{}
		process.Every(ctx, time.Second, func() {
			down := s.Down()
			for _, name := range down {
				if !reported[name] {
					say("%s is down; the rest keeps running. Start it again with: %s", name, s.Command(name))
				}
			}
			for name := range reported {
				if !slices.Contains(down, name) {
					say("%s is up again", name)
				}
			}
			reported = map[string]bool{}
			for _, name := range down {
				reported[name] = true
			}
		})
	}
	say("stopping")
	if err := s.Stop(); err != nil {
		say("stop: %v", err)
		code = 1
	}
	say("stopped")
	return code
}

// runDemo runs the demo purchases through the starter and reports whether
// each ended as expected.
func runDemo(ctx context.Context, s *Stack, out io.Writer) bool {
	ok := true
	var summary strings.Builder
	undone := map[saga.Mode]string{} // a compensated purchase of each mode
	for i, d := range demoPurchases {
		args := append([]string{"purchase"}, d.args...)
		if d.api {
			args = append(args, "--api", s.WorkerURL())
		}
		args = append(args, "--wait", "--json")
		var stdout, stderr bytes.Buffer
		code := s.Starter(&stdout, &stderr).Run(ctx, args)
		var rep starter.Report
		if code != 0 || json.Unmarshal(stdout.Bytes(), &rep) != nil {
			fmt.Fprintf(&summary, "  %d. %s: starter failed (exit %d): %s\n", i+1, d.title, code, strings.TrimSpace(stderr.String()))
			ok = false
			continue
		}
		mark := "ok"
		if rep.Status != d.expect {
			mark, ok = "UNEXPECTED (want "+string(d.expect)+")", false
		}
		fmt.Fprintf(&summary, "  %d. %s\n     $ starter %s --wait\n     %s %s", i+1, d.title, strings.Join(args[:len(args)-2], " "), rep.Status, mark)
		if rep.Reason != "" {
			fmt.Fprintf(&summary, ": %s", rep.Reason)
		}
		if len(rep.Compensations) > 0 {
			fmt.Fprintf(&summary, "\n     undone: %s", strings.Join(rep.Compensations, " -> "))
			undone[saga.Mode(rep.Mode)] = rep.OrderID
		}
		fmt.Fprintf(&summary, "\n     timeline: %s/console/purchases/%s", s.WorkerURL(), rep.OrderID)
		if rep.UIURL != "" {
			fmt.Fprintf(&summary, "\n     Web UI:   %s\n", rep.UIURL)
		} else {
			fmt.Fprintf(&summary, "\n     no coordinator: bin/starter events --order %s\n", rep.OrderID)
		}
	}
	fmt.Fprintf(out, "\n== demo ==\n%s\n", summary.String())
	fmt.Fprintf(out, "saga console: %s/\n", s.WorkerURL())
	if a, b := undone[saga.Orchestration], undone[saga.Choreography]; a != "" && b != "" {
		fmt.Fprintf(out, "the two compensated purchases side by side: %s/console/compare?a=%s&b=%s\n", s.WorkerURL(), a, b)
	}
	return ok
}
