package database

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
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
