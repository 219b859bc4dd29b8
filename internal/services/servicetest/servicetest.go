// Package servicetest runs one service for its tests as launch would: its
// store migrated on a fresh database of the engine under test (dbtest), its
// HTTP API on a test server, and its outbox to read the events it wrote.
package servicetest

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sagaforge/saga/internal/messaging/outbox"
	"github.com/sagaforge/saga/internal/platform/database"
	"github.com/sagaforge/saga/internal/platform/database/dbtest"
	"github.com/sagaforge/saga/internal/platform/web/webtest"
	"github.com/sagaforge/saga/internal/services/launch"
)

// Fixture is a service under test, with a client C of its API.
type Fixture[S, C any] struct {
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
func Start[S, C any](t testing.TB, svc launch.Service[S], newClient func(string, *http.Client, string) C) Fixture[S, C] {
	t.Helper()
	return Fixture[S, C]{svc: svc, newClient: newClient, DSN: dbtest.DSN(t, svc.Name)}.Restart(t)
}

// Starter is Start for one service and client, as a test file's
// newFixture.
func Starter[S, C any](svc launch.Service[S], newClient func(string, *http.Client, string) C) func(testing.TB) Fixture[S, C] {
	return func(t testing.TB) Fixture[S, C] {
		t.Helper()
		return Start(t, svc, newClient)
	}
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
	reads, err := database.OpenReads(ctx, db, f.DSN)
	if err != nil {
		t.Fatal(err)
	}
	if reads != db {
		t.Cleanup(func() { _ = database.Close(reads) })
	}
	f.Outbox = outbox.New(db, reads)
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

// Bench times op, given a new order ID ("b-N") on each iteration.
func Bench(b *testing.B, op func(ctx context.Context, orderID string) error) {
	b.Helper()
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		if err := op(ctx, fmt.Sprintf("b-%d", i)); err != nil {
			b.Fatal(err)
		}
	}
}

// Fuzz describes a fuzz target over a service's mutating endpoints.
type Fuzz struct {
	Collection string   // the create's path, e.g. "/payments"
	Actions    []string // the actions on one order, e.g. "refund"
	// Recorded is the code of the refusal the service records, with its
	// event (e.g. "insufficient-funds"); any other refusal writes none.
	Recorded string
	Seeds    []string // bodies to start from
	// Check asserts the service's own invariant after each request.
	Check func(t *testing.T, ctx context.Context)
}

// Fuzz posts arbitrary bodies to the endpoints fz names, on arbitrary order
// IDs: every answer must be a success or a 4xx problem, and a refusal
// writes no event but a recorded refusal's own (webtest.Mutation); then
// fz.Check must hold.
func (f Fixture[S, C]) Fuzz(target *testing.F, fz Fuzz) {
	webtest.FuzzSeed(target, uint8(1+len(fz.Actions)), fz.Seeds...)
	target.Fuzz(func(t *testing.T, op uint8, id, body string) {
		path := webtest.FuzzPath(op, fz.Collection, id, fz.Actions...)
		webtest.Mutation(t, f.URL+path, body, func() int { return len(f.Events(t)) }, fz.Recorded)
		fz.Check(t, context.Background())
	})
}
