// Package dbtest gives tests a fresh database of the engine under test: a
// SQLite file in the test's temp dir, or, when SAGA_TEST_POSTGRES names a
// PostgreSQL server, a new database on it that is dropped afterwards. make
// test runs the database packages once each way.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"github.com/sagaforge/saga/internal/platform/database"
)

// PostgresEnv names the variable that selects PostgreSQL: a URL of a role
// that may create databases, e.g.
// postgres://saga@127.0.0.1:5432/postgres?sslmode=disable.
const PostgresEnv = "SAGA_TEST_POSTGRES"

// Engine is the engine the tests of this run use: "sqlite" or "postgres".
func Engine() string {
	if os.Getenv(PostgresEnv) != "" {
		return "postgres"
	}
	return "sqlite"
}

// Open opens a new, empty database for t (see DSN), closed when t ends.
func Open(t testing.TB, name string) *gorm.DB {
	t.Helper()
	db, err := database.Open(context.Background(), DSN(t, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = database.Close(db) })
	return db
}

// DSN returns the DSN of a new, empty database for t, named after name.
// Opening the DSN twice (a restarted service) reaches the same database.
func DSN(t testing.TB, name string) string {
	t.Helper()
	admin := os.Getenv(PostgresEnv)
	if admin == "" {
		return filepath.Join(t.TempDir(), name+".db")
	}
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s=%q: want a postgres:// URL", PostgresEnv, admin)
	}
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	db := fmt.Sprintf("test_%s_%s", name, hex.EncodeToString(suffix))
	exec(t, admin, "CREATE DATABASE "+pgx.Identifier{db}.Sanitize())
	t.Cleanup(func() {
		// FORCE ends the connections a failed test may have left open.
		exec(t, admin, "DROP DATABASE IF EXISTS "+pgx.Identifier{db}.Sanitize()+" WITH (FORCE)")
	})
	u.Path = "/" + db
	return u.String()
}

func exec(t testing.TB, dsn, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to the test PostgreSQL (%s): %v", PostgresEnv, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// Race makes n calls of call at once and fails t with each error: retries
// of one order's call arriving together (a timed-out call and its retry,
// two replicas), which PostgreSQL runs as parallel transactions.
func Race(t testing.TB, n int, call func() error) {
	t.Helper()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if err := call(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}
