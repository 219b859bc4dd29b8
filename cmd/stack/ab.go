package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"text/tabwriter"

	"github.com/sagaforge/saga/ops/stack"
	"github.com/sagaforge/saga/starter/bench"
)

// benchTracesAB measures what tracing costs: rounds of the same benchmark
// (benchArgs) on a fresh stack without traces and on one with Jaeger and
// every process exporting its spans (default sampling: all), alternating so
// that a slow spell of the machine hits both alike. It prints the medians
// side by side and writes them to outDir/traces-ab.json.
func benchTracesAB(ctx context.Context, cfg stack.Config, benchArgs []string, rounds int, outDir string) int {
	type key struct {
		mode        string
		concurrency int
	}
	results := map[bool]map[key][]bench.Result{false: {}, true: {}}
	base := cfg.DataDir
	for round := 1; round <= rounds; round++ {
		for _, traces := range []bool{false, true} {
			run := cfg
			run.Traces = traces
			name := fmt.Sprintf("traces-%v-%d", traces, round)
			run.DataDir = filepath.Join(base, name)
			if err := os.RemoveAll(run.DataDir); err != nil {
				fmt.Fprintln(os.Stderr, "stack bench:", err)
				return 1
			}
			out := filepath.Join(outDir, "traces-ab", name)
			fmt.Printf("bench | round %d/%d, tracing %v\n", round, rounds, onOff(traces))
			if code := stack.Run(ctx, run, stack.Options{Bench: append(slices.Clone(benchArgs), "--out", out), ExitAfter: true}, io.Discard); code != 0 {
				fmt.Fprintf(os.Stderr, "stack bench: round %d with tracing %s failed\n", round, onOff(traces))
				return 1
			}
			var rep struct {
				Runs []bench.Result `json:"runs"`
			}
			data, err := os.ReadFile(filepath.Join(out, "bench.json"))
			if err == nil {
				err = json.Unmarshal(data, &rep)
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, "stack bench:", err)
				return 1
			}
			for _, r := range rep.Runs {
				k := key{r.Mode, r.Concurrency}
				results[traces][k] = append(results[traces][k], r)
			}
		}
	}
	type row struct {
		Mode           string  `json:"mode"`
		Concurrency    int     `json:"concurrency"`
		OffPerSecond   float64 `json:"off_sagas_per_second"`
		OnPerSecond    float64 `json:"on_sagas_per_second"`
		ThroughputCost float64 `json:"throughput_cost"` // 1 - on/off
		OffP50Ms       float64 `json:"off_p50_ms"`
		OnP50Ms        float64 `json:"on_p50_ms"`
	}
	var rows []row
	for k, off := range results[false] {
		on := results[true][k]
		if len(on) == 0 {
			continue
		}
		r := row{Mode: k.mode, Concurrency: k.concurrency,
			OffPerSecond: median(off, func(r bench.Result) float64 { return r.PerSecond }),
			OnPerSecond:  median(on, func(r bench.Result) float64 { return r.PerSecond }),
			OffP50Ms:     median(off, func(r bench.Result) float64 { return r.P50Ms }),
			OnP50Ms:      median(on, func(r bench.Result) float64 { return r.P50Ms })}
		r.ThroughputCost = 1 - r.OnPerSecond/r.OffPerSecond
		rows = append(rows, r)
	}
	slices.SortFunc(rows, func(a, b row) int {
		return cmp.Or(cmp.Compare(a.Mode, b.Mode), cmp.Compare(a.Concurrency, b.Concurrency))
	})
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "mode\tin flight\toff sagas/s\ton sagas/s\tthroughput cost\toff p50 ms\ton p50 ms\t\n")
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%d\t%.1f\t%.1f\t%.1f%%\t%.1f\t%.1f\t\n", r.Mode, r.Concurrency, r.OffPerSecond, r.OnPerSecond, 100*r.ThroughputCost, r.OffP50Ms, r.OnP50Ms)
	}
	_ = w.Flush()
	fmt.Printf("medians of %d rounds each; tracing on = Jaeger on the same machine and every span exported\n", rounds)
	data, _ := json.MarshalIndent(map[string]any{"rounds": rounds, "bench": benchArgs, "rows": rows}, "", "  ")
	if err := os.WriteFile(filepath.Join(outDir, "traces-ab.json"), data, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "stack bench:", err)
		return 1
	}
	return 0
}

func median(rs []bench.Result, f func(bench.Result) float64) float64 {
	vs := make([]float64, len(rs))
	for i, r := range rs {
		vs[i] = f(r)
	}
	slices.Sort(vs)
	return vs[len(vs)/2]
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
