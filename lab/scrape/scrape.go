// Package scrape reads the processes' /metrics pages (Prometheus text) the
// way a dashboard would: a page's series summed by name and labels, and
// counters followed across the restarts that reset them.
package scrape

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/sagaforge/saga/internal/platform/process"
)

// Page is one /metrics page, parsed by Prometheus's own text parser:
// its metric families by name.
type Page map[string]*dto.MetricFamily

// Get reads the /metrics page at url.
func Get(ctx context.Context, url string) (Page, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return Parse(io.LimitReader(resp.Body, 16<<20))
}

// Parse reads a page in the Prometheus text format.
func Parse(r io.Reader) (Page, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("parse metrics: %w", err)
	}
	return Page(families), nil
}

// Sum adds up the samples of the series called name whose labels include
// every one of labels (written as on the page: saga_mode="choreography").
// A histogram's series are its family's name with _bucket (le is a
// label), _sum and _count.
func (p Page) Sum(name string, labels ...string) float64 {
	want := map[string]string{}
	for _, l := range labels {
		k, v, _ := strings.Cut(l, "=")
		want[k] = strings.Trim(v, `"`)
	}
	family, part := p[name], ""
	if family == nil {
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if base, ok := strings.CutSuffix(name, suffix); ok && p[base] != nil && p[base].GetType() == dto.MetricType_HISTOGRAM {
				family, part = p[base], suffix
			}
		}
	}
	if family == nil {
		return 0
	}
	total := 0.0
	for _, m := range family.GetMetric() {
		has := map[string]string{}
		for _, l := range m.GetLabel() {
			has[l.GetName()] = l.GetValue()
		}
		le, bucketed := want["le"]
		matches := true
		for k, v := range want {
			if k != "le" || part != "_bucket" {
				matches = matches && has[k] == v
			}
		}
		if !matches {
			continue
		}
		switch {
		case part == "_bucket" && bucketed:
			total += bucketCount(m.GetHistogram(), le)
		case part == "_sum":
			total += m.GetHistogram().GetSampleSum()
		case part == "_count", part == "_bucket":
			total += float64(m.GetHistogram().GetSampleCount())
		default:
			total += value(m)
		}
	}
	return total
}

// bucketCount is the cumulative count of h's bucket whose upper bound is
// le, as the page writes it ("0.005", "+Inf").
func bucketCount(h *dto.Histogram, le string) float64 {
	if le == "+Inf" {
		return float64(h.GetSampleCount())
	}
	bound, err := strconv.ParseFloat(le, 64)
	if err != nil {
		return 0
	}
	for _, b := range h.GetBucket() {
		if b.GetUpperBound() == bound {
			return float64(b.GetCumulativeCount())
		}
	}
	return 0
}

// value is a sample's value, whatever its type.
func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Untyped != nil:
		return m.GetUntyped().GetValue()
	}
	return 0
}

// HasLabel reports whether a series of the page has a label called name.
func (p Page) HasLabel(name string) bool {
	for _, f := range p {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == name {
					return true
				}
			}
		}
	}
	return false
}

// Has reports whether the page holds a series called name.
func (p Page) Has(name string) bool {
	if _, ok := p[name]; ok {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && p[base] != nil {
			return true
		}
	}
	return false
}

// Counter follows one counter (name and labels) summed over several
// processes, through their restarts: a value lower than the last one read
// is a restart, and what was counted before it is kept. What a killed
// process counted after its last read is lost, so read often.
type Counter struct {
	urls   []string
	name   string
	labels []string

	mu         sync.Mutex
	last, base map[string]float64
}

// NewCounter follows name{labels} on the /metrics pages at urls.
func NewCounter(urls []string, name string, labels ...string) *Counter {
	return &Counter{urls: urls, name: name, labels: labels, last: map[string]float64{}, base: map[string]float64{}}
}

// Read reads every page once; a page that cannot be read (its process is
// down) keeps what was read before.
func (c *Counter) Read(ctx context.Context) {
	for _, url := range c.urls {
		page, err := Get(ctx, url)
		if err != nil {
			continue
		}
		v := page.Sum(c.name, c.labels...)
		c.mu.Lock()
		if v < c.last[url] {
			c.base[url] += c.last[url]
		}
		c.last[url] = v
		c.mu.Unlock()
	}
}

// Follow reads now and every interval until ctx ends.
func (c *Counter) Follow(ctx context.Context, interval time.Duration) {
	c.Read(ctx)
	process.Every(ctx, interval, func() { c.Read(ctx) })
}

// Total is what the processes have counted so far.
func (c *Counter) Total() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	total := 0.0
	for url, v := range c.last {
		total += v + c.base[url]
	}
	return int64(total)
}
