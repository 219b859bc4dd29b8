package bench

import (
	"context"
	"errors"

	"go.temporal.io/sdk/temporal"

	"github.com/sagaforge/saga/activities"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/internal/services/endpoints"
)

// Direct is the limit baseline: saga.Purchase's steps, through the same
// activities the worker runs, called in sequence from the caller,
// compensating inline on a refusal, with no durability at all. A crash
// half-way leaves the databases disagreeing; that is what the other modes
// pay for.
func Direct(c endpoints.Clients) (Purchaser, error) {
	impls, err := saga.Implementations(activities.New(c))
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, in saga.Input) (string, error) {
		exec := func(activity string, in, out any) error { return saga.Invoke(ctx, impls[activity], in, out) }
		f := saga.Facts{Input: in}
		var done []*saga.Undo
		for _, st := range saga.Purchase.Steps {
			err := st.Call.Run(&f, exec)
			var refusal *temporal.ApplicationError
			switch {
			case err == nil:
				if st.Undo != nil {
					done = append(done, st.Undo)
				}
				continue
			case st.Class == saga.Retriable || !errors.As(err, &refusal) || !refusal.NonRetryable():
				return "", err
			}
			f.Reason = refusal.Message()
			for i := len(done) - 1; i >= 0; i-- {
				if err := done[i].Call.Run(&f, exec); err != nil {
					return "", err
				}
			}
			return string(saga.Cancelled), nil
		}
		return string(saga.Approved), nil
	}, nil
}
