package scrape_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
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
