// Command payment runs the payment service (see package payment).
package main

import (
	"context"

	"github.com/sagaforge/saga/services/launch"
	"github.com/sagaforge/saga/services/payment"
)

func main() {
	launch.Main(launch.Service{
		Name:        "payment",
		DefaultAddr: "127.0.0.1:8083",
		Build: func(ctx context.Context, d launch.Deps) (launch.Parts, error) {
			store := payment.NewStore(d.DB, d.Outbox)
			if err := store.Migrate(ctx, d.Seed); err != nil {
				return launch.Parts{}, err
			}
			subs, err := payment.Subscriptions(store)
			if err != nil {
				return launch.Parts{}, err
			}
			return launch.Parts{Handler: payment.NewHandler(store, d.Log, d.Token), Subscriptions: subs}, nil
		},
	})
}
