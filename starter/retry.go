package starter

import (
	"context"
	"errors"
	"time"

	"github.com/sagaforge/saga/platform/process"
	"github.com/sagaforge/saga/platform/web"
)

// retry calls fn until it succeeds, fails for good, or has failed ten times
// in a row (about 5.5 s: waits double from 50 ms up to 1 s). The starter's
// calls are reads or keyed by order ID, so a repeat is safe; a refusal is
// final. Ten, not six: under the 30% fault injection of the tests, six
// straight failures of one of the audit's five reads happened (0.3^6 per
// call), and the audit is exactly what must still answer then.
func retry[T any](ctx context.Context, fn func() (T, error)) (T, error) {
	wait := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		v, err := fn()
		var p *web.Problem
		if err == nil || (errors.As(err, &p) && !p.Retryable()) || attempt == retryAttempts || !process.Sleep(ctx, wait) {
			return v, err
		}
		wait = min(wait*2, time.Second)
	}
}

const retryAttempts = 10
