// Command order runs the order service (see package order).
package main

import (
	"context"

	"github.com/sagaforge/saga/services/launch"
	"github.com/sagaforge/saga/services/order"
)

func main() {
	launch.Main(launch.Service{
		Name:        "order",
		DefaultAddr: "127.0.0.1:8081",
		Build: func(ctx context.Context, d launch.Deps) (launch.Parts, error) {
			store := order.NewStore(d.DB, d.Outbox)
			if err := store.Migrate(ctx, d.Seed); err != nil {
				return launch.Parts{}, err
			}
			subs, err := order.Subscriptions(store)
			if err != nil {
				return launch.Parts{}, err
			}
			return launch.Parts{Handler: order.NewHandler(store, d.Log, d.Token), Subscriptions: subs,
				Background: []func(context.Context){func(ctx context.Context) { store.RunDeadline(ctx, d.Log, d.SagaDeadline) }}}, nil
		},
	})
}
