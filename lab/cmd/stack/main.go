// Command stack runs the whole system on this machine (see package stack).
//
//	stack up              start everything, logs prefixed by process, Ctrl-C stops
//	stack demo [--exit]   start, run an approved and a compensated purchase,
//	                      print their outcomes; --exit stops afterwards and
//	                      exits 0 only if both ended as expected
//	stack bench [-- ARGS] start a fresh stack with the bench seed in
//	                      DATA_DIR/bench, run "starter bench ARGS", stop
//	stack chaos [FLAGS]   start a fresh stack in DATA_DIR/chaos with fault
//	                      injection, run purchases in both modes while killing
//	                      the worker and services, audit, stop; exit 0 only
//	                      if every purchase ended as it must and the audit holds
//	stack matrix [FLAGS]  start a fresh stack in DATA_DIR/matrix with a fault
//	                      plan, run every step and compensation against every
//	                      fault in both modes, print the table of end states,
//	                      audit, stop; exit 0 only if every cell is consistent
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sagaforge/saga/internal/platform/process"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/lab/chaos"
	"github.com/sagaforge/saga/lab/matrix"
	"github.com/sagaforge/saga/lab/stack"
)

const usage = "usage: stack up [--topology cluster] [--traces] [--seed bench] [--bench-direct] | stack demo [--exit] | stack bench [-- starter bench flags] | stack bench --door [--door-n N --door-concurrency C,C --door-rounds R] | stack bench --topology-ab N [-- ARGS] | stack bench --builds-ab N --base-bin DIR [-- ARGS] | stack chaos [--n N --concurrency C --kill-every D --down D --faults SPEC] | stack matrix [--modes M,M --ops OP,OP --faults F,F --parallel N]  [--bin-dir bin] [--data-dir .data]"

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	verb := os.Args[1]
	switch verb {
	case "-h", "-help", "--help", "help":
		fmt.Println(usage)
		os.Exit(0)
	case "up", "demo", "bench", "chaos", "matrix":
	default:
		fmt.Fprintf(os.Stderr, "stack: unknown command %q\n%s\n", verb, usage)
		os.Exit(2)
	}
	stack.TakeOwnShare()
	cfg := stack.DefaultConfig()
	fs := flag.NewFlagSet("stack "+verb, flag.ContinueOnError)
	fs.StringVar(&cfg.BinDir, "bin-dir", cfg.BinDir, "where the binaries are")
	fs.StringVar(&cfg.DataDir, "data-dir", process.Env("SAGA_DATA_DIR", cfg.DataDir), "where the databases are kept")
	exit := fs.Bool("exit", false, "demo: stop after the demo; exit 0 only if both outcomes were as expected")
	door := fs.Bool("door", false, "bench: drive every mode through the worker's POST /purchases with vegeta, then ab (make bench); without it, starter bench runs")
	vegeta := fs.String("vegeta", "bin/vegeta", "bench with --door: the vegeta binary (make bin/vegeta)")
	ab := fs.String("ab", "ab", "bench with --door: the ab binary (Debian apache2-utils)")
	doorN := fs.Int("door-n", 2000, "bench with --door: purchases a run")
	doorC := fs.String("door-concurrency", "1,8,64", "bench with --door: purchases in flight; a comma-separated list runs each")
	doorRounds := fs.Int("door-rounds", 3, "bench with --door: vegeta's rounds, modes alternating (ab runs one)")
	doorModesFlag := fs.String("door-modes", "direct,orchestration,choreography", "bench with --door: the modes to run, in this order")
	noAB := fs.Bool("no-ab", false, "bench with --door: vegeta's rounds only, no round with ab")
	topologyAB := fs.Int("topology-ab", 0, "bench: this many rounds of the benchmark on the embedded stack and on the cluster topology (make cluster-tools), alternating; prints them side by side")
	buildsAB := fs.Int("builds-ab", 0, "bench: this many rounds of the benchmark on another build (--base-bin) and on this one, alternating, each on fresh stacks; prints new/old (make bench-ab BASE=commit)")
	baseBin := fs.String("base-bin", "", "bench with --builds-ab: the other build's bin directory")
	tracesAB := fs.Int("traces-ab", 0, "bench: this many rounds of the benchmark without and with tracing (Jaeger: make jaeger), alternating; prints what tracing costs")
	fs.StringVar(&cfg.Seed, "seed", "demo", `up, demo: the services' seed data, "demo" (the README's) or "bench" (deep stock and balance)`)
	fs.StringVar(&cfg.Topology, "topology", stack.Embedded, "embedded (the Temporal dev server, one process per service on SQLite) or cluster (a Temporal server on PostgreSQL, two replicas of each service behind HAProxy, two workers: make cluster-tools)")
	benchDirect := fs.Bool("bench-direct", false, "up: the worker's purchase API also takes mode direct, the benchmarks' baseline with no durability (worker --bench-direct); bench always passes it on")
	fs.BoolVar(&cfg.Traces, "traces", false, "start Jaeger (bin/jaeger: make jaeger) and trace every purchase into it; starter trace ORDER_ID draws one")
	chaosCfg := chaos.Config{Progress: os.Stderr}
	fs.IntVar(&chaosCfg.Purchases, "n", 300, "chaos: purchases to run, half in each mode")
	fs.IntVar(&chaosCfg.Concurrency, "concurrency", 8, "chaos: purchases started at once")
	fs.DurationVar(&chaosCfg.KillEvery, "kill-every", 2*time.Second, "chaos: mean time between kills (0: none)")
	fs.DurationVar(&chaosCfg.Down, "down", time.Second, "chaos: how long a killed process stays down")
	fs.DurationVar(&chaosCfg.LongDown, "long-down", 15*time.Second, "chaos: how long every --long-every-th killed process stays down: past the step deadline (0: never)")
	fs.IntVar(&chaosCfg.LongEvery, "long-every", 4, "chaos: which kills stay down for --long-down")
	fs.Float64Var(&chaosCfg.CancelShare, "cancel-share", 0.15, "chaos: share of purchases their customer cancels in flight")
	stepDeadline := fs.Duration("step-deadline", 10*time.Second, "chaos: the step deadline of both modes (SAGA_STEP_DEADLINE), shorter than --long-down")
	faults := fs.String("faults", "", `chaos: fault injection spec for the services (see --faults of a service; default "*=0.1:2ms"); matrix: the faults to run, comma-separated (default all)`)
	modes := fs.String("modes", "", "matrix: orchestration, choreography or both (default)")
	ops := fs.String("ops", "", "matrix: the steps and compensations to run, comma-separated (default all): "+strings.Join(saga.Purchase.Ops(), ","))
	parallel := fs.Int("parallel", 12, "matrix: cells run at once (those that kill a process run alone)")
	process.ParseFlags(fs, os.Args[2:])
	if cfg.Topology != stack.Embedded && cfg.Topology != stack.Cluster {
		fmt.Fprintf(os.Stderr, "stack %s: --topology must be %s or %s, got %q\n", verb, stack.Embedded, stack.Cluster, cfg.Topology)
		os.Exit(2)
	}
	if cfg.Topology == stack.Cluster {
		cfg.UseClusterDefaults()
	}
	if cfg.Seed != "demo" && cfg.Seed != "bench" {
		fmt.Fprintf(os.Stderr, "stack %s: --seed must be demo or bench, got %q\n", verb, cfg.Seed)
		os.Exit(2)
	}
	cfg.Output = os.Stdout
	if *benchDirect || verb == "bench" {
		cfg.Env = append(cfg.Env, "SAGA_BENCH_DIRECT=true")
	}
	opts := stack.Options{Demo: verb == "demo", ExitAfter: *exit}
	switch verb {
	case "bench":
		// The services log warnings only, to the run's stack.log.
		logFile, _ := fresh(&cfg, "bench")
		defer logFile.Close()
		cfg.Seed, cfg.Output = "bench", logFile
		cfg.Env = append(cfg.Env, "SAGA_LOG_LEVEL=warn")
		opts.Bench, opts.ExitAfter = append([]string{}, fs.Args()...), true
		if *door {
			cs, err := positiveInts(*doorC)
			if err != nil || *doorN <= 0 || *doorRounds <= 0 {
				fmt.Fprintln(os.Stderr, "stack bench: --door-concurrency takes positive whole numbers, comma-separated; --door-n and --door-rounds must be positive")
				os.Exit(2)
			}
			var modes []saga.Mode
			for _, m := range list(*doorModesFlag) {
				if m := saga.Mode(m); slices.Contains(doorModes, m) {
					modes = append(modes, m)
					continue
				}
				fmt.Fprintf(os.Stderr, "stack bench: --door-modes takes direct, orchestration and choreography, got %q\n", m)
				os.Exit(2)
			}
			db := doorBench{vegeta: *vegeta, abBin: *ab, n: *doorN, cs: cs, rounds: *doorRounds, warmup: 50, modes: modes, ab: !*noAB, outDir: "bench-results"}
			opts.Bench, opts.Then = nil, db.run
		}
		if *buildsAB > 0 && *baseBin == "" {
			fmt.Fprintln(os.Stderr, "stack bench: --builds-ab needs --base-bin, the other build's bin directory")
			os.Exit(2)
		}
		if *tracesAB > 0 || *topologyAB > 0 || *buildsAB > 0 {
			ctx, stop := process.SignalContext()
			code := 0
			if *buildsAB > 0 {
				code = benchBuildsAB(ctx, cfg, opts.Bench, *buildsAB, "bench-results", *baseBin)
			}
			if *tracesAB > 0 {
				code = benchTracesAB(ctx, cfg, opts.Bench, *tracesAB, "bench-results")
			}
			if code == 0 && *topologyAB > 0 {
				code = benchTopologyAB(ctx, cfg, opts.Bench, *topologyAB, "bench-results")
			}
			stop()
			os.Exit(code)
		}
	case "chaos":
		// Refused before a stack is started for nothing.
		if err := chaosCfg.Validate(); err != nil {
			fmt.Fprintln(os.Stderr, "stack chaos: --n and --concurrency must be positive, --kill-every and --down not negative")
			os.Exit(2)
		}
		logFile, logPath := fresh(&cfg, "chaos")
		defer logFile.Close()
		cfg.Output = logFile
		if *faults == "" {
			*faults = "*=0.1:2ms"
		}
		cfg.Env = append(cfg.Env, "SAGA_FAULTS="+*faults, "SAGA_STEP_DEADLINE="+stepDeadline.String(), "SAGA_DEADLINE="+(6**stepDeadline).String())
		opts.ExitAfter = true
		opts.Then = func(ctx context.Context, s *stack.Stack) bool {
			fmt.Printf("chaos | %d purchases, %d at once, %.0f%% cancelled in flight; a kill every ~%s of %v (down %s, every %dth %s; step deadline %s), faults %q; logs in %s\n",
				chaosCfg.Purchases, chaosCfg.Concurrency, 100*chaosCfg.CancelShare, chaosCfg.KillEvery, s.Victims(), chaosCfg.Down,
				chaosCfg.LongEvery, chaosCfg.LongDown, *stepDeadline, *faults, logPath)
			rep, err := chaos.Run(ctx, s, chaosCfg)
			return verdict("chaos", cfg.DataDir, rep, err)
		}
	case "matrix":
		cells := matrix.Cells(list(*modes), list(*ops), list(*faults), matrix.DefaultTiming)
		if err := matrix.Check(cells); err != nil {
			fmt.Fprintln(os.Stderr, "stack matrix:", err)
			os.Exit(2)
		}
		logFile, logPath := fresh(&cfg, "matrix")
		defer logFile.Close()
		watcher := matrix.NewWatcher(logFile)
		cfg.Output = watcher
		cfg.Env = append(cfg.Env, matrix.Env(cells, matrix.DefaultTiming)...)
		opts.ExitAfter = true
		opts.Then = func(ctx context.Context, s *stack.Stack) bool {
			fmt.Printf("matrix | %d cells, %d at once; logs in %s\n", len(cells), *parallel, logPath)
			rep, err := matrix.Run(ctx, s, watcher, cells, *parallel, os.Stderr)
			return verdict("matrix", cfg.DataDir, rep, err)
		}
	}
	ctx, stop := process.SignalContext()
	defer stop()
	os.Exit(stack.Run(ctx, cfg, opts, os.Stdout))
}

// report is what a chaos or matrix run reports.
type report interface {
	Print(w io.Writer)
	Passed() bool
}

// verdict prints a run's report, keeps it as report.json in the run's
// folder, and tells whether it passed.
func verdict(name, dir string, rep report, err error) bool {
	if err != nil {
		fmt.Println(name, "| failed:", err)
		return false
	}
	rep.Print(os.Stdout)
	if b, err := json.MarshalIndent(rep, "", "  "); err == nil {
		_ = os.WriteFile(filepath.Join(dir, "report.json"), b, 0o644)
	}
	return rep.Passed()
}

// list splits a comma-separated flag; empty means all (nil).
func list(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	var out []string
	for _, x := range strings.Split(s, ",") {
		out = append(out, strings.TrimSpace(x))
	}
	return out
}

// fresh gives a run its own empty data directory, with the stack.log it
// returns (and its path) for the stack's output: results must not depend
// on earlier runs.
func fresh(cfg *stack.Config, name string) (*os.File, string) {
	cfg.DataDir = filepath.Join(cfg.DataDir, name)
	logPath := filepath.Join(cfg.DataDir, "stack.log")
	err := os.RemoveAll(cfg.DataDir)
	if err == nil {
		err = os.MkdirAll(cfg.DataDir, 0o755)
	}
	var logFile *os.File
	if err == nil {
		logFile, err = os.Create(logPath)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "stack %s: %v\n", name, err)
		os.Exit(1)
	}
	return logFile, logPath
}

// positiveInts reads "1,8,64".
func positiveInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a positive whole number", f)
		}
		out = append(out, n)
	}
	return out, nil
}
