package telemetry_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/metric"

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

// A histogram in seconds has buckets for milliseconds: a 1 ms step falls
// in a bucket under 10 ms, where OpenTelemetry's default bounds (meant for
// milliseconds) put it under 5 s. A histogram in another unit keeps the
// defaults.
func TestAMillisecondStepFallsInAMillisecondBucket(t *testing.T) {
	tel, err := telemetry.Setup(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Flush()
	meter := telemetry.Meter("test")
	step, err := meter.Float64Histogram("test.step.duration", metric.WithUnit("s"))
	if err != nil {
		t.Fatal(err)
	}
	step.Record(context.Background(), 0.001)
	size, err := meter.Int64Histogram("test.batch.size", metric.WithUnit("{event}"))
	if err != nil {
		t.Fatal(err)
	}
	size.Record(context.Background(), 3)

	rec := httptest.NewRecorder()
	tel.Metrics.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	text := rec.Body.String()
	// The smallest bound whose bucket holds the observation.
	smallest := func(name string) float64 {
		t.Helper()
		re := regexp.MustCompile(name + `_bucket\{[^}]*le="([^"]+)"[^}]*\} (\d+)`)
		best := -1.0
		for _, m := range re.FindAllStringSubmatch(text, -1) {
			le, err := strconv.ParseFloat(m[1], 64)
			if err != nil || m[2] == "0" {
				continue
			}
			if best < 0 || le < best {
				best = le
			}
		}
		if best < 0 {
			t.Fatalf("no bucket of %s holds the observation:\n%s", name, text)
		}
		return best
	}
	if le := smallest("test_step_duration_seconds"); le >= 0.01 || le < 0.001 {
		t.Errorf("a 1 ms step lands in the bucket le=%g, want one of at least 1 ms and under 10 ms", le)
	}
	if le := smallest("test_batch_size"); le != 5 {
		t.Errorf("a batch of 3 lands in the bucket le=%g, want the default bounds' 5", le)
	}
}
