package order

import (
	"context"
	"embed"
	"sync"

	"github.com/sagaforge/saga/internal/messaging/kafkaio"
	"github.com/sagaforge/saga/internal/services/launch"
)

// Service is the order service as launch runs it (cmd/order).
var Service = launch.Service[*Store]{
	Name: "order", Migrations: migrations, DefaultAddr: "127.0.0.1:8081",
	Models:   []any{&Order{}, &Line{}, &Product{}, &Customer{}},
	Seed:     func(string) []any { return []any{&SeedCustomers, &SeedProducts} },
	NewStore: NewStore, Routes: Routes, Subscriptions: Subscriptions,
	LongestWait: MaxWait,
	// The deadline sweeper cancels choreographed sagas that make no
	// progress, once the consumers have read what came before.
	Background: func(ctx context.Context, store *Store, d launch.Deps) {
		var listener sync.WaitGroup
		listener.Go(func() { store.ListenSettled(ctx, d.DSN, d.Log) })
		store.RunDeadline(ctx, d.Log, d.SagaDeadline, kafkaio.NewWatermark(d.Brokers, d.Groups).Mark)
		listener.Wait()
	},
}

// migrations are the service's schema, one folder per engine
// (database.Migrations).
//
//go:embed migrations
var migrations embed.FS
