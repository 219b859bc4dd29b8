package bench

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
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

// Each run is one line from its fastest sample to its slowest, drawn at the
// top, with every sample of the slowest 1% and none twice.
func TestPlotDrawsEveryTailSampleOnce(t *testing.T) {
	r := Result{Mode: "orchestration", Concurrency: 8, N: 2000}
	for i := 1; i <= r.N; i++ {
		r.LatencyMs = append(r.LatencyMs, float64(i))
	}
	var out bytes.Buffer
	if err := WriteSVG(&out, "t", []Result{r}); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`<polyline [^>]*points="([^"]*)"`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatal("no line drawn")
	}
	pts := strings.Fields(m[1])
	seen := map[string]bool{}
	for _, p := range pts {
		if seen[p] {
			t.Errorf("point %s drawn twice", p)
		}
		seen[p] = true
	}
	// 2000 samples: the slowest 1% is the last 20, plus the sample that
	// starts the tail; a few hundred points below it. The second slowest is
	// at 1-1/n, the plot's top, and the slowest runs along it.
	var ys []float64
	for _, p := range pts[len(pts)-21:] {
		y, err := strconv.ParseFloat(p[strings.IndexByte(p, ',')+1:], 64)
		if err != nil {
			t.Fatal(err)
		}
		ys = append(ys, y)
	}
	for i := 1; i < len(ys)-1; i++ {
		if ys[i] >= ys[i-1] {
			t.Errorf("tail point %d at y=%.1f does not rise above the one before (%.1f)", i, ys[i], ys[i-1])
		}
	}
	if top := 40.0; ys[len(ys)-2] != top || ys[len(ys)-1] != top {
		t.Errorf("two slowest samples at y=%.1f and %.1f, want the top %.1f", ys[len(ys)-2], ys[len(ys)-1], top)
	}
	if len(pts) < 400 || len(pts) > 450 {
		t.Errorf("%d points, want a few hundred", len(pts))
	}
}
