package integration

import (
	"context"
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sagaforge/saga/internal/platform/telemetry"
	"github.com/sagaforge/saga/lab/scrape"
)

// quantile is what Prometheus's histogram_quantile reads from the
// histogram name's buckets grown between two scrapes (summed over every
// other label): the bucket that holds the q-th observation, interpolated
// linearly within it.
func quantile(q float64, before, after scrape.Page, name string) float64 {
	bounds := append(slices.Clone(telemetry.SecondsBuckets), math.Inf(1))
	grown := func(le float64) float64 {
		label := fmt.Sprintf(`le="%s"`, strconv.FormatFloat(le, 'g', -1, 64))
		if math.IsInf(le, 1) {
			label = `le="+Inf"`
		}
		return after.Sum(name+"_bucket", label) - before.Sum(name+"_bucket", label)
	}
	total := grown(math.Inf(1))
	if total == 0 {
		return 0
	}
	rank, lower, below := q*total, 0.0, 0.0
	for _, le := range bounds {
		n := grown(le)
		if n >= rank {
			if math.IsInf(le, 1) {
				return lower
			}
			return lower + (le-lower)*(rank-below)/(n-below)
		}
		lower, below = le, n
	}
	return lower
}

func scrapeOf(t *testing.T, url string) scrape.Page {
	t.Helper()
	page, err := scrape.Get(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	return page
}

// Every service and the worker serve the saga's metrics, the HTTP, outbox,
// consumer and pool metrics and, on the worker, the Temporal SDK's; the
// saga's counters move with each purchase, in both modes.
func TestMetricsMoveWithThePurchases(t *testing.T) {
	s, _ := startStackWithEnv(t, nil, "SAGA_FAULTS=*=0.05")
	urls := map[string]string{"order": s.OrderURL() + "/metrics", "inventory": s.InventoryURL() + "/metrics",
		"payment": s.PaymentURL() + "/metrics", "worker": s.WorkerURL() + "/metrics"}
	before := map[string]scrape.Page{}
	for name, url := range urls {
		before[name] = scrapeOf(t, url)
	}
	buyOneOfEach(t, s)
	// Each check is a series that must have grown: service, name, labels.
	checks := [][]string{
		{"worker", "saga_purchases_total", `saga_mode="orchestration"`, `saga_outcome="APPROVED"`},
		{"worker", "saga_purchases_total", `saga_mode="orchestration"`, `saga_outcome="CANCELLED"`},
		{"worker", "saga_step_duration_seconds_count", `saga_step="charge"`, `saga_outcome="refused"`},
		{"worker", "saga_step_duration_seconds_count", `saga_step="release"`, `saga_outcome="ok"`},
		{"worker", "temporal_workflow_completed_total"},
		{"order", "saga_purchases_total", `saga_mode="choreography"`, `saga_outcome="APPROVED"`},
		{"order", "saga_purchases_total", `saga_mode="choreography"`, `saga_outcome="CANCELLED"`},
		{"order", "http_server_request_duration_seconds_count", `http_request_method="POST"`, `http_route="/orders"`},
		{"order", "outbox_publish_lag_seconds_count"},
		{"inventory", "saga_step_duration_seconds_count", `saga_mode="choreography"`, `saga_step="reserve"`},
		{"inventory", "saga_step_duration_seconds_count", `saga_mode="choreography"`, `saga_step="release"`},
		{"payment", "saga_step_duration_seconds_count", `saga_mode="choreography"`, `saga_step="charge"`, `saga_outcome="refused"`},
		{"payment", "http_server_request_duration_seconds_count", `http_route="/payments"`, `http_response_status_code="402"`},
	}
	var after map[string]scrape.Page
	var still []string
	deadline := time.Now().Add(20 * time.Second)
	for {
		after, still = map[string]scrape.Page{}, nil
		for name, url := range urls {
			after[name] = scrapeOf(t, url)
		}
		for _, c := range checks {
			if after[c[0]].Sum(c[1], c[2:]...) <= before[c[0]].Sum(c[1], c[2:]...) {
				still = append(still, strings.Join(c, " "))
			}
		}
		if len(still) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("these did not move:\n  %s", strings.Join(still, "\n  "))
		}
		time.Sleep(100 * time.Millisecond) // polling a state, as waitFor does
	}
	// Gauges that need not move but must be there.
	for _, c := range [][]string{
		{"order", "outbox_backlog"}, {"order", "db_client_connection_count", `db_client_connection_state="used"`},
		{"payment", "messaging_kafka_consumer_lag"}, {"worker", "go_goroutines"},
	} {
		if !after[c[0]].Has(c[1]) {
			t.Errorf("%s /metrics has no %s", c[0], c[1])
		}
	}
	// The dashboard's step p95 (histogram_quantile over the buckets) reads
	// milliseconds: with OpenTelemetry's default bounds, meant for
	// milliseconds, a step of 1 ms read as 4.75 s.
	for _, name := range []string{"worker", "inventory", "payment"} {
		p95 := quantile(0.95, before[name], after[name], "saga_step_duration_seconds")
		if p95 <= 0 || p95 > 0.5 {
			t.Errorf("%s: the steps' p95 reads %.3f s from the buckets, want milliseconds", name, p95)
		}
	}
	// The dashboard compose provisions asks only for series and labels
	// that the processes serve.
	dashboard, err := os.ReadFile("../deploy/grafana/dashboards/saga.json")
	if err != nil {
		t.Fatal(err)
	}
	served := func(name string) bool { // as a series, or as a label of one
		for _, page := range after {
			if page.Has(name) || page.HasLabel(name) {
				return true
			}
		}
		return false
	}
	for _, name := range regexp.MustCompile(`\b(?:saga|outbox|messaging|http|db|temporal)_[a-z0-9_]+`).FindAllString(string(dashboard), -1) {
		if !served(name) {
			t.Errorf("the dashboard asks for %s, which no /metrics page has", name)
		}
	}
}
