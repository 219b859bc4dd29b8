package bench

import (
	"bytes"
	"regexp"
	"strconv"
	"testing"
)

// The percentile labels of the plot stand apart, the tail's included; on a
// linear scale p95, p99 and p100 were drawn within 14 px of each other.
func TestPlotSpreadsTheTail(t *testing.T) {
	run := func(mode string, n int, scale float64) Result {
		r := Result{Mode: mode, Concurrency: 1, N: n}
		for i := 1; i <= n; i++ {
			r.LatencyMs = append(r.LatencyMs, float64(i)*scale)
		}
		return r
	}
	var out bytes.Buffer
	if err := WriteSVG(&out, "t", []Result{run("direct", 1000, 0.01), run("choreography", 2000, 0.1)}); err != nil {
		t.Fatal(err)
	}
	labels := regexp.MustCompile(`y="([0-9.]+)" text-anchor="end">(p[0-9.]+)<`).FindAllStringSubmatch(out.String(), -1)
	var names []string
	prev := 1e9
	for _, l := range labels {
		y, _ := strconv.ParseFloat(l[1], 64)
		names = append(names, l[2])
		if prev-y < 20 {
			t.Errorf("label %s at y=%.1f is %.1f px from the one below it", l[2], y, prev-y)
		}
		prev = y
	}
	want := []string{"p0", "p50", "p90", "p99", "p99.9"}
	if len(names) != len(want) {
		t.Fatalf("percentile labels %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("percentile labels %v, want %v", names, want)
		}
	}
}

func TestNines(t *testing.T) {
	for frac, want := range map[float64]float64{0: 0, 0.9: 1, 0.99: 2, 0.999: 3} {
		if got := nines(frac); got < want-1e-9 || got > want+1e-9 {
			t.Errorf("nines(%g) = %g, want %g", frac, got, want)
		}
	}
}
