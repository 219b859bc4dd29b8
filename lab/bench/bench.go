// Package bench runs many purchases against a running stack and measures
// them: throughput, latency percentiles and the outcome mix, with an SVG
// plot of the latency distribution.
package bench

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/lab/progress"
)

// Purchaser runs one purchase to its end and returns its final status.
type Purchaser func(ctx context.Context, in saga.Input) (string, error)

// Config is one run.
type Config struct {
	Mode        string
	N           int // measured purchases
	Concurrency int
	Warmup      int // purchases run first and not measured
}

// Result is one run's figures.
type Result struct {
	Mode        string         `json:"mode"`
	N           int            `json:"n"`
	Concurrency int            `json:"concurrency"`
	Seconds     float64        `json:"seconds"`
	PerSecond   float64        `json:"sagas_per_second"`
	P50Ms       float64        `json:"p50_ms"`
	P95Ms       float64        `json:"p95_ms"`
	P99Ms       float64        `json:"p99_ms"`
	MaxMs       float64        `json:"max_ms"`
	Outcomes    map[string]int `json:"outcomes"`
	Errors      int            `json:"errors"`
	FirstError  string         `json:"first_error,omitempty"`
	LatencyMs   []float64      `json:"-"` // sorted, for the plot
	// Through the front door (Door), where an answer may come before its
	// saga settles: the answers' own rate, and how long after the last
	// answer the last saga settled. PerSecond counts until then.
	AnsweredPerSecond float64 `json:"answered_per_second,omitempty"`
	SettleMs          float64 `json:"settle_ms,omitempty"`
	// CPUMsPerSaga is the CPU each of the stack's processes used per saga
	// during the run, and their sum ("total"), when it was measured.
	CPUMsPerSaga map[string]float64 `json:"cpu_ms_per_saga,omitempty"`
}

// Mix is the purchase with sequence number i: 90% approved (alice buys a
// keyboard), 5% declined (bob's monitor), 5% out of stock.
func Mix(i int) saga.Input {
	in := saga.Input{OrderID: input.NewOrderID(), CustomerID: "alice", Items: []input.Item{{SKU: "SKU-1", Quantity: 1}}}
	switch i % 20 {
	case 7:
		in.CustomerID, in.Items = "bob", []input.Item{{SKU: "SKU-2", Quantity: 1}}
	case 13:
		in.Items = []input.Item{{SKU: "SKU-OUT", Quantity: 1}}
	}
	return in
}

// Run runs cfg.Warmup then cfg.N purchases on cfg.Concurrency workers,
// printing its progress to status once a second.
func Run(ctx context.Context, cfg Config, buy Purchaser, status io.Writer) (Result, error) {
	if cfg.N <= 0 || cfg.Concurrency <= 0 {
		return Result{}, fmt.Errorf("n and concurrency must be positive")
	}
	if cfg.Warmup > 0 {
		if _, err := run(ctx, cfg.Warmup, cfg.Concurrency, buy, nil, ""); err != nil {
			return Result{}, fmt.Errorf("warm-up: %w", err)
		}
	}
	return run(ctx, cfg.N, cfg.Concurrency, buy, status, fmt.Sprintf("%s c=%d", cfg.Mode, cfg.Concurrency))
}

type sample struct {
	latency time.Duration
	status  string
	err     error
}

func run(ctx context.Context, n, concurrency int, buy Purchaser, status io.Writer, label string) (Result, error) {
	samples := make([]sample, n)
	var next, done atomic.Int64
	start := time.Now()
	bar := progress.Start(ctx, status, "  "+label, "purchases", n, func() int { return int(done.Load()) }, nil)
	defer bar.Stop()
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				status, err := buy(ctx, Mix(i))
				samples[i] = sample{time.Since(t0), status, err}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	bar.Stop()
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	return summarize(samples, elapsed), nil
}

func summarize(samples []sample, elapsed time.Duration) Result {
	r := Result{N: len(samples), Seconds: elapsed.Seconds(), Outcomes: map[string]int{}}
	for _, s := range samples {
		if s.err != nil {
			r.Errors++
			if r.FirstError == "" {
				r.FirstError = s.err.Error()
			}
			continue
		}
		r.Outcomes[s.status]++
		r.LatencyMs = append(r.LatencyMs, float64(s.latency.Microseconds())/1000)
	}
	slices.Sort(r.LatencyMs)
	r.PerSecond = float64(len(r.LatencyMs)) / elapsed.Seconds()
	r.P50Ms, r.P95Ms, r.P99Ms = Percentile(r.LatencyMs, 50), Percentile(r.LatencyMs, 95), Percentile(r.LatencyMs, 99)
	if len(r.LatencyMs) > 0 {
		r.MaxMs = r.LatencyMs[len(r.LatencyMs)-1]
	}
	return r
}

// Percentile is the p-th percentile (nearest rank) of sorted values.
func Percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted))+0.5) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}

// Summary is one mode and concurrency over repeated runs: medians, with the
// slowest and fastest run, because on a shared machine one run can be off
// by a fifth.
type Summary struct {
	Mode         string         `json:"mode"`
	Concurrency  int            `json:"concurrency"`
	Runs         int            `json:"runs"`
	PerSecond    float64        `json:"sagas_per_second_median"`
	PerSecondMin float64        `json:"sagas_per_second_min"`
	PerSecondMax float64        `json:"sagas_per_second_max"`
	P50Ms        float64        `json:"p50_ms_median"`
	P50MsMin     float64        `json:"p50_ms_min"`
	P50MsMax     float64        `json:"p50_ms_max"`
	P95Ms        float64        `json:"p95_ms_median"`
	P99Ms        float64        `json:"p99_ms_median"`
	CPUMsPerSaga float64        `json:"cpu_ms_per_saga_median,omitempty"` // the stack's, all processes
	Outcomes     map[string]int `json:"outcomes"`                         // over all runs
	Errors       int            `json:"errors"`
	// Typical is the run with the median throughput (the lower middle one
	// for an even count), for the plot.
	Typical Result `json:"-"`
}

// Summarize groups runs by mode and concurrency, in the order each pair
// first appears.
func Summarize(runs []Result) []Summary {
	type key struct {
		mode string
		c    int
	}
	var order []key
	groups := map[key][]Result{}
	for _, r := range runs {
		k := key{r.Mode, r.Concurrency}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	out := make([]Summary, 0, len(order))
	for _, k := range order {
		g := groups[k]
		s := Summary{Mode: k.mode, Concurrency: k.c, Runs: len(g), Outcomes: map[string]int{}}
		field := func(f func(Result) float64) []float64 {
			v := make([]float64, len(g))
			for i, r := range g {
				v[i] = f(r)
			}
			slices.Sort(v)
			return v
		}
		rate := field(func(r Result) float64 { return r.PerSecond })
		p50 := field(func(r Result) float64 { return r.P50Ms })
		s.PerSecond, s.PerSecondMin, s.PerSecondMax = median(rate), rate[0], rate[len(rate)-1]
		s.P50Ms, s.P50MsMin, s.P50MsMax = median(p50), p50[0], p50[len(p50)-1]
		s.P95Ms = median(field(func(r Result) float64 { return r.P95Ms }))
		s.P99Ms = median(field(func(r Result) float64 { return r.P99Ms }))
		s.CPUMsPerSaga = median(field(func(r Result) float64 { return r.CPUMsPerSaga["total"] }))
		for _, r := range g {
			for o, n := range r.Outcomes {
				s.Outcomes[o] += n
			}
			s.Errors += r.Errors
		}
		byRate := slices.Clone(g)
		slices.SortFunc(byRate, func(a, b Result) int { return cmp.Compare(a.PerSecond, b.PerSecond) })
		s.Typical = byRate[(len(byRate)-1)/2]
		out = append(out, s)
	}
	return out
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}
