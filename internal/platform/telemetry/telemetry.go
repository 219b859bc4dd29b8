// Package telemetry is a process's OpenTelemetry tracing: W3C trace context
// and baggage propagate through every hop, and spans are exported over
// OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT (or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set. The SDK reads the rest of the
// standard OTEL_* variables itself (sampler, batch delay, headers).
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// Enabled reports whether spans are exported: an OTLP endpoint is set.
func Enabled() bool {
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// Telemetry is a process's tracing and metrics, installed as the
// OpenTelemetry globals.
type Telemetry struct {
	// Metrics serves the process's metrics in the Prometheus text format:
	// what its code records, the Go runtime's and the process's.
	Metrics  http.Handler
	shutdown []func(context.Context) error
}

// Setup installs the propagators, a meter provider read by Metrics and,
// when Enabled, a tracer provider that exports service's spans. Without an
// endpoint spans are not recorded, but an incoming trace context still
// flows on through this process.
func Setup(ctx context.Context, service string) (*Telemetry, error) {
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	res, err := resource.Merge(resource.Default(), resource.NewWithAttributes(semconv.SchemaURL, semconv.ServiceName(service)))
	if err != nil && !errors.Is(err, resource.ErrSchemaURLConflict) {
		return nil, fmt.Errorf("telemetry resource: %w", err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, fmt.Errorf("metrics exporter: %w", err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter), sdkmetric.WithResource(res), sdkmetric.WithView(secondsView))
	otel.SetMeterProvider(mp)
	t := &Telemetry{Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), shutdown: []func(context.Context) error{mp.Shutdown}}
	if !Enabled() {
		return t, nil
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	t.shutdown = append(t.shutdown, tp.Shutdown)
	return t, nil
}

// SecondsBuckets are the bucket bounds of every histogram in seconds (a
// step, the outbox's publish lag, the Temporal SDK's timers): from 100 µs,
// a local step, to a minute, a step's deadline. OpenTelemetry's default
// bounds (0, 5, 10, 25 … 10000) are meant for milliseconds: they put a
// 1 ms step in the 5 s bucket, and a dashboard's p95 at seconds.
var SecondsBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// secondsView gives every histogram whose unit is seconds SecondsBuckets.
var secondsView = sdkmetric.NewView(
	sdkmetric.Instrument{Kind: sdkmetric.InstrumentKindHistogram, Unit: "s"},
	sdkmetric.Stream{Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: SecondsBuckets}},
)

// Flush exports the spans not exported yet and stops; it gives up after
// five seconds.
func (t *Telemetry) Flush() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, stop := range t.shutdown {
		_ = stop(ctx)
	}
}

// Meter is the meter of one of our packages.
func Meter(name string) metric.Meter { return otel.Meter("github.com/sagaforge/saga/" + name) }

// Tracer is the tracer of one of our packages.
func Tracer(name string) trace.Tracer { return otel.Tracer("github.com/sagaforge/saga/" + name) }

// Traceparent is the W3C traceparent of the span in ctx, empty without one:
// what a change stores so that the event it publishes later continues the
// trace.
func Traceparent(ctx context.Context) string {
	carrier := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, carrier)
	return carrier.Get("traceparent")
}

// WithTraceparent is ctx continuing the remote span a traceparent names; an
// empty or malformed one leaves ctx as it is.
func WithTraceparent(ctx context.Context, traceparent string) context.Context {
	if traceparent == "" {
		return ctx
	}
	return propagation.TraceContext{}.Extract(ctx, propagation.MapCarrier{"traceparent": traceparent})
}

// LogHandler adds the trace_id and span_id of a record's context to it, so
// that a log line can be found from its trace and the other way round.
func LogHandler(h slog.Handler) slog.Handler { return logHandler{h} }

type logHandler struct{ slog.Handler }

func (h logHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

func (h logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return logHandler{h.Handler.WithAttrs(attrs)}
}

func (h logHandler) WithGroup(name string) slog.Handler { return logHandler{h.Handler.WithGroup(name)} }
