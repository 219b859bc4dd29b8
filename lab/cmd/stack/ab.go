package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"text/tabwriter"

	"github.com/sagaforge/saga/lab/bench"
	"github.com/sagaforge/saga/lab/stack"
)

// abBench is a side-by-side benchmark: the same benchmark on two stacks
// that differ in one thing, in alternating rounds on fresh stacks (A B, B A,
// ...) so that a slow spell of the machine, or the order, hits both alike.
type abBench struct {
	name    string          // names the output: OUT_DIR/NAME.json
	labels  [2]string       // of the two sides, in table headings
	configs [2]stack.Config // the two stacks
	note    string          // printed under the table: what the sides were
	// stacks, where set, is another build's stack binary that runs that
	// side whole (its stack, its starter, its bench) in a process of its
	// own; configs[side].BinDir holds its binaries.
	stacks [2]string
}

// benchBuildsAB compares another build (make bench-ab BASE=commit builds
// it into baseBin) with this one: each side's own stack, services, worker
// and benchmark, old against new.
func benchBuildsAB(ctx context.Context, cfg stack.Config, benchArgs []string, rounds int, outDir, baseBin string) int {
	base := cfg
	base.BinDir = baseBin
	return abBench{name: "builds-ab", labels: [2]string{"base", "head"}, configs: [2]stack.Config{base, cfg},
		stacks: [2]string{filepath.Join(baseBin, "stack"), ""},
		note:   "base = the build in " + baseBin + ", head = this one; each side's own binaries and benchmark"}.run(ctx, benchArgs, rounds, outDir)
}

// benchTracesAB measures what tracing costs: the benchmark on a stack
// without traces and on one with Jaeger and every process exporting its
// spans (default sampling: all).
func benchTracesAB(ctx context.Context, cfg stack.Config, benchArgs []string, rounds int, outDir string) int {
	on := cfg
	on.Traces = true
	cfg.Traces = false
	return abBench{name: "traces-ab", labels: [2]string{"off", "on"}, configs: [2]stack.Config{cfg, on},
		note: "tracing on = Jaeger on the same machine and every span exported"}.run(ctx, benchArgs, rounds, outDir)
}

// benchTopologyAB compares the cluster topology with the embedded stack.
func benchTopologyAB(ctx context.Context, cfg stack.Config, benchArgs []string, rounds int, outDir string) int {
	embedded, cluster := cfg, cfg
	embedded.Topology = stack.Embedded
	cluster.UseClusterDefaults()
	return abBench{name: "topology-ab", labels: [2]string{"embedded", "cluster"}, configs: [2]stack.Config{embedded, cluster},
		note: "embedded = the dev server on SQLite, one process per service; cluster = Temporal on PostgreSQL, 2 replicas of each service behind HAProxy, 2 workers"}.run(ctx, benchArgs, rounds, outDir)
}

// run prints the medians side by side, with B's throughput as a share of
// A's, and writes them to outDir/NAME.json.
func (ab abBench) run(ctx context.Context, benchArgs []string, rounds int, outDir string) int {
	type key struct {
		mode        string
		concurrency int
	}
	results := [2]map[key][]bench.Result{{}, {}}
	for round := 1; round <= rounds; round++ {
		// A, B, then B, A: a side that runs second in a round runs on a
		// machine its predecessor has warmed (or left busy), so neither
		// side always goes first.
		order := []int{0, 1}
		if round%2 == 0 {
			order = []int{1, 0}
		}
		for _, side := range order {
			cfg := ab.configs[side]
			run := cfg
			name := fmt.Sprintf("%s-%s-%d", ab.name, ab.labels[side], round)
			run.DataDir = filepath.Join(cfg.DataDir, name)
			if err := os.RemoveAll(run.DataDir); err != nil {
				fmt.Fprintln(os.Stderr, "stack bench:", err)
				return 1
			}
			out := filepath.Join(outDir, ab.name, name)
			fmt.Printf("bench | round %d/%d, %s\n", round, rounds, ab.labels[side])
			args := append(slices.Clone(benchArgs), "--out", out)
			code := 0
			if ab.stacks[side] != "" {
				cmd := exec.CommandContext(ctx, ab.stacks[side], append([]string{"bench", "--bin-dir", run.BinDir, "--data-dir", run.DataDir, "--"}, args...)...)
				cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
				if err := cmd.Run(); err != nil {
					code = 1
				}
			} else {
				code = stack.Run(ctx, run, stack.Options{Bench: args, ExitAfter: true}, io.Discard)
			}
			if code != 0 {
				fmt.Fprintf(os.Stderr, "stack bench: round %d, %s, failed\n", round, ab.labels[side])
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
				results[side][k] = append(results[side][k], r)
			}
		}
	}
	type row struct {
		Mode        string  `json:"mode"`
		Concurrency int     `json:"concurrency"`
		APerSecond  float64 `json:"a_sagas_per_second"`
		BPerSecond  float64 `json:"b_sagas_per_second"`
		BOverA      float64 `json:"b_over_a"` // throughput
		AP50Ms      float64 `json:"a_p50_ms"`
		BP50Ms      float64 `json:"b_p50_ms"`
	}
	var rows []row
	for k, a := range results[0] {
		b := results[1][k]
		if len(b) == 0 {
			continue
		}
		r := row{Mode: k.mode, Concurrency: k.concurrency,
			APerSecond: median(a, func(r bench.Result) float64 { return r.PerSecond }),
			BPerSecond: median(b, func(r bench.Result) float64 { return r.PerSecond }),
			AP50Ms:     median(a, func(r bench.Result) float64 { return r.P50Ms }),
			BP50Ms:     median(b, func(r bench.Result) float64 { return r.P50Ms })}
		r.BOverA = r.BPerSecond / r.APerSecond
		rows = append(rows, r)
	}
	slices.SortFunc(rows, func(a, b row) int {
		return cmp.Or(cmp.Compare(a.Mode, b.Mode), cmp.Compare(a.Concurrency, b.Concurrency))
	})
	A, B := ab.labels[0], ab.labels[1]
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "mode\tin flight\t%s sagas/s\t%s sagas/s\t%s/%s\t%s p50 ms\t%s p50 ms\t\n", A, B, B, A, A, B)
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%d\t%.1f\t%.1f\t%.2fx\t%.1f\t%.1f\t\n", r.Mode, r.Concurrency, r.APerSecond, r.BPerSecond, r.BOverA, r.AP50Ms, r.BP50Ms)
	}
	_ = w.Flush()
	fmt.Printf("medians of %d rounds each; %s\n", rounds, ab.note)
	data, _ := json.MarshalIndent(map[string]any{"rounds": rounds, "bench": benchArgs, "a": A, "b": B, "rows": rows}, "", "  ")
	if err := os.WriteFile(filepath.Join(outDir, ab.name+".json"), data, 0o644); err != nil {
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
