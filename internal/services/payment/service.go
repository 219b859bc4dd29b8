package payment

import "github.com/sagaforge/saga/internal/services/launch"

// Service is the payment service as launch runs it (cmd/payment).
var Service = launch.Service[*Store]{
	Name: "payment", DefaultAddr: "127.0.0.1:8083",
	Models:   []any{&Account{}, &Payment{}, &PendingCharge{}},
	Seed:     seed,
	NewStore: NewStore, Routes: Routes, Subscriptions: Subscriptions,
}
