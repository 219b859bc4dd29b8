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

	"github.com/sagaforge/saga/internal/platform/process"
)

// Page is one /metrics page.
type Page string

// Get reads the /metrics page at url.
func Get(ctx context.Context, url string) (Page, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return Page(body), nil
}

// Sum adds up the samples of the series called name whose labels include
// every one of labels (written as on the page: saga_mode="choreography").
func (p Page) Sum(name string, labels ...string) float64 {
	total := 0.0
	for _, line := range strings.Split(string(p), "\n") {
		series, value, ok := strings.Cut(line, " ")
		if !ok || strings.HasPrefix(line, "#") || (series != name && !strings.HasPrefix(series, name+"{")) {
			continue
		}
		all := true
		for _, l := range labels {
			all = all && strings.Contains(series, l)
		}
		if v, err := strconv.ParseFloat(strings.Fields(value)[0], 64); all && err == nil {
			total += v
		}
	}
	return total
}

// Has reports whether the page holds a series called name.
func (p Page) Has(name string) bool {
	return strings.Contains("\n"+string(p), "\n"+name+"{") || strings.Contains("\n"+string(p), "\n"+name+" ")
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
