package database

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// A sync of a SQLite database fsyncs its WAL file, which holds the
// commits made at synchronous=NORMAL; calls made together share syncs and
// all succeed; a PostgreSQL database, which commits durably, and a
// database with no WAL yet need none.
func TestSyncFlushesTheWAL(t *testing.T) {
	ctx := context.Background()
	dsn := filepath.Join(t.TempDir(), "svc.db")
	s := NewSyncer(dsn)
	if err := s.Sync(ctx); err != nil {
		t.Fatalf("sync before the database exists: %v", err)
	}
	db, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer Close(db)
	if err := db.Exec("CREATE TABLE t (x INTEGER)").Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Exec("INSERT INTO t VALUES (1)").Error; err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(dsn + "-wal"); err != nil || st.Size() == 0 {
		t.Fatalf("no WAL beside %s after a commit (%v): the sync would sync nothing", dsn, err)
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if err := s.Sync(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := NewSyncer(dsn).Sync(cancelled); err == nil {
		t.Fatal("a sync asked under a cancelled context said it was done")
	}
	for _, none := range []*Syncer{nil, NewSyncer("postgres://saga@db/orders")} {
		if err := none.Sync(ctx); err != nil {
			t.Fatalf("no sync needed: %v", err)
		}
	}
}
