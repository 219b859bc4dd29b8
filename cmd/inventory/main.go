// Command inventory runs the inventory service (see package inventory).
package main

import (
	"context"
	"log/slog"

	"gorm.io/gorm"

	"github.com/sagaforge/saga/inventory"
	"github.com/sagaforge/saga/launch"
	"github.com/sagaforge/saga/outbox"
)

func main() {
	launch.Main(launch.Service{
		Name:        "inventory",
		DefaultAddr: "127.0.0.1:8082",
		Build: func(ctx context.Context, db *gorm.DB, ob *outbox.Outbox, log *slog.Logger, token string) (launch.Parts, error) {
			store := inventory.NewStore(db, ob)
			if err := store.Migrate(ctx); err != nil {
				return launch.Parts{}, err
			}
			return launch.Parts{Handler: inventory.NewHandler(store, log, token), Subscriptions: inventory.Subscriptions(store)}, nil
		},
	})
}
