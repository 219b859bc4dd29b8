package database

import (
	"context"
	"fmt"
	"sync"
	"time"

	"gorm.io/gorm"
)

// Syncer makes the transactions committed so far durable, for those who
// must not act on a change that a power loss could still take back: a
// consumer before it commits its offsets, the outbox relay before it
// publishes.
//
// SQLite runs synchronous=NORMAL: a commit returns before its WAL frames
// reach the disk, and one fsync per commit would cost every request. A
// Sync commits one small write with synchronous=FULL instead, which syncs
// the WAL file, and with it every frame committed before. Syncs are
// shared: a caller whose commits a sync begun after its call already
// covers waits for that one. PostgreSQL commits durably already
// (synchronous_commit=on), so there Sync does nothing.
type Syncer struct {
	db     *gorm.DB // the writer
	sqlite bool
	mu     sync.Mutex
	ready  bool
	last   time.Time // when the last sync that succeeded began
}

// NewSyncer returns the Syncer of db, the writer of the database dsn names.
func NewSyncer(db *gorm.DB, dsn string) *Syncer {
	return &Syncer{db: db, sqlite: KindOf(dsn) == SQLite}
}

// Sync returns once every transaction committed before the call is on
// disk.
func (s *Syncer) Sync(ctx context.Context) error {
	if s == nil || !s.sqlite {
		return nil
	}
	asked := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last.After(asked) {
		return nil // a sync begun since the call covers it
	}
	began := time.Now()
	err := s.db.WithContext(ctx).Connection(func(tx *gorm.DB) error {
		if !s.ready {
			if err := tx.Exec("CREATE TABLE IF NOT EXISTS durable_marks (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)").Error; err != nil {
				return err
			}
			s.ready = true
		}
		if err := tx.Exec("PRAGMA synchronous=FULL").Error; err != nil {
			return err
		}
		// Back to NORMAL even when ctx ends: the writer is shared.
		defer tx.WithContext(context.WithoutCancel(ctx)).Exec("PRAGMA synchronous=NORMAL")
		return tx.Exec("INSERT INTO durable_marks (id, n) VALUES (1, 1) ON CONFLICT(id) DO UPDATE SET n = n + 1").Error
	})
	if err != nil {
		return fmt.Errorf("sync the database: %w", err)
	}
	s.last = began
	return nil
}
