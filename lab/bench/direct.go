package bench

import (
	"context"

	"github.com/sagaforge/saga/activities"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/internal/services/endpoints"
	"github.com/sagaforge/saga/workers/purchases"
)

// Direct is the limit baseline run from this process: the purchase API's
// direct mode (purchases.Direct), the saga's steps called in sequence with
// no durability, over clients of its own.
func Direct(c endpoints.Clients) (Purchaser, error) {
	d, err := purchases.NewDirect(activities.New(c))
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, in saga.Input) (string, error) {
		rep, err := d.Run(ctx, in)
		return string(rep.Status), err
	}, nil
}
