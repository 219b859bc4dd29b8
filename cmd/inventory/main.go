// Command inventory runs the inventory service (see package inventory).
package main

import (
	"context"

	"github.com/sagaforge/saga/services/inventory"
	"github.com/sagaforge/saga/services/launch"
)

func main() {
	launch.Main(launch.Service{
		Name:        "inventory",
		DefaultAddr: "127.0.0.1:8082",
		Build: func(ctx context.Context, d launch.Deps) (launch.Parts, error) {
			store := inventory.NewStore(d.DB, d.Outbox)
			if err := store.Migrate(ctx, d.Seed); err != nil {
				return launch.Parts{}, err
			}
			subs, err := inventory.Subscriptions(store)
			if err != nil {
				return launch.Parts{}, err
			}
			return launch.Parts{Handler: inventory.NewHandler(store, d.Log, d.Token), Subscriptions: subs}, nil
		},
	})
}
