// Command order runs the order service (see package order).
package main

import (
	"context"
	"log/slog"

	"gorm.io/gorm"

	"github.com/sagaforge/saga/launch"
	"github.com/sagaforge/saga/order"
	"github.com/sagaforge/saga/outbox"
)

func main() {
	launch.Main(launch.Service{
		Name:        "order",
		DefaultAddr: "127.0.0.1:8081",
		Build: func(ctx context.Context, db *gorm.DB, ob *outbox.Outbox, log *slog.Logger, token string) (launch.Parts, error) {
			store := order.NewStore(db, ob)
			if err := store.Migrate(ctx); err != nil {
				return launch.Parts{}, err
			}
			return launch.Parts{Handler: order.NewHandler(store, log, token), Subscriptions: order.Subscriptions(store)}, nil
		},
	})
}
