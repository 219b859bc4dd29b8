package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"text/tabwriter"
	"time"
)

// ConsoleProbe reads the saga console's purchase list while a benchmark
// loads the stack, as someone watching it would: the JSON list's first
// page, its second (through the first's cursor), one mode's, and the HTML
// page, in turn, one request every Every.
type ConsoleProbe struct {
	URL   string // the worker
	Every time.Duration

	mu      sync.Mutex
	samples map[string][]time.Duration
	errs    map[string]int
	partial map[string]int
}

// ConsoleReads are what the probe asks for, in this order.
var ConsoleReads = []string{"/purchases?limit=25", "/purchases?limit=25&cursor=(next)", "/purchases?limit=25&mode=choreography", "/ (HTML)"}

// ConsoleBound is the most the list may take under load: the console's
// promise.
const ConsoleBound = 200 * time.Millisecond

// Run reads until ctx ends.
func (p *ConsoleProbe) Run(ctx context.Context) {
	p.mu.Lock()
	p.samples, p.errs, p.partial = map[string][]time.Duration{}, map[string]int{}, map[string]int{}
	p.mu.Unlock()
	client := &http.Client{Timeout: 10 * time.Second}
	next := ""
	tick := time.NewTicker(p.Every)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		read := ConsoleReads[i%len(ConsoleReads)]
		path := read
		switch read {
		case "/ (HTML)":
			path = "/"
		case "/purchases?limit=25&cursor=(next)":
			if next == "" {
				continue
			}
			path = "/purchases?limit=25&cursor=" + url.QueryEscape(next)
		}
		start := time.Now()
		resp, err := client.Get(p.URL + path)
		var body []byte
		if err == nil {
			body, err = io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil && resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("%s", resp.Status)
			}
		}
		took := time.Since(start)
		if ctx.Err() != nil {
			return // cut short by the end, not slow
		}
		p.mu.Lock()
		if err != nil {
			p.errs[read]++
		} else {
			p.samples[read] = append(p.samples[read], took)
			if partial(body) {
				p.partial[read]++
			}
		}
		p.mu.Unlock()
		if read == "/purchases?limit=25" && err == nil {
			var page struct {
				Next string `json:"next"`
			}
			if json.Unmarshal(body, &page) == nil {
				next = page.Next
			}
		}
	}
}

// partial tells whether a page says a source did not answer in time: the
// JSON's "partial", the HTML's notice.
func partial(body []byte) bool {
	var page struct {
		Partial string `json:"partial"`
	}
	if json.Unmarshal(body, &page) == nil {
		return page.Partial != ""
	}
	return bytes.Contains(body, []byte(`class="warning"`))
}

// ConsoleRead is one read's latencies under load.
type ConsoleRead struct {
	Read              string  `json:"read"`
	N                 int     `json:"n"`
	Errors            int     `json:"errors"`
	Partial           int     `json:"partial"` // answered without a source, in time
	P50MS             float64 `json:"p50_ms"`
	P99MS             float64 `json:"p99_ms"`
	MaxMS             float64 `json:"max_ms"`
	UnderBoundPercent float64 `json:"under_bound_percent"`
}

// Reads summarizes what the probe saw.
func (p *ConsoleProbe) Reads() []ConsoleRead {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []ConsoleRead
	for _, read := range ConsoleReads {
		ms := make([]float64, 0, len(p.samples[read]))
		under := 0
		for _, d := range p.samples[read] {
			ms = append(ms, float64(d)/float64(time.Millisecond))
			if d < ConsoleBound {
				under++
			}
		}
		slices.Sort(ms)
		r := ConsoleRead{Read: read, N: len(ms), Errors: p.errs[read], Partial: p.partial[read]}
		if len(ms) > 0 {
			r.P50MS, r.P99MS, r.MaxMS = Percentile(ms, 50), Percentile(ms, 99), ms[len(ms)-1]
			r.UnderBoundPercent = 100 * float64(under) / float64(len(ms))
		}
		out = append(out, r)
	}
	return out
}

// PrintConsole writes the probe's table.
func PrintConsole(w io.Writer, reads []ConsoleRead) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "read\tn\terrors\tpartial\tp50 ms\tp99 ms\tmax ms\tunder 200 ms\t")
	for _, r := range reads {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.1f\t%.1f\t%.1f\t%.1f%%\t\n", r.Read, r.N, r.Errors, r.Partial, r.P50MS, r.P99MS, r.MaxMS, r.UnderBoundPercent)
	}
	_ = tw.Flush()
}
