package payment

import (
	"embed"

	"github.com/sagaforge/saga/internal/services/launch"
)

// Service is the payment service as launch runs it (cmd/payment).
var Service = launch.Service[*Store]{
	Name: "payment", Migrations: migrations, DefaultAddr: "127.0.0.1:8083",
	Models:   []any{&Account{}, &Payment{}, &PendingCharge{}},
	Seed:     seed,
	NewStore: NewStore, Routes: Routes, Subscriptions: Subscriptions,
}

// migrations are the service's schema, one folder per engine
// (database.Migrations).
//
//go:embed migrations
var migrations embed.FS
