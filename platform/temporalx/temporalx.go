// Package temporalx connects the stack's binaries to Temporal the same way:
// the address, namespace, TLS and API key of the Temporal CLI's client
// profile and TEMPORAL_* variables (contrib/envconfig), the SDK logging
// through slog, OpenTelemetry tracing through the workflow and its
// activities, and Web UI links for a workflow.
package temporalx

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"time"

	"go.opentelemetry.io/otel"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
	tlog "go.temporal.io/sdk/log"

	"github.com/sagaforge/saga/platform/process"
	"github.com/sagaforge/saga/platform/web"
)

// The local dev server, for what neither a profile nor the environment says.
const (
	DefaultAddress   = "127.0.0.1:7233"
	DefaultNamespace = "default"
)

// Config says where Temporal is and how to reach it.
type Config struct {
	Address   string
	Namespace string
	UIURL     string
	// Compression of gRPC requests (and so of the server's answers):
	// "gzip", "none", or "" for gzip except to a loopback address, where it
	// is CPU spent on both ends for no bytes that matter (the SDK's default
	// is gzip everywhere). TEMPORAL_GRPC_COMPRESSION sets it.
	Compression string
	// Profile is the rest of a Temporal CLI client profile: TLS, API key,
	// gRPC metadata. Address and Namespace above win over its own.
	Profile envconfig.ClientConfigProfile
}

// Load reads how to reach Temporal as the temporal CLI does: the profile
// (TEMPORAL_PROFILE, else "default") of the config file (TEMPORAL_CONFIG_FILE,
// else ~/.config/temporalio/temporal.toml; none is fine), then the TEMPORAL_*
// variables over it (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,
// TEMPORAL_TLS, TEMPORAL_TLS_*, TEMPORAL_GRPC_META_*), then the local dev
// server for what none sets. A binary's flags override after this.
func Load(file, profile string) (Config, error) {
	p, err := envconfig.LoadClientConfigProfile(envconfig.LoadClientConfigProfileOptions{ConfigFilePath: file, ConfigFileProfile: profile})
	if err != nil {
		return Config{}, fmt.Errorf("temporal client profile: %w", err)
	}
	cfg := Config{UIURL: process.Env("TEMPORAL_UI_URL", "http://127.0.0.1:8233"), Profile: p}
	cfg.Address, cfg.Namespace = p.Address, p.Namespace
	if cfg.Address == "" {
		cfg.Address = DefaultAddress
	}
	if cfg.Namespace == "" {
		cfg.Namespace = DefaultNamespace
	}
	switch cfg.Compression = os.Getenv("TEMPORAL_GRPC_COMPRESSION"); cfg.Compression {
	case "", "gzip", "none":
	default:
		return Config{}, fmt.Errorf("TEMPORAL_GRPC_COMPRESSION must be gzip or none, got %q", cfg.Compression)
	}
	return cfg, nil
}

// PlainEnv is the environment under which Load ignores the user's own
// Temporal profile and TLS variables: the stack's dev server is local and
// plain, whatever the shell it was started from points at.
func PlainEnv() []string {
	return []string{"TEMPORAL_CONFIG_FILE=" + os.DevNull, "TEMPORAL_PROFILE=", "TEMPORAL_TLS=false", "TEMPORAL_API_KEY="}
}

// Secure reports whether the connection uses TLS (an API key implies it).
func (cfg Config) Secure() bool {
	if cfg.Profile.TLS != nil {
		return !cfg.Profile.TLS.Disabled
	}
	return cfg.Profile.APIKey != ""
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
	// The profile gives TLS, the API key and gRPC metadata; the rest is ours.
	opts, err := cfg.Profile.ToClientOptions(envconfig.ToClientOptionsRequest{})
	if err != nil {
		return nil, fmt.Errorf("temporal client profile: %w", err)
	}
	opts.HostPort, opts.Namespace = cfg.Address, cfg.Namespace
	if cfg.Compression == "none" || cfg.Compression == "" && web.Loopback(cfg.Address) {
		opts.ConnectionOptions.GrpcCompression = &client.GrpcCompressionNone{}
	}
	opts.Interceptors = []interceptor.ClientInterceptor{tracing}
	// The SDK's own metrics (task latencies, poll results, activity
	// failures) join the process's, on its /metrics.
	opts.MetricsHandler = temporalotel.NewMetricsHandler(temporalotel.MetricsHandlerOptions{Meter: otel.Meter("go.temporal.io/sdk"),
		UseMonotonicCounters: true, OnError: func(err error) { slog.Warn("temporal metric not recorded", "err", err) }})
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
