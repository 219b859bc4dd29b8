// Command payment runs the payment service (see package payment).
package main

import (
	"context"
	"log/slog"

	"gorm.io/gorm"

	"github.com/sagaforge/saga/launch"
	"github.com/sagaforge/saga/outbox"
	"github.com/sagaforge/saga/payment"
)

func main() {
	launch.Main(launch.Service{
		Name:        "payment",
		DefaultAddr: "127.0.0.1:8083",
		Build: func(ctx context.Context, db *gorm.DB, ob *outbox.Outbox, log *slog.Logger, token string) (launch.Parts, error) {
			store := payment.NewStore(db, ob)
			if err := store.Migrate(ctx); err != nil {
				return launch.Parts{}, err
			}
			return launch.Parts{Handler: payment.NewHandler(store, log, token), Subscriptions: payment.Subscriptions(store)}, nil
		},
	})
}
