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

// Fixture is a service under test.
type Fixture[S launch.Store] struct {
	Store  S
	Outbox *outbox.Outbox
	URL    string       // the API's base URL
	HTTP   *http.Client // a client for URL
	DSN    string       // the database, to open it again as a restart would
}

// Start runs svc on a new, empty database.
func Start[S launch.Store](t testing.TB, svc launch.Service[S]) Fixture[S] {
	t.Helper()
	return StartOn(t, svc, dbtest.DSN(t, svc.Name))
}

// StartOn runs svc on the database at dsn, closed when t ends.
func StartOn[S launch.Store](t testing.TB, svc launch.Service[S], dsn string) Fixture[S] {
	t.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = database.Close(db) })
	ob := outbox.New(db)
	store, parts, err := svc.Build(ctx, launch.Deps{DB: db, Outbox: ob, Log: slog.New(slog.DiscardHandler), Seed: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(parts.Handler)
	t.Cleanup(srv.Close)
	return Fixture[S]{Store: store, Outbox: ob, URL: srv.URL, HTTP: srv.Client(), DSN: dsn}
}

// Events lists the outbox's events in publication order, each as
// "ORDER_ID:Type".
func (f Fixture[S]) Events(t testing.TB) []string {
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
func (f Fixture[S]) WantEvents(t testing.TB, want ...string) {
	t.Helper()
	if got := f.Events(t); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("outbox events\n got %v\nwant %v", got, want)
	}
}
