package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/sagaforge/saga/internal/platform/temporalx"
	"github.com/sagaforge/saga/internal/platform/web"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/internal/services/order/orderapi"
	"github.com/sagaforge/saga/lab/bench"
	"github.com/sagaforge/saga/lab/stack"
)

// doorBench drives every mode through the worker's POST /purchases, the
// door users take (bench.Door): direct (the worker's --bench-direct
// baseline), orchestration and choreography, at each concurrency, in
// alternating rounds on one stack, with vegeta; then one round with ab as
// a second opinion. It prints both tables and writes bench.json and
// latency.svg (vegeta's runs) to outDir, ab's to outDir/ab.
type doorBench struct {
	vegeta, abBin string
	n             int
	cs            []int
	rounds        int
	warmup        int
	modes         []saga.Mode
	ab            bool // a round with ab after vegeta's
	outDir        string
}

// doorModes are the modes the door bench runs by default, direct first.
var doorModes = []saga.Mode{saga.Direct, saga.Orchestration, saga.Choreography}

func (b doorBench) run(ctx context.Context, s *stack.Stack) bool {
	if err := b.bench(ctx, s); err != nil {
		fmt.Fprintln(os.Stderr, "stack bench:", err)
		return false
	}
	return true
}

func (b doorBench) bench(ctx context.Context, s *stack.Stack) error {
	work := filepath.Join(b.outDir, "door")
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	c, err := temporalx.Dial(ctx, s.Temporal(), slog.New(slog.DiscardHandler), 10*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	orders := s.Endpoints().Clients(web.DefaultHTTPClient()).Orders
	door := bench.Door{URL: s.WorkerURL(), Token: s.Endpoints().Token, VegetaBin: b.vegeta, ABBin: b.abBin, WorkDir: work,
		Settled: settled(c, orders), Status: os.Stderr, CPU: func() map[string]time.Duration {
			pids := map[string]int{}
			for _, name := range s.Names() {
				pids[name] = s.PID(name)
			}
			return bench.TreeCPU(pids)
		}}
	setup := bench.Setup()
	setup["door"] = fmt.Sprintf("POST /purchases on the worker, Prefer: wait=%d; vegeta (the bench's mix) then ab (alice's keyboard)", int(bench.Wait/time.Second))
	fmt.Fprintf(os.Stderr, "bench | %s\n", setup["machine"])

	// Each mode's first sagas pay for cold caches and connections.
	for _, m := range b.modes {
		if _, err := door.Vegeta(ctx, m, b.warmup, 8); err != nil {
			return fmt.Errorf("%s warm-up: %w", m, err)
		}
	}
	run := func(name string, buy func(context.Context, saga.Mode, int, int) (bench.Result, error), m saga.Mode, c int) (bench.Result, error) {
		if waited, err := bench.AwaitQuiet(ctx, bench.IdleBelow, 20*time.Second); err != nil {
			return bench.Result{}, err
		} else if waited >= time.Second {
			fmt.Fprintf(os.Stderr, "bench | waited %s for the machine to quiet down\n", waited.Round(100*time.Millisecond))
		}
		r, err := buy(ctx, m, b.n, c)
		if err != nil {
			return r, fmt.Errorf("%s %s c=%d: %w", name, m, c, err)
		}
		if r.Errors > 0 {
			fmt.Fprintf(os.Stderr, "bench | %s %s c=%d: %d purchases failed, first: %s\n", name, m, c, r.Errors, r.FirstError)
		}
		return r, nil
	}
	var runs, abRuns []bench.Result
	for round := 1; round <= b.rounds; round++ {
		for _, c := range b.cs {
			for _, m := range b.modes {
				fmt.Fprintf(os.Stderr, "bench | vegeta round %d/%d: %s c=%d\n", round, b.rounds, m, c)
				r, err := run("vegeta", door.Vegeta, m, c)
				if err != nil {
					return err
				}
				runs = append(runs, r)
			}
		}
	}
	for _, c := range b.cs {
		for _, m := range b.modes {
			if !b.ab {
				break
			}
			fmt.Fprintf(os.Stderr, "bench | ab: %s c=%d\n", m, c)
			r, err := run("ab", door.AB, m, c)
			if err != nil {
				return err
			}
			abRuns = append(abRuns, r)
		}
	}
	// Someone watching the saga console under the heaviest load: its list
	// must answer within bench.ConsoleBound. Runs of their own, so that the
	// console's reads weigh on none of the table's.
	probe := &bench.ConsoleProbe{URL: s.WorkerURL(), Every: 200 * time.Millisecond}
	probeCtx, stopProbe := context.WithCancel(ctx)
	defer stopProbe()
	probed := make(chan struct{})
	go func() { defer close(probed); probe.Run(probeCtx) }()
	heaviest := slices.Max(b.cs)
	for _, m := range b.modes {
		fmt.Fprintf(os.Stderr, "bench | the console's list under load: %s c=%d\n", m, heaviest)
		if _, err := door.Vegeta(ctx, m, b.n, heaviest); err != nil {
			return fmt.Errorf("console under load, %s: %w", m, err)
		}
	}
	stopProbe()
	<-probed
	fmt.Printf("Through POST /purchases with vegeta, %d rounds of %d purchases (the bench's mix); sagas/s counts until the last saga settled:\n", b.rounds, b.n)
	bench.PrintSummary(os.Stdout, b.n, bench.Summarize(runs))
	fmt.Println()
	bench.PrintCPU(os.Stdout, bench.Summarize(runs))
	if err := bench.WriteReport(b.outDir, setup, runs); err != nil {
		return err
	}
	if len(abRuns) > 0 {
		fmt.Printf("\nSecond opinion, ab, one round of %d (alice's keyboard each time):\n", b.n)
		bench.PrintSummary(os.Stdout, b.n, bench.Summarize(abRuns))
		setup["door"] = "POST /purchases on the worker with ab, alice's keyboard each time"
		if err := bench.WriteReport(filepath.Join(b.outDir, "ab"), setup, abRuns); err != nil {
			return err
		}
	}
	reads := probe.Reads()
	fmt.Printf("\nThe saga console's list under load (a read every %s, through a run of each mode at c=%d):\n", probe.Every, heaviest)
	bench.PrintConsole(os.Stdout, reads)
	consoleJSON, _ := json.MarshalIndent(map[string]any{"bound_ms": bench.ConsoleBound.Milliseconds(), "reads": reads}, "", "  ")
	if err := os.WriteFile(filepath.Join(b.outDir, "console.json"), consoleJSON, 0o644); err != nil {
		return err
	}
	wrote := []string{filepath.Join(b.outDir, "bench.json"), filepath.Join(b.outDir, "latency.svg"), filepath.Join(b.outDir, "console.json")}
	if len(abRuns) > 0 {
		wrote = append(wrote, filepath.Join(b.outDir, "ab", "bench.json"))
	}
	fmt.Printf("\nwrote %s\n", strings.Join(wrote, ", "))
	return nil
}

// settled reports when every saga of a mode has settled: no purchase
// workflow still running (Temporal's visibility), no choreographed order
// still pending (the order service); a direct purchase has settled once it
// is answered.
func settled(c client.Client, orders orderapi.Client) func(context.Context, saga.Mode) error {
	return func(ctx context.Context, mode saga.Mode) error {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		done := func() (bool, error) {
			switch mode {
			case saga.Orchestration:
				resp, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{
					Query: fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus = 'Running'", saga.WorkflowType)})
				return err == nil && resp.GetCount() == 0, err
			case saga.Choreography:
				list, err := orders.List(ctx, orderapi.StatusPending)
				for _, o := range list.Orders {
					if o.Mode == saga.Choreography {
						return false, err
					}
				}
				return err == nil, err
			}
			return true, nil
		}
		for {
			ok, err := done()
			if ok {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%w (last: %v)", ctx.Err(), err)
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
}
