package scrape_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sagaforge/saga/lab/scrape"
)

// A counter summed over processes keeps what a process counted before it
// restarted, and ignores the series and labels it was not asked for.
func TestCounterSurvivesARestart(t *testing.T) {
	var value atomic.Int64
	page := func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "# HELP saga_faults_injected_total x\n# TYPE saga_faults_injected_total counter\n"+
			"saga_faults_injected_total{saga_fault=\"before\"} %d\nsaga_faults_injected_total{saga_fault=\"after\"} 1\n"+
			"saga_faults_injected_totally 100\n", value.Load())
	}
	a, b := httptest.NewServer(http.HandlerFunc(page)), httptest.NewServer(http.HandlerFunc(page))
	defer a.Close()
	defer b.Close()
	c := scrape.NewCounter([]string{a.URL, b.URL}, "saga_faults_injected_total", `saga_fault="before"`)
	ctx := context.Background()
	for _, v := range []int64{3, 5} { // counting up
		value.Store(v)
		c.Read(ctx)
	}
	value.Store(2) // both restarted, and counted 2 since
	c.Read(ctx)
	if got := c.Total(); got != 2*(5+2) {
		t.Fatalf("total %d, want %d: what each counted before and after its restart", got, 2*(5+2))
	}
	b.Close() // down: what it read before stays
	c.Read(ctx)
	if got := c.Total(); got != 14 {
		t.Fatalf("total %d after one went down, want 14", got)
	}
}

// A page is read as Prometheus reads it: labels match whole values, and a
// histogram's _bucket, _sum and _count series are its family's.
func TestPageSumsAsPrometheusReadsIt(t *testing.T) {
	page, err := scrape.Parse(strings.NewReader(`# TYPE saga_steps_total counter
saga_steps_total{saga_mode="orchestration",saga_step="reserve"} 3
saga_steps_total{saga_mode="orchestration_v2",saga_step="reserve"} 100
saga_steps_total{saga_mode="choreography",saga_step="reserve"} 4
# TYPE saga_step_duration_seconds histogram
saga_step_duration_seconds_bucket{saga_step="reserve",le="0.001"} 2
saga_step_duration_seconds_bucket{saga_step="reserve",le="0.01"} 5
saga_step_duration_seconds_bucket{saga_step="reserve",le="+Inf"} 6
saga_step_duration_seconds_sum{saga_step="reserve"} 0.5
saga_step_duration_seconds_count{saga_step="reserve"} 6
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"saga_steps_total", []string{`saga_mode="orchestration"`}, 3},
		{"saga_steps_total", []string{`saga_step="reserve"`}, 107},
		{"saga_steps_total", nil, 107},
		{"saga_step_duration_seconds_bucket", []string{`le="0.01"`}, 5},
		{"saga_step_duration_seconds_bucket", []string{`le="+Inf"`, `saga_step="reserve"`}, 6},
		{"saga_step_duration_seconds_sum", nil, 0.5},
		{"saga_step_duration_seconds_count", nil, 6},
		{"saga_steps", nil, 0},
	} {
		if got := page.Sum(tc.name, tc.labels...); got != tc.want {
			t.Errorf("Sum(%s, %v) = %g, want %g", tc.name, tc.labels, got, tc.want)
		}
	}
	if !page.Has("saga_step_duration_seconds_bucket") || page.Has("saga_steps") || !page.HasLabel("saga_mode") {
		t.Error("Has and HasLabel do not see what the page holds")
	}
	if _, err := scrape.Parse(strings.NewReader("saga_steps_total{ 3\n")); err == nil {
		t.Error("a page that is not the text format was read")
	}
}
