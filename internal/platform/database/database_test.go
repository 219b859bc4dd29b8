package database

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestKindOfAndRedact(t *testing.T) {
	for _, c := range []struct {
		dsn, redacted string
		kind          Kind
	}{
		{".data/order.db", ".data/order.db", SQLite},
		{"sqlite:/var/lib/saga/order.db", "sqlite:/var/lib/saga/order.db", SQLite},
		{"postgres://saga:s3cret@db:5432/orders?sslmode=disable", "postgres://saga:xxxxx@db:5432/orders?sslmode=disable", Postgres},
		{"postgresql://saga@db/orders?password=s3cret", "postgresql://saga@db/orders?password=xxxxx", Postgres},
		{"host=db user=saga password=s3cret dbname=orders", "host=db user=saga password=xxxxx dbname=orders", Postgres},
	} {
		if got := KindOf(c.dsn); got != c.kind {
			t.Errorf("KindOf(%q) = %s, want %s", c.dsn, got, c.kind)
		}
		got := Redact(c.dsn)
		if got != c.redacted || strings.Contains(got, "s3cret") {
			t.Errorf("Redact(%q) = %q, want %q", c.dsn, got, c.redacted)
		}
	}
}

func TestOpenRefusesWhatItCannotOpen(t *testing.T) {
	ctx := context.Background()
	if _, err := Open(ctx, ""); err == nil {
		t.Error("an empty DSN opened")
	}
	// Nothing listens on port 1: the error names the database, not the password.
	_, err := Open(ctx, "postgres://saga:s3cret@127.0.0.1:1/orders?sslmode=disable&connect_timeout=2")
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("open of an unreachable PostgreSQL: %v", err)
	}
	db, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "nested", "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := Ping(ctx, db); err != nil {
		t.Fatal(err)
	}
	_ = Close(db)
}

// A statement slower than the threshold is logged at warn with its SQL,
// placeholders rather than the customer's values; a failed one is left to
// its caller, and a fast one is not logged.
func TestSlowQueriesAreLoggedWithoutTheirValues(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "slow.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer Close(db)
	type account struct {
		ID      string `gorm:"primaryKey"`
		Balance int64
	}
	if err := db.AutoMigrate(&account{}); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))

	LogSlowQueries(db, log, time.Hour)
	db.Create(&account{ID: "fast", Balance: 1})
	if logs.Len() != 0 {
		t.Fatalf("a fast statement was logged: %s", logs.String())
	}

	LogSlowQueries(db, log, time.Nanosecond)
	db.Create(&account{ID: "alice-secret", Balance: 4242})
	line := logs.String()
	if !strings.Contains(line, "level=WARN") || !strings.Contains(line, "INSERT INTO") || strings.Contains(line, "alice-secret") || strings.Contains(line, "4242") {
		t.Fatalf("slow statement logged as %q: want a warning with its SQL and without its values", line)
	}
	logs.Reset()
	if err := db.Exec("SELECT * FROM no_such_table").Error; err == nil {
		t.Fatal("the failing statement did not fail")
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("a failed statement was logged by gorm: %s", logs.String())
	}
}
