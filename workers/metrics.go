package workers

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"

	"github.com/sagaforge/saga/internal/platform/telemetry"
	"github.com/sagaforge/saga/internal/saga"
)

// stepMetrics times every activity as a step of the orchestrated saga
// (saga.MetricStepDuration), with its outcome: ok, refused (a
// non-retryable refusal) or failed (to be retried).
type stepMetrics struct {
	interceptor.WorkerInterceptorBase
	duration metric.Float64Histogram
}

func newStepMetrics() (*stepMetrics, error) {
	h, err := telemetry.Meter("workers").Float64Histogram(saga.MetricStepDuration, metric.WithUnit("s"),
		metric.WithDescription("How long one try of a saga step or compensation took, by step, mode and outcome."))
	return &stepMetrics{duration: h}, err
}

func (m *stepMetrics) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	return &timedActivity{ActivityInboundInterceptorBase: interceptor.ActivityInboundInterceptorBase{Next: next}, duration: m.duration}
}

type timedActivity struct {
	interceptor.ActivityInboundInterceptorBase
	duration metric.Float64Histogram
}

func (a *timedActivity) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	start := time.Now()
	out, err := a.Next.ExecuteActivity(ctx, in)
	outcome := "ok"
	var appErr *temporal.ApplicationError
	switch {
	case errors.As(err, &appErr) && appErr.NonRetryable():
		outcome = "refused"
	case err != nil:
		outcome = "failed"
	}
	a.duration.Record(ctx, time.Since(start).Seconds(), metric.WithAttributes(
		attribute.String(saga.MetricStep, saga.Purchase.StepOf(activity.GetInfo(ctx).ActivityType.Name)),
		attribute.String(saga.MetricMode, string(saga.Orchestration)), attribute.String(saga.MetricOutcome, outcome)))
	return out, err
}
