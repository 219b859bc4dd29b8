package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/sagaforge/saga/lab/bench"
	"github.com/sagaforge/saga/lab/stack"
)

// loadTest drives the worker's purchase API with vegeta, a load tester
// nobody here wrote, in both modes: at each fixed concurrency (as fast as c
// workers go) and at a fixed rate. Each request is a new purchase (no
// order_id: the API makes one) that asks to wait for its outcome (Prefer:
// wait=30), so a request's latency is the saga's. Beside each concurrency,
// in the same run, the starter's direct baseline at that concurrency. It
// prints the table and leaves each vegeta report (text and JSON) in outDir.
type loadTest struct {
	vegeta   string
	cs       []int // concurrencies
	rate     int
	duration time.Duration
	n        int // direct's purchases
	outDir   string
}

// vegetaMetrics is the part of vegeta's JSON report the table uses.
type vegetaMetrics struct {
	Latencies struct {
		P50  time.Duration `json:"50th"`
		P95  time.Duration `json:"95th"`
		P99  time.Duration `json:"99th"`
		Mean time.Duration `json:"mean"`
	} `json:"latencies"`
	Requests    int            `json:"requests"`
	Throughput  float64        `json:"throughput"`
	Success     float64        `json:"success"`
	StatusCodes map[string]int `json:"status_codes"`
}

type loadRow struct {
	Mode, Load string
	Requests   int
	PerSecond  float64
	P50, P95   float64 // ms
	P99        float64
	Success    float64
}

func (l loadTest) run(ctx context.Context, s *stack.Stack) bool {
	if err := os.MkdirAll(l.outDir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "stack bench:", err)
		return false
	}
	var rows []loadRow
	directs := map[string]loadRow{}
	attack := func(mode, name, rate, workers string) bool {
		fmt.Fprintf(os.Stderr, "bench | vegeta: %s at %s for %s\n", mode, name, l.duration)
		m, err := l.attack(ctx, s, mode, name, rate, workers, l.duration)
		if err != nil {
			fmt.Fprintf(os.Stderr, "stack bench: vegeta %s %s: %v\n", mode, name, err)
			return false
		}
		rows = append(rows, loadRow{Mode: mode, Load: name, Requests: m.Requests, PerSecond: m.Throughput,
			P50: ms(m.Latencies.P50), P95: ms(m.Latencies.P95), P99: ms(m.Latencies.P99), Success: m.Success})
		return true
	}
	// Each mode's first sagas pay for cold caches and connections.
	for _, mode := range []string{"orchestration", "choreography"} {
		fmt.Fprintf(os.Stderr, "bench | vegeta: %s warm-up\n", mode)
		if _, err := l.attack(ctx, s, mode, "warmup", "0", "8", 2*time.Second); err != nil {
			fmt.Fprintf(os.Stderr, "stack bench: vegeta %s warm-up: %v\n", mode, err)
			return false
		}
	}
	for _, c := range l.cs {
		direct, err := l.direct(ctx, s, c)
		if err != nil {
			fmt.Fprintln(os.Stderr, "stack bench: direct:", err)
			return false
		}
		rows, directs[direct.Load] = append(rows, direct), direct
		for _, mode := range []string{"orchestration", "choreography"} {
			if !attack(mode, fmt.Sprintf("c=%d", c), "0", strconv.Itoa(c)) {
				return false
			}
		}
	}
	workers := strconv.Itoa(4 * slices.Max(l.cs))
	for _, mode := range []string{"orchestration", "choreography"} {
		if !attack(mode, fmt.Sprintf("%d/s", l.rate), strconv.Itoa(l.rate), workers) {
			return false
		}
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "mode\tload\trequests\tsagas/s\tp50 ms\tp95 ms\tp99 ms\tsuccess\tvs direct (p50, sagas/s)\t")
	for _, r := range rows {
		vs := ""
		if direct, ok := directs[r.Load]; ok && r.Mode != "direct" {
			vs = fmt.Sprintf("%.1fx, %.2fx", r.P50/direct.P50, r.PerSecond/direct.PerSecond)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%.0f%%\t%s\t\n", r.Mode, r.Load, r.Requests, r.PerSecond, r.P50, r.P95, r.P99, 100*r.Success, vs)
	}
	_ = tw.Flush()
	data, _ := json.MarshalIndent(rows, "", "  ")
	_ = os.WriteFile(filepath.Join(l.outDir, "vegeta.json"), data, 0o644)
	fmt.Printf("vegeta's own reports: %s\n", l.outDir)
	return true
}

// direct runs the starter's direct baseline at concurrency c.
func (l loadTest) direct(ctx context.Context, s *stack.Stack, c int) (loadRow, error) {
	var stdout, stderr bytes.Buffer
	args := []string{"bench", "--mode", "direct", "--n", strconv.Itoa(max(l.n, 40*c)), "--concurrency", strconv.Itoa(c), "--warmup", "20", "--out", "", "-o", "json"}
	if code := s.Starter(&stdout, &stderr).Run(ctx, args, bench.Command); code != 0 {
		return loadRow{}, fmt.Errorf("exit %d: %s", code, stderr.String())
	}
	var rep struct {
		Runs []bench.Result `json:"runs"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil || len(rep.Runs) == 0 {
		return loadRow{}, fmt.Errorf("its report: %v", err)
	}
	r := rep.Runs[0]
	return loadRow{Mode: "direct", Load: fmt.Sprintf("c=%d", c), Requests: r.N, PerSecond: r.PerSecond, P50: r.P50Ms, P95: r.P95Ms, P99: r.P99Ms,
		Success: 1 - float64(r.Errors)/float64(r.N)}, nil
}

// attack runs vegeta against POST /purchases and reads its JSON report.
func (l loadTest) attack(ctx context.Context, s *stack.Stack, mode, load, rate, workers string, duration time.Duration) (vegetaMetrics, error) {
	body := filepath.Join(l.outDir, "purchase-"+mode+".json")
	if err := os.WriteFile(body, []byte(`{"customer_id":"alice","items":[{"sku":"SKU-1","quantity":1}],"mode":"`+mode+`"}`), 0o644); err != nil {
		return vegetaMetrics{}, err
	}
	base := filepath.Join(l.outDir, fmt.Sprintf("vegeta-%s-%s", mode, sanitize(load)))
	attack := exec.CommandContext(ctx, l.vegeta, "attack", "-rate", rate, "-workers", workers, "-max-workers", workers,
		"-duration", duration.String(), "-timeout", "60s", "-body", body,
		"-header", "Content-Type: application/json", "-header", "Prefer: wait=30", "-output", base+".bin")
	attack.Stdin = bytes.NewBufferString("POST " + s.WorkerURL() + "/purchases\n")
	if out, err := attack.CombinedOutput(); err != nil {
		return vegetaMetrics{}, fmt.Errorf("attack: %v: %s", err, out)
	}
	text, err := exec.CommandContext(ctx, l.vegeta, "report", base+".bin").Output()
	if err != nil {
		return vegetaMetrics{}, fmt.Errorf("report: %w", err)
	}
	if err := os.WriteFile(base+".txt", text, 0o644); err != nil {
		return vegetaMetrics{}, err
	}
	js, err := exec.CommandContext(ctx, l.vegeta, "report", "-type", "json", base+".bin").Output()
	if err != nil {
		return vegetaMetrics{}, fmt.Errorf("report: %w", err)
	}
	var m vegetaMetrics
	if err := json.Unmarshal(js, &m); err != nil {
		return vegetaMetrics{}, fmt.Errorf("report: %w", err)
	}
	return m, os.WriteFile(base+".json", js, 0o644)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func sanitize(s string) string {
	return string(bytes.Map(func(r rune) rune {
		if r == '/' || r == '=' {
			return '-'
		}
		return r
	}, []byte(s)))
}
