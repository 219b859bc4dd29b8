package starter

import (
	"context"
	"errors"
	"time"

	"github.com/sagaforge/saga/internal/platform/process"
	"github.com/sagaforge/saga/internal/platform/web"
)

// retry calls fn until it succeeds, fails for good, or has failed ten times
// in a row (a few seconds: waits double from 50 ms up to 1 s, with jitter,
// or as long as the service's Retry-After asks, up to 5 s). The starter's
// calls are reads or keyed by order ID, so a repeat is safe; a refusal is
// final. Ten, not six: under the 30% fault injection of the tests, six
// straight failures of one of the audit's five reads happened (0.3^6 per
// call), and the audit is exactly what must still answer then.
func retry[T any](ctx context.Context, fn func() (T, error)) (T, error) {
	backoff := process.Backoff{First: 50 * time.Millisecond, Max: time.Second}
	for attempt := 1; ; attempt++ {
		v, err := fn()
		var p *web.Problem
		isProblem := errors.As(err, &p)
		if err == nil || (isProblem && !p.Retryable()) || attempt == retryAttempts {
			return v, err
		}
		wait := backoff.Next()
		if isProblem {
			wait = max(wait, min(p.RetryAfter, 5*time.Second))
		}
		if !process.Sleep(ctx, wait) {
			return v, err
		}
	}
}

const retryAttempts = 10
