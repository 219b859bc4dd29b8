package bench

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// WriteSVG plots each run's latency distribution (CDF, log-scale latency)
// as one line, so modes can be compared at a glance.
func WriteSVG(w io.Writer, title string, runs []Result) error {
	const width, height, left, right, top, bottom = 760.0, 440.0, 70.0, 200.0, 40.0, 50.0
	plotW, plotH := width-left-right, height-top-bottom
	lo, hi := math.Inf(1), 0.0
	for _, r := range runs {
		if len(r.LatencyMs) > 0 {
			lo, hi = math.Min(lo, r.LatencyMs[0]), math.Max(hi, r.LatencyMs[len(r.LatencyMs)-1])
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
	y := func(frac float64) float64 { return top + plotH*(1-frac) }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="12">`+"\n", width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%.0f" y="22" font-size="15" font-weight="bold">%s</text>`+"\n", left, escape(title))
	for d := lo; d <= hi*1.0001; d *= 10 {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/><text x="%.1f" y="%.1f" text-anchor="middle">%g ms</text>`+"\n",
			x(d), top, x(d), top+plotH, x(d), top+plotH+18, d)
	}
	for _, p := range []float64{0, 0.5, 0.95, 0.99, 1} {
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
		step := max(1, len(r.LatencyMs)/400)
		for j := 0; j < len(r.LatencyMs); j += step {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(r.LatencyMs[j]), y(float64(j+1)/float64(len(r.LatencyMs)))))
		}
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(r.LatencyMs[len(r.LatencyMs)-1]), y(1)))
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

func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
