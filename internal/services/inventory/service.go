package inventory

import (
	"embed"

	"github.com/sagaforge/saga/internal/services/launch"
)

// Service is the inventory service as launch runs it (cmd/inventory).
var Service = launch.Service[*Store]{
	Name: "inventory", Migrations: migrations, DefaultAddr: "127.0.0.1:8082",
	Models:   []any{&Stock{}, &Reservation{}, &ReservationLine{}},
	Seed:     seed,
	NewStore: NewStore, Routes: Routes, Subscriptions: Subscriptions,
}

// migrations are the service's schema, one folder per engine
// (database.Migrations).
//
//go:embed migrations
var migrations embed.FS
