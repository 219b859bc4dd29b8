package cli

import (
	"context"
	"errors"
	"time"

	"github.com/sagaforge/saga/problem"
	"github.com/sagaforge/saga/process"
)

// retry calls fn until it succeeds, fails for good, or has failed six times
// in a row (about 3 s). The starter's calls are reads or keyed by order ID,
// so a repeat is safe; a refusal is final.
func retry[T any](ctx context.Context, fn func() (T, error)) (T, error) {
	wait := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		v, err := fn()
		var p *problem.Problem
		if err == nil || (errors.As(err, &p) && !p.Retryable()) || attempt == 6 || !process.Sleep(ctx, wait) {
			return v, err
		}
		wait *= 2
	}
}
