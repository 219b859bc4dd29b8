package bench

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// WriteSVG plots each run's latency distribution as one line, so modes can
// be compared at a glance: latency on a log scale across, and the
// percentile up on a scale of nines (p50, p90, p99, p99.9 evenly spaced),
// where the tail a saga's users feel is as wide as its middle. On a linear
// percentile scale p95, p99 and p100 fall within a few pixels of the top.
func WriteSVG(w io.Writer, title string, runs []Result) error {
	const width, height, left, right, top, bottom = 760.0, 440.0, 70.0, 200.0, 40.0, 50.0
	plotW, plotH := width-left-right, height-top-bottom
	lo, hi := math.Inf(1), 0.0
	most := 0
	for _, r := range runs {
		if len(r.LatencyMs) > 0 {
			lo, hi = math.Min(lo, r.LatencyMs[0]), math.Max(hi, r.LatencyMs[len(r.LatencyMs)-1])
			most = max(most, len(r.LatencyMs))
		}
	}
	if hi == 0 {
		return fmt.Errorf("no latencies to plot")
	}
	lo = math.Pow(10, math.Floor(math.Log10(math.Max(lo, 0.1))))
	hi = math.Pow(10, math.Ceil(math.Log10(hi)))
	x := func(ms float64) float64 {
		return left + plotW*(math.Log10(math.Max(ms, lo))-math.Log10(lo))/(math.Log10(hi)-math.Log10(lo))
	}
	// A run of n resolves percentiles up to 1-1/n, log10(n) nines (its
	// second slowest saga); the top of the plot is the largest run's.
	topNines := math.Max(1, math.Log10(float64(most)))
	y := func(frac float64) float64 {
		return top + plotH*(1-math.Min(nines(frac), topNines)/topNines)
	}

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="12">`+"\n", width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%.0f" y="22" font-size="15" font-weight="bold">%s</text>`+"\n", left, escape(title))
	for d := lo; d <= hi*1.0001; d *= 10 {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/><text x="%.1f" y="%.1f" text-anchor="middle">%g ms</text>`+"\n",
			x(d), top, x(d), top+plotH, x(d), top+plotH+18, d)
	}
	for _, p := range percentileTicks(topNines) {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/><text x="%.1f" y="%.1f" text-anchor="end">p%g</text>`+"\n",
			left, y(p), left+plotW, y(p), left-6, y(p)+4, p*100)
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">latency per saga (log scale)</text>`+"\n", left+plotW/2, height-8)
	colors := []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf", "#7f7f7f", "#e377c2", "#bcbd22"}
	for i, r := range runs {
		if len(r.LatencyMs) == 0 {
			continue
		}
		color := colors[i%len(colors)]
		var pts []string
		// Sample j has (j+1)/n of the run at or below it; the slowest,
		// at 1, is drawn at the top.
		n := len(r.LatencyMs)
		point := func(j int) string {
			return fmt.Sprintf("%.1f,%.1f", x(r.LatencyMs[j]), y(float64(j+1)/float64(n)))
		}
		// Every sample of the slowest 1%, which has as much height as the
		// rest; a few hundred points below it.
		step, tail := max(1, n/400), n-n/100-1
		for j := 0; j < n; {
			pts = append(pts, point(j))
			if j >= tail {
				j++
			} else {
				j = min(j+step, tail)
			}
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", color, strings.Join(pts, " "))
		ly := top + 16 + float64(i)*34
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="3"/>`+"\n", left+plotW+12, ly, left+plotW+32, ly, color)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f">%s c=%d</text>`+"\n", left+plotW+38, ly+4, escape(r.Mode), r.Concurrency)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="#555">p50 %.1f ms, %.0f/s</text>`+"\n", left+plotW+38, ly+18, r.P50Ms, r.PerSecond)
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// nines is how many nines frac has: 0.9 is 1, 0.99 is 2; 1 is +Inf.
func nines(frac float64) float64 { return -math.Log10(1 - frac) }

// percentileTicks are p0, p50, p90, p99, ... up to the plot's top.
func percentileTicks(topNines float64) []float64 {
	ticks := []float64{0, 0.5}
	for n := 1.0; n <= topNines+1e-9; n++ {
		ticks = append(ticks, 1-math.Pow(10, -n))
	}
	return ticks
}

func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
