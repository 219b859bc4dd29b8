package order

import (
	"context"
	"sync"

	"github.com/sagaforge/saga/internal/services/launch"
)

// Service is the order service as launch runs it (cmd/order).
var Service = launch.Service[*Store]{
	Name: "order", DefaultAddr: "127.0.0.1:8081",
	Models:   []any{&Order{}, &Line{}, &Product{}, &Customer{}},
	Seed:     func(string) []any { return []any{&SeedCustomers, &SeedProducts} },
	NewStore: NewStore, Routes: Routes, Subscriptions: Subscriptions,
	LongestWait: MaxWait,
	// The deadline sweeper cancels choreographed sagas stuck PENDING.
	Background: func(ctx context.Context, store *Store, d launch.Deps) {
		var listener sync.WaitGroup
		listener.Go(func() { store.ListenSettled(ctx, d.DSN, d.Log) })
		store.RunDeadline(ctx, d.Log, d.SagaDeadline)
		listener.Wait()
	},
}
