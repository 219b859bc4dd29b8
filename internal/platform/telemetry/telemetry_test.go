package telemetry_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/sagaforge/saga/internal/platform/telemetry"
)

// A change stores its span as a traceparent; whoever reads it back
// continues that very span, and a log line written under it names it.
func TestTraceparentCarriesTheSpanAcrossAHop(t *testing.T) {
	tp := sdktrace.NewTracerProvider()
	defer func() { _ = tp.Shutdown(context.Background()) }()
	ctx, span := tp.Tracer("test").Start(context.Background(), "change")
	defer span.End()

	stored := telemetry.Traceparent(ctx)
	want := span.SpanContext()
	if !strings.Contains(stored, want.TraceID().String()) || !strings.Contains(stored, want.SpanID().String()) {
		t.Fatalf("traceparent %q does not name span %s of trace %s", stored, want.SpanID(), want.TraceID())
	}
	got := trace.SpanContextFromContext(telemetry.WithTraceparent(context.Background(), stored))
	if got.TraceID() != want.TraceID() || got.SpanID() != want.SpanID() || !got.IsRemote() {
		t.Fatalf("continued %v, want the remote span %v", got, want)
	}
	if telemetry.Traceparent(context.Background()) != "" || telemetry.WithTraceparent(ctx, "") != ctx {
		t.Fatal("no span must mean no traceparent, and no traceparent no change")
	}

	var out bytes.Buffer
	log := slog.New(telemetry.LogHandler(slog.NewTextHandler(&out, nil))).With("service", "test")
	log.InfoContext(ctx, "with a span")
	log.Info("without one")
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if !strings.Contains(lines[0], "trace_id="+want.TraceID().String()) || !strings.Contains(lines[0], "span_id="+want.SpanID().String()) ||
		strings.Contains(lines[1], "trace_id") {
		t.Fatalf("log lines:\n%s", out.String())
	}
}
