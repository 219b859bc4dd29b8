// Command stack runs the whole system on this machine (see package stack).
//
//	stack up       start everything, logs prefixed by process, Ctrl-C stops
//	stack demo     start, run the demo's purchases, print their outcomes
//	stack bench    benchmark a fresh stack (starter bench, or --door)
//	stack chaos    purchases while processes are killed, then the audit
//	stack matrix   every step and compensation against every fault, audited
//
// Each verb is a subcommand with its own flags: stack VERB --help.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sagaforge/saga/internal/platform/process"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/lab/chaos"
	"github.com/sagaforge/saga/lab/matrix"
	"github.com/sagaforge/saga/lab/stack"
)

// Exit codes: 0 the run passed; 1 it failed, or the stack did; 2 bad flags.
const exitUsage = 2

// usageError is a refusal of the flags given: exit 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// exitCode ends a command that ran with the code the run gives.
type exitCode int

func (c exitCode) Error() string { return "exit " + strconv.Itoa(int(c)) }

func main() {
	ctx, stop := process.SignalContext()
	code := run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// run runs the command line args and returns the exit code.
func run(ctx context.Context, args []string) int {
	root := newRoot()
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	var code exitCode
	var ue *usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &code):
		return int(code)
	case errors.As(err, &ue) || !cmd.Runnable():
		fmt.Fprintf(os.Stderr, "%s: %v\n", cmd.CommandPath(), err)
		return exitUsage
	default:
		fmt.Fprintf(os.Stderr, "%s: %v\n", cmd.CommandPath(), err)
		return 1
	}
}

// newRoot is stack's command tree: one subcommand a verb, each with its
// own flags; where the binaries and the data are, and which topology, are
// every verb's.
func newRoot() *cobra.Command {
	cfg := stack.DefaultConfig()
	root := &cobra.Command{
		Use:   "stack",
		Short: "Run the whole system on this machine: up, demo, bench, chaos, matrix",
		Long: `stack runs the whole system on this machine: the Temporal dev server (or a
Temporal cluster on PostgreSQL), the Kafka-protocol broker, the three
services and the worker, with logs prefixed by process. Exit codes: 0 the
run passed; 1 it failed, or the stack did; 2 bad flags.`,
		Example: `  stack up
  stack up --topology cluster --traces
  stack demo --exit
  stack bench --door --door-n 600 --door-concurrency 1,8
  stack chaos --n 600
  stack matrix --modes choreography --ops reserve`,
		Version:           process.Version(),
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
	}
	root.SetVersionTemplate("stack {{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usagef("%v", err) })
	f := root.PersistentFlags()
	f.StringVar(&cfg.BinDir, "bin-dir", cfg.BinDir, "where the binaries are")
	f.StringVar(&cfg.DataDir, "data-dir", process.Env("SAGA_DATA_DIR", cfg.DataDir), "where the databases are kept (env SAGA_DATA_DIR)")
	f.StringVar(&cfg.Topology, "topology", stack.Embedded, "embedded (the Temporal dev server, one process per service on SQLite) or cluster (a Temporal server on PostgreSQL, two replicas of each service behind HAProxy, two workers: make cluster-tools)")
	f.BoolVar(&cfg.Traces, "traces", false, "start Jaeger (bin/jaeger: make jaeger) and trace every purchase into it; starter trace ORDER_ID draws one")
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		stack.TakeOwnShare()
		switch cfg.Topology {
		case stack.Embedded:
		case stack.Cluster:
			cfg.UseClusterDefaults()
		default:
			return usagef("--topology must be %s or %s, got %q", stack.Embedded, stack.Cluster, cfg.Topology)
		}
		cfg.Output = os.Stdout
		return nil
	}
	root.AddCommand(upCmd(&cfg, false), upCmd(&cfg, true), benchCmd(&cfg), chaosCmd(&cfg), matrixCmd(&cfg))
	return root
}

// noArgs refuses positional arguments, as bad input (exit 2).
func noArgs(_ *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q", args[0])
	}
	return nil
}

// runStack starts the stack with opts and returns its exit code.
func runStack(ctx context.Context, cfg stack.Config, opts stack.Options) error {
	if code := stack.Run(ctx, cfg, opts, os.Stdout); code != 0 {
		return exitCode(code)
	}
	return nil
}

// upCmd is "stack up", or "stack demo" when demo is true.
func upCmd(cfg *stack.Config, demo bool) *cobra.Command {
	cmd := &cobra.Command{Use: "up", Short: "start everything, logs prefixed by process; Ctrl-C stops", Args: noArgs,
		Example: "  stack up\n  stack up --seed bench --bench-direct\n  stack up --topology cluster"}
	if demo {
		cmd = &cobra.Command{Use: "demo", Short: "start, run an approved and a compensated purchase in each mode, print their outcomes", Args: noArgs,
			Example: "  stack demo          # and keep the stack up\n  stack demo --exit   # stop afterwards; exit 0 only if every outcome was as expected"}
	}
	var exit, benchDirect bool
	cmd.Flags().StringVar(&cfg.Seed, "seed", "demo", `the services' seed data, "demo" (the README's) or "bench" (deep stock and balance)`)
	if demo {
		cmd.Flags().BoolVar(&exit, "exit", false, "stop after the demo; exit 0 only if every outcome was as expected")
	} else {
		cmd.Flags().BoolVar(&benchDirect, "bench-direct", false, "the worker's purchase API also takes mode direct, the benchmarks' baseline with no durability (worker --bench-direct)")
	}
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if cfg.Seed != "demo" && cfg.Seed != "bench" {
			return usagef("--seed must be demo or bench, got %q", cfg.Seed)
		}
		if benchDirect {
			cfg.Env = append(cfg.Env, "SAGA_BENCH_DIRECT=true")
		}
		return runStack(cmd.Context(), *cfg, stack.Options{Demo: demo, ExitAfter: exit})
	}
	return cmd
}

func benchCmd(cfg *stack.Config) *cobra.Command {
	cmd := &cobra.Command{Use: "bench [-- starter bench flags]", Short: "start a fresh stack with the bench seed in DATA_DIR/bench, benchmark it, stop",
		Long: `stack bench starts a fresh stack with the bench seed in DATA_DIR/bench and
runs "starter bench ARGS" against it (the arguments after --), then stops.
With --door it drives every mode through the worker's POST /purchases with
vegeta, then ab (make bench). The A/B flags run rounds on two stacks,
alternating, and print new/old.`,
		Example: `  stack bench -- --mode all --n 600 --concurrency 1,8
  stack bench --door --door-n 2000 --door-concurrency 1,8,64
  stack bench --builds-ab 2 --base-bin .bench-base/bin -- --mode all --n 600`}
	f := cmd.Flags()
	door := f.Bool("door", false, "drive every mode through the worker's POST /purchases with vegeta, then ab (make bench); without it, starter bench runs")
	vegeta := f.String("vegeta", "bin/vegeta", "with --door: the vegeta binary (make bin/vegeta)")
	ab := f.String("ab", "ab", "with --door: the ab binary (Debian apache2-utils)")
	doorN := f.Int("door-n", 2000, "with --door: purchases a run")
	doorC := f.String("door-concurrency", "1,8,64", "with --door: purchases in flight; a comma-separated list runs each")
	doorRounds := f.Int("door-rounds", 3, "with --door: vegeta's rounds, modes alternating (ab runs one)")
	doorModesFlag := f.String("door-modes", "direct,orchestration,choreography", "with --door: the modes to run, in this order")
	noAB := f.Bool("no-ab", false, "with --door: vegeta's rounds only, no round with ab")
	topologyAB := f.Int("topology-ab", 0, "this many rounds of the benchmark on the embedded stack and on the cluster topology (make cluster-tools), alternating; prints them side by side")
	buildsAB := f.Int("builds-ab", 0, "this many rounds of the benchmark on another build (--base-bin) and on this one, alternating, each on fresh stacks; prints new/old (make bench-ab BASE=commit)")
	baseBin := f.String("base-bin", "", "with --builds-ab: the other build's bin directory")
	tracesAB := f.Int("traces-ab", 0, "this many rounds of the benchmark without and with tracing (Jaeger: make jaeger), alternating; prints what tracing costs")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if *buildsAB > 0 && *baseBin == "" {
			return usagef("--builds-ab needs --base-bin, the other build's bin directory")
		}
		var db *doorBench
		if *door {
			cs, err := positiveInts(*doorC)
			if err != nil || *doorN <= 0 || *doorRounds <= 0 {
				return usagef("--door-concurrency takes positive whole numbers, comma-separated; --door-n and --door-rounds must be positive")
			}
			var modes []saga.Mode
			for _, m := range list(*doorModesFlag) {
				if !slices.Contains(doorModes, saga.Mode(m)) {
					return usagef("--door-modes takes direct, orchestration and choreography, got %q", m)
				}
				modes = append(modes, saga.Mode(m))
			}
			db = &doorBench{vegeta: *vegeta, abBin: *ab, n: *doorN, cs: cs, rounds: *doorRounds, warmup: 50, modes: modes, ab: !*noAB, outDir: "bench-results"}
		}
		// The services log warnings only, to the run's stack.log.
		logFile, _, err := fresh(cfg, "bench")
		if err != nil {
			return err
		}
		defer logFile.Close()
		cfg.Seed, cfg.Output = "bench", logFile
		cfg.Env = append(cfg.Env, "SAGA_LOG_LEVEL=warn", "SAGA_BENCH_DIRECT=true")
		opts := stack.Options{Bench: append([]string{}, args...), ExitAfter: true}
		if db != nil {
			opts.Bench, opts.Then = nil, db.run
		}
		if *tracesAB > 0 || *topologyAB > 0 || *buildsAB > 0 {
			ctx, code := cmd.Context(), 0
			if *buildsAB > 0 {
				code = benchBuildsAB(ctx, *cfg, opts.Bench, *buildsAB, "bench-results", *baseBin)
			}
			if *tracesAB > 0 {
				code = benchTracesAB(ctx, *cfg, opts.Bench, *tracesAB, "bench-results")
			}
			if code == 0 && *topologyAB > 0 {
				code = benchTopologyAB(ctx, *cfg, opts.Bench, *topologyAB, "bench-results")
			}
			if code != 0 {
				return exitCode(code)
			}
			return nil
		}
		return runStack(cmd.Context(), *cfg, opts)
	}
	return cmd
}

func chaosCmd(cfg *stack.Config) *cobra.Command {
	cmd := &cobra.Command{Use: "chaos", Short: "purchases in both modes while the worker and services are killed, then the audit", Args: noArgs,
		Long: `stack chaos starts a fresh stack in DATA_DIR/chaos with fault injection, runs
purchases in both modes while killing the worker and the services, audits,
and stops; it exits 0 only if every purchase ended as it must and the audit
holds.`,
		Example: "  stack chaos --n 600\n  stack chaos --topology cluster --n 300 --kill-every 3s"}
	chaosCfg := chaos.Config{Progress: os.Stderr}
	f := cmd.Flags()
	f.IntVar(&chaosCfg.Purchases, "n", 300, "purchases to run, half in each mode")
	f.IntVar(&chaosCfg.Concurrency, "concurrency", 8, "purchases started at once")
	f.DurationVar(&chaosCfg.KillEvery, "kill-every", 2*time.Second, "mean time between kills (0: none)")
	f.DurationVar(&chaosCfg.Down, "down", time.Second, "how long a killed process stays down")
	f.DurationVar(&chaosCfg.LongDown, "long-down", 15*time.Second, "how long every --long-every-th killed process stays down: past the step deadline (0: never)")
	f.IntVar(&chaosCfg.LongEvery, "long-every", 4, "which kills stay down for --long-down")
	f.Float64Var(&chaosCfg.CancelShare, "cancel-share", 0.15, "share of purchases their customer cancels in flight")
	stepDeadline := f.Duration("step-deadline", 10*time.Second, "the step deadline of both modes (SAGA_STEP_DEADLINE), shorter than --long-down")
	faults := f.String("faults", "*=0.1:2ms", "fault injection spec for the services (see --faults of a service)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		// Refused before a stack is started for nothing.
		if err := chaosCfg.Validate(); err != nil {
			return usagef("--n and --concurrency must be positive, --kill-every and --down not negative")
		}
		logFile, logPath, err := fresh(cfg, "chaos")
		if err != nil {
			return err
		}
		defer logFile.Close()
		cfg.Output = logFile
		cfg.Env = append(cfg.Env, "SAGA_FAULTS="+*faults, "SAGA_STEP_DEADLINE="+stepDeadline.String(), "SAGA_DEADLINE="+(6**stepDeadline).String())
		return runStack(cmd.Context(), *cfg, stack.Options{ExitAfter: true, Then: func(ctx context.Context, s *stack.Stack) bool {
			fmt.Printf("chaos | %d purchases, %d at once, %.0f%% cancelled in flight; a kill every ~%s of %v (down %s, every %dth %s; step deadline %s), faults %q; logs in %s\n",
				chaosCfg.Purchases, chaosCfg.Concurrency, 100*chaosCfg.CancelShare, chaosCfg.KillEvery, s.Victims(), chaosCfg.Down,
				chaosCfg.LongEvery, chaosCfg.LongDown, *stepDeadline, *faults, logPath)
			rep, err := chaos.Run(ctx, s, chaosCfg)
			return verdict("chaos", cfg.DataDir, rep, err)
		}})
	}
	return cmd
}

func matrixCmd(cfg *stack.Config) *cobra.Command {
	cmd := &cobra.Command{Use: "matrix", Short: "every step and compensation against every fault, in both modes, then the audit", Args: noArgs,
		Long: `stack matrix starts a fresh stack in DATA_DIR/matrix with a fault plan, runs
every step and compensation against every fault in both modes, prints the
table of end states, audits, and stops; it exits 0 only if every cell is
consistent.`,
		Example: "  stack matrix\n  stack matrix --modes choreography --ops reserve,release --faults crash-after"}
	f := cmd.Flags()
	modes := f.String("modes", "", "orchestration, choreography or both (default)")
	ops := f.String("ops", "", "the steps and compensations to run, comma-separated (default all): "+strings.Join(saga.Purchase.Ops(), ","))
	faults := f.String("faults", "", "the faults to run, comma-separated (default all)")
	parallel := f.Int("parallel", 12, "cells run at once (those that kill a process run alone)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		cells := matrix.Cells(list(*modes), list(*ops), list(*faults), matrix.DefaultTiming)
		if err := matrix.Check(cells); err != nil {
			return usagef("%v", err)
		}
		logFile, logPath, err := fresh(cfg, "matrix")
		if err != nil {
			return err
		}
		defer logFile.Close()
		watcher := matrix.NewWatcher(logFile)
		cfg.Output = watcher
		cfg.Env = append(cfg.Env, matrix.Env(cells, matrix.DefaultTiming)...)
		return runStack(cmd.Context(), *cfg, stack.Options{ExitAfter: true, Then: func(ctx context.Context, s *stack.Stack) bool {
			fmt.Printf("matrix | %d cells, %d at once; logs in %s\n", len(cells), *parallel, logPath)
			rep, err := matrix.Run(ctx, s, watcher, cells, *parallel, os.Stderr)
			return verdict("matrix", cfg.DataDir, rep, err)
		}})
	}
	return cmd
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
func fresh(cfg *stack.Config, name string) (*os.File, string, error) {
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
		return nil, "", fmt.Errorf("%s: %w", name, err)
	}
	return logFile, logPath, nil
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
