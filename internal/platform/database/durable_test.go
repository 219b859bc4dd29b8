package database

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
)

// A sync commits one write with synchronous=FULL on the writer and leaves
// the writer at NORMAL; calls made together share syncs, and each returns
// only after one that began after it was made.
func TestSyncWritesFullAndLeavesTheWriterAtNormal(t *testing.T) {
	ctx := context.Background()
	dsn := filepath.Join(t.TempDir(), "svc.db")
	db, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer Close(db)
	s := NewSyncer(db, dsn)
	marks := func() (n int) {
		t.Helper()
		if err := db.Raw("SELECT n FROM durable_marks WHERE id = 1").Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if n := marks(); n != 2 {
		t.Fatalf("two syncs one after the other wrote %d marks, want 2", n)
	}
	var level int
	if err := db.Raw("PRAGMA synchronous").Scan(&level).Error; err != nil || level != 1 {
		t.Fatalf("writer at synchronous=%d (%v) after a sync, want 1 (NORMAL)", level, err)
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
	if n := marks() - 2; n < 1 || n > 20 {
		t.Fatalf("20 syncs at once wrote %d marks, want 1 to 20", n)
	}
	if err := (*Syncer)(nil).Sync(ctx); err != nil {
		t.Fatalf("no syncer: %v", err)
	}
}
