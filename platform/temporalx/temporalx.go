// Package temporalx connects the stack's binaries to Temporal the same way:
// one address and namespace from flags or TEMPORAL_ADDRESS/TEMPORAL_NAMESPACE,
// the SDK logging through slog, OpenTelemetry tracing through the workflow
// and its activities, and Web UI links for a workflow.
package temporalx

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"go.opentelemetry.io/otel"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
	tlog "go.temporal.io/sdk/log"

	"github.com/sagaforge/saga/platform/process"
)

// Config says where Temporal is.
type Config struct {
	Address   string
	Namespace string
	UIURL     string
}

// FromEnv returns the defaults, overridden by TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE and TEMPORAL_UI_URL.
func FromEnv() Config {
	return Config{
		Address:   process.Env("TEMPORAL_ADDRESS", "127.0.0.1:7233"),
		Namespace: process.Env("TEMPORAL_NAMESPACE", "default"),
		UIURL:     process.Env("TEMPORAL_UI_URL", "http://127.0.0.1:8233"),
	}
}

// Dial connects and checks that the server answers within timeout.
func Dial(ctx context.Context, cfg Config, log *slog.Logger, timeout time.Duration) (client.Client, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// The tracing interceptor carries the caller's trace into the workflow
	// and its activities (and, on a worker, spans each of them).
	tracing, err := temporalotel.NewTracingInterceptor(temporalotel.TracerOptions{})
	if err != nil {
		return nil, fmt.Errorf("temporal tracing: %w", err)
	}
	opts := client.Options{HostPort: cfg.Address, Namespace: cfg.Namespace, Interceptors: []interceptor.ClientInterceptor{tracing},
		// The SDK's own metrics (task latencies, poll results, activity
		// failures) join the process's, on its /metrics.
		MetricsHandler: temporalotel.NewMetricsHandler(temporalotel.MetricsHandlerOptions{Meter: otel.Meter("go.temporal.io/sdk"),
			UseMonotonicCounters: true, OnError: func(err error) { slog.Warn("temporal metric not recorded", "err", err) }})}
	if log != nil {
		opts.Logger = tlog.NewStructuredLogger(log)
	}
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("cannot reach Temporal at %s: %w", cfg.Address, err)
	}
	return c, nil
}

// WorkflowURL is the Web UI page of a workflow run.
func (cfg Config) WorkflowURL(workflowID, runID string) string {
	u := fmt.Sprintf("%s/namespaces/%s/workflows/%s", cfg.UIURL, url.PathEscape(cfg.Namespace), url.PathEscape(workflowID))
	if runID != "" {
		u += "/" + url.PathEscape(runID) + "/history"
	}
	return u
}
