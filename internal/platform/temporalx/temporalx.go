// Package temporalx connects the stack's binaries to Temporal the same way:
// the address, namespace, TLS and API key of the Temporal CLI's client
// profile and TEMPORAL_* variables (contrib/envconfig), the SDK logging
// through slog, OpenTelemetry tracing through the workflow and its
// activities, and Web UI links for a workflow.
package temporalx

import (
	"context"
	"flag"
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

	"github.com/sagaforge/saga/internal/platform/process"
	"github.com/sagaforge/saga/internal/platform/web"
)

// The local dev server, for what neither a profile nor the environment says.
const (
	DefaultAddress   = "127.0.0.1:7233"
	DefaultNamespace = "default"
	DefaultUIURL     = "http://127.0.0.1:8233"
)

// Flags are the flags of every binary that dials Temporal, each empty
// unless given: --temporal-address, --namespace and --ui-url override
// what the profile (--profile, --config-file) and the environment say.
type Flags struct {
	Address, Namespace, UIURL string
	Profile, ConfigFile       string
}

// Register declares the flags on fs.
func (f *Flags) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.Address, "temporal-address", "", "Temporal frontend host:port (default: the profile's, env TEMPORAL_ADDRESS, else "+DefaultAddress+")")
	fs.StringVar(&f.Namespace, "namespace", "", "Temporal namespace (default: the profile's, env TEMPORAL_NAMESPACE, else "+DefaultNamespace+")")
	fs.StringVar(&f.UIURL, "ui-url", "", "Temporal Web UI base URL, for links (default: env TEMPORAL_UI_URL, else "+DefaultUIURL+")")
	fs.StringVar(&f.Profile, "profile", "", "Temporal CLI client profile: address, namespace, TLS, API key (env TEMPORAL_PROFILE, else default)")
	fs.StringVar(&f.ConfigFile, "config-file", "", "Temporal CLI config file (env TEMPORAL_CONFIG_FILE, else ~/.config/temporalio/temporal.toml)")
}

// Apply overrides cfg with the flags that were given.
func (f Flags) Apply(cfg *Config) {
	for _, o := range []struct{ flag, to *string }{{&f.Address, &cfg.Address}, {&f.Namespace, &cfg.Namespace}, {&f.UIURL, &cfg.UIURL}} {
		if *o.flag != "" {
			*o.to = *o.flag
		}
	}
}

// Load is Load of the profile the flags name, with the flags over it.
func (f Flags) Load() (Config, error) {
	cfg, err := Load(f.ConfigFile, f.Profile)
	if err != nil {
		return cfg, err
	}
	f.Apply(&cfg)
	return cfg, nil
}

// Local is the local dev server, with the Web UI the environment names.
func Local() Config {
	return Config{Address: DefaultAddress, Namespace: DefaultNamespace, UIURL: process.Env("TEMPORAL_UI_URL", DefaultUIURL)}
}

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
	// The API key may come from a secret's file (TEMPORAL_API_KEY_FILE).
	key, err := process.Secret("TEMPORAL_API_KEY", "")
	if err != nil {
		return Config{}, fmt.Errorf("temporal client profile: %w", err)
	}
	if os.Getenv("TEMPORAL_API_KEY_FILE") != "" {
		p.APIKey = key
	}
	cfg := Local()
	cfg.Profile = p
	if p.Address != "" {
		cfg.Address = p.Address
	}
	if p.Namespace != "" {
		cfg.Namespace = p.Namespace
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
	return []string{"TEMPORAL_CONFIG_FILE=" + os.DevNull, "TEMPORAL_PROFILE=", "TEMPORAL_TLS=false", "TEMPORAL_API_KEY=", "TEMPORAL_API_KEY_FILE="}
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
