package inventory

import "github.com/sagaforge/saga/internal/services/launch"

// Service is the inventory service as launch runs it (cmd/inventory).
var Service = launch.Service[*Store]{
	Name: "inventory", DefaultAddr: "127.0.0.1:8082",
	Models:   []any{&Stock{}, &Reservation{}, &ReservationLine{}},
	Seed:     seed,
	NewStore: NewStore, Routes: Routes, Subscriptions: Subscriptions,
}
