package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/sagaforge/saga/internal/platform/web"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/internal/services/order/orderapi"
	"github.com/sagaforge/saga/starter"
)

// benchReport is the JSON a bench run writes.
type benchReport struct {
	Setup   map[string]string `json:"setup"`
	Summary []Summary         `json:"summary"`
	Runs    []Result          `json:"runs"`
}

// Command is the starter's bench command, plugged into it from cmd/
// (starter.Command): it runs purchases in each mode against the direct
// baseline and reports throughput and latency.
func Command(env *starter.Env) *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "measure each mode from outside the worker, against a direct baseline in this process", Args: cobra.NoArgs,
		Long: "Measure each mode from outside the worker: orchestration is started from this process and waited for until its workflow closes (no eager start, no answer at the pivot), choreography through the order service, direct from this process. make bench measures through the worker's POST /purchases instead, the door users take."}
	f := cmd.Flags()
	mode := f.String("mode", "all", "orchestration, choreography, direct, or all (direct first, for the ratios)")
	n := f.Int("n", 500, "purchases per run")
	concurrencies := f.String("concurrency", "1", "purchases in flight; a comma-separated list runs each")
	warmup := f.Int("warmup", 20, "purchases run first and not measured")
	repeat := f.Int("repeat", 1, "runs of each mode and concurrency, interleaved; the table shows medians and ranges")
	dir := f.String("out", "bench-results", "directory for bench.json and latency.svg; empty writes none")
	return starter.WithOutput(cmd, func(ctx context.Context, args []string, format string) error {
		modes := []string{*mode}
		switch *mode {
		case "all":
			modes = []string{"direct", "orchestration", "choreography"}
		case "direct", "orchestration", "choreography":
		default:
			return starter.Usagef("--mode must be orchestration, choreography, direct or all, got %q", *mode)
		}
		if *n <= 0 || *warmup < 0 || *repeat <= 0 {
			return starter.Usagef("--n and --repeat must be positive and --warmup not negative")
		}
		var levels []int
		for _, c := range strings.Split(*concurrencies, ",") {
			v, err := strconv.Atoi(strings.TrimSpace(c))
			if err != nil || v <= 0 || v > 1024 {
				return starter.Usagef("--concurrency wants whole numbers from 1 to 1024, got %q", c)
			}
			levels = append(levels, v)
		}

		httpClient := web.DefaultHTTPClient()
		clients := env.Services.Clients(httpClient)
		orders := clients.Orders
		if _, err := orders.List(ctx, orderapi.StatusApproved); err != nil {
			return fmt.Errorf("cannot reach the order service at %s: %w", env.Services.Order, err)
		}
		direct, err := Direct(clients)
		if err != nil {
			return err
		}
		purchasers := map[string]Purchaser{
			"direct": direct,
			"choreography": func(ctx context.Context, in saga.Input) (string, error) {
				return purchaseChoreographedStatus(ctx, orders, in)
			},
		}
		for _, m := range modes {
			if m == "orchestration" {
				c, err := env.Dial(ctx)
				if err != nil {
					return err
				}
				defer c.Close()
				purchasers["orchestration"] = orchestrated(c)
			}
		}

		report := benchReport{Setup: setup()}
		report.Setup["door"] = "starter bench, from outside the worker: orchestration waits for each workflow's close"
		fmt.Fprintf(env.Stderr, "bench: from outside the worker (make bench measures through POST /purchases); %s\n", report.Setup["machine"])
		// Interleaved (every mode once, then again) so that a slow spell of a
		// shared machine hits every mode alike instead of one mode's runs.
		for round := 1; round <= *repeat; round++ {
			for _, c := range levels {
				for _, m := range modes {
					if *repeat > 1 {
						fmt.Fprintf(env.Stderr, "bench: round %d/%d, %s c=%d\n", round, *repeat, m, c)
					}
					waited, err := AwaitQuiet(ctx, quietBelow, maxQuietWait)
					if err != nil {
						return err
					}
					if waited >= time.Second {
						fmt.Fprintf(env.Stderr, "bench: waited %s for the machine to quiet down after the last run\n", waited.Round(100*time.Millisecond))
					}
					r, err := Run(ctx, Config{Mode: m, N: *n, Concurrency: c, Warmup: *warmup}, purchasers[m], env.Stderr)
					if err != nil {
						return fmt.Errorf("bench %s: %w", m, err)
					}
					r.Mode, r.Concurrency = m, c
					report.Runs = append(report.Runs, r)
					if r.Errors > 0 {
						fmt.Fprintf(env.Stderr, "bench: %s c=%d: %d purchases failed, first: %s\n", m, c, r.Errors, r.FirstError)
					}
				}
			}
		}
		report.Summary = Summarize(report.Runs)
		if *dir != "" {
			if err := writeBench(*dir, report); err != nil {
				return err
			}
			fmt.Fprintf(env.Stderr, "bench: wrote %s and %s\n", filepath.Join(*dir, "bench.json"), filepath.Join(*dir, "latency.svg"))
		}
		if format != starter.FormatText {
			return starter.WriteJSON(env.Stdout, report)
		}
		PrintSummary(env.Stdout, *n, report.Summary)
		return nil
	})
}

// A run starts once the machine is less than 30% busy (an idle stack polls
// at a few percent), or after 20 s whatever it does.
const (
	quietBelow   = 0.3
	maxQuietWait = 20 * time.Second
)

// orchestrated runs a purchase as the starter does and waits for its result.
func orchestrated(c client.Client) Purchaser {
	return func(ctx context.Context, in saga.Input) (string, error) {
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: saga.WorkflowID(in.OrderID), TaskQueue: saga.TaskQueue,
			WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		}, saga.WorkflowType, in)
		if err != nil {
			return "", err
		}
		var res saga.Result
		if err := run.Get(ctx, &res); err != nil {
			return "", err
		}
		return string(res.Status), nil
	}
}

// purchaseChoreographedStatus creates a choreography order and waits for the
// services to settle it.
func purchaseChoreographedStatus(ctx context.Context, orders orderapi.Client, in saga.Input) (string, error) {
	if _, err := orders.Create(ctx, orderapi.CreateOrderRequest{OrderID: in.OrderID, CustomerID: in.CustomerID, Items: in.Items, Mode: saga.Choreography}); err != nil {
		return "", err
	}
	for {
		o, err := orders.AwaitSettled(ctx, in.OrderID, 10*time.Second)
		if err != nil {
			return "", err
		}
		if o.Status != orderapi.StatusPending {
			return string(o.Status), nil
		}
	}
}

// PrintSummary prints the summaries of runs of n purchases as a table,
// each mode beside direct at the same concurrency.
func PrintSummary(w io.Writer, n int, sums []Summary) {
	direct := map[int]Summary{}
	for _, s := range sums {
		if s.Mode == "direct" {
			direct[s.Concurrency] = s
		}
	}
	ranged := func(median, lo, hi float64) string {
		if lo == hi {
			return fmt.Sprintf("%.1f", median)
		}
		return fmt.Sprintf("%.1f (%.1f-%.1f)", median, lo, hi)
	}
	cpu := slices.ContainsFunc(sums, func(s Summary) bool { return s.CPUMsPerSaga > 0 })
	cpuCol := func(v any) string {
		if !cpu {
			return ""
		}
		if f, ok := v.(float64); ok {
			return fmt.Sprintf(" %11.1f", f)
		}
		return fmt.Sprintf(" %11s", v)
	}
	fmt.Fprintf(w, "%-13s %4s %9s %-22s %-20s %8s %8s%s  %-26s %s\n", "mode", "c", "runs x n", "sagas/s", "p50 ms", "p95 ms", "p99 ms", cpuCol("CPU ms/saga"), "outcomes", "vs direct (p50, sagas/s)")
	for _, s := range sums {
		vs := ""
		if d, ok := direct[s.Concurrency]; ok && s.Mode != "direct" && d.P50Ms > 0 && s.PerSecond > 0 {
			vs = fmt.Sprintf("%.1fx slower, %.2fx", s.P50Ms/d.P50Ms, s.PerSecond/d.PerSecond)
		}
		outcomes := fmt.Sprintf("%d approved, %d cancelled", s.Outcomes["APPROVED"], s.Outcomes["CANCELLED"])
		if len(s.Outcomes) == 0 { // a load tester that reads no answers
			outcomes = fmt.Sprintf("%d answered 200", s.Runs*n-s.Errors)
		}
		if s.Errors > 0 {
			outcomes += fmt.Sprintf(", %d errors", s.Errors)
		}
		fmt.Fprintf(w, "%-13s %4d %9s %-22s %-20s %8.1f %8.1f%s  %-26s %s\n",
			s.Mode, s.Concurrency, fmt.Sprintf("%dx%d", s.Runs, n), ranged(s.PerSecond, s.PerSecondMin, s.PerSecondMax),
			ranged(s.P50Ms, s.P50MsMin, s.P50MsMax), s.P95Ms, s.P99Ms, cpuCol(s.CPUMsPerSaga), outcomes, vs)
	}
	if len(sums) > 0 && sums[0].Runs > 1 {
		fmt.Fprintln(w, "medians over the runs, (slowest-fastest) in brackets; p95 and p99 are medians too")
	}
}

// PrintCPU prints each summary's typical run's CPU per saga, by process.
func PrintCPU(w io.Writer, sums []Summary) {
	var names []string
	for _, s := range sums {
		for name := range s.Typical.CPUMsPerSaga {
			if name != "total" && !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	if len(names) == 0 {
		return
	}
	slices.Sort(names)
	names = append(names, "total")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "CPU ms per saga\tc\t%s\t\n", strings.Join(names, "\t"))
	for _, s := range sums {
		fmt.Fprintf(tw, "%s\t%d\t", s.Mode, s.Concurrency)
		for _, name := range names {
			fmt.Fprintf(tw, "%.2f\t", s.Typical.CPUMsPerSaga[name])
		}
		fmt.Fprintln(tw)
	}
	_ = tw.Flush()
}

// WriteReport writes runs, their summary and setup (which Setup
// describes) as dir/bench.json, and the typical runs' latencies as
// dir/latency.svg.
func WriteReport(dir string, setup map[string]string, runs []Result) error {
	return writeBench(dir, benchReport{Setup: setup, Summary: Summarize(runs), Runs: runs})
}

func writeBench(dir string, report benchReport) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	data, err := json.MarshalIndent(report, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "bench.json"), append(data, '\n'), 0o644); err != nil {
		return err
	}
	if !slices.ContainsFunc(report.Runs, func(r Result) bool { return len(r.LatencyMs) > 0 }) {
		return nil // a load tester that gives no latencies: nothing to plot
	}
	f, err := os.Create(filepath.Join(dir, "latency.svg"))
	if err != nil {
		return err
	}
	defer f.Close()
	typical := make([]Result, len(report.Summary))
	for i, s := range report.Summary {
		typical[i] = s.Typical
	}
	return WriteSVG(f, "purchase saga latency, "+report.Setup["machine"], typical)
}

// Setup describes the machine the figures are taken on, and the stack.
func Setup() map[string]string { return setup() }

// setup describes the machine the figures were taken on.
func setup() map[string]string {
	cpu := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	return map[string]string{
		"machine": fmt.Sprintf("%d cores (%s), %s/%s, %s", runtime.NumCPU(), cpu, runtime.GOOS, runtime.GOARCH, runtime.Version()),
		"date":    time.Now().UTC().Format(time.RFC3339),
		"stack":   "whole stack on this machine: Temporal dev server (SQLite WAL), kfake broker, 3 services on file-backed SQLite (WAL), worker",
	}
}
