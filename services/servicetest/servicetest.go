// Package servicetest runs one service for its tests as launch would: its
// store migrated on a fresh database of the engine under test (dbtest), its
// HTTP API on a test server, and its outbox to read the events it wrote.
package servicetest

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sagaforge/saga/messaging/outbox"
	"github.com/sagaforge/saga/platform/database"
	"github.com/sagaforge/saga/platform/database/dbtest"
	"github.com/sagaforge/saga/services/launch"
)

// Fixture is a service under test, with a client C of its API.
type Fixture[S launch.Store, C any] struct {
	Store  S
	Outbox *outbox.Outbox
	Client C
	URL    string       // the API's base URL
	HTTP   *http.Client // a client for URL
	DSN    string       // the database

	svc       launch.Service[S]
	newClient func(baseURL string, httpClient *http.Client, token string) C
}

// Start runs svc on a new, empty database; newClient is its API package's
// NewClient.
func Start[S launch.Store, C any](t testing.TB, svc launch.Service[S], newClient func(string, *http.Client, string) C) Fixture[S, C] {
	t.Helper()
	return Fixture[S, C]{svc: svc, newClient: newClient, DSN: dbtest.DSN(t, svc.Name)}.Restart(t)
}

// Restart runs the service again on the same database, as a restarted
// process would; the database is closed when t ends.
func (f Fixture[S, C]) Restart(t testing.TB) Fixture[S, C] {
	t.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, f.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = database.Close(db) })
	f.Outbox = outbox.New(db)
	store, parts, err := f.svc.Build(ctx, launch.Deps{DB: db, Outbox: f.Outbox, Log: slog.New(slog.DiscardHandler), Seed: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(parts.Handler)
	t.Cleanup(srv.Close)
	f.Store, f.URL, f.HTTP = store, srv.URL, srv.Client()
	f.Client = f.newClient(f.URL, f.HTTP, "")
	return f
}

// Events lists the outbox's events in publication order, each as
// "ORDER_ID:Type".
func (f Fixture[S, C]) Events(t testing.TB) []string {
	t.Helper()
	rows, err := f.Outbox.Messages(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	types := make([]string, len(rows))
	for i, r := range rows {
		types[i] = r.Key + ":" + r.Type
	}
	return types
}

// WantEvents fails t unless the outbox holds exactly want, in order.
func (f Fixture[S, C]) WantEvents(t testing.TB, want ...string) {
	t.Helper()
	if got := f.Events(t); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("outbox events\n got %v\nwant %v", got, want)
	}
}
