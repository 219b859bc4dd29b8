package database

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"time"
)

// Syncer makes the transactions committed so far durable, for those who
// must not act as if a change were kept that a power loss could still take
// back: a consumer before it commits the offsets of the events whose
// effects they are.
//
// SQLite runs synchronous=NORMAL in WAL mode: a commit has written its
// frames to the WAL file when it returns, but not synced them, so that a
// request does not wait for an fsync of its own. A Sync fdatasyncs the
// WAL file, which makes every frame written so far durable, from outside
// SQLite: it takes no lock, so the one writer goes on meanwhile. (SQLite
// syncs the database file itself at each checkpoint, before it reuses the
// WAL.) Syncs are shared: a caller whose commits a sync begun after its
// call already covers waits for that one. PostgreSQL commits durably
// already (synchronous_commit=on), so there Sync does nothing.
type Syncer struct {
	wal  string // the SQLite WAL file; "" for PostgreSQL
	mu   sync.Mutex
	last time.Time // when the last sync that succeeded began
}

// NewSyncer returns the Syncer of the database dsn names.
func NewSyncer(dsn string) *Syncer {
	if KindOf(dsn) != SQLite {
		return &Syncer{}
	}
	return &Syncer{wal: strings.TrimPrefix(dsn, "sqlite:") + "-wal"}
}

// Sync returns once every transaction committed before the call is on
// disk.
func (s *Syncer) Sync(ctx context.Context) error {
	if s == nil || s.wal == "" {
		return nil
	}
	asked := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last.After(asked) {
		return nil // a sync begun since the call covers it
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	began := time.Now()
	f, err := os.Open(s.wal)
	if errors.Is(err, fs.ErrNotExist) {
		s.last = began
		return nil // no WAL: nothing committed since the last checkpoint closed it
	}
	if err != nil {
		return fmt.Errorf("sync the database: %w", err)
	}
	defer f.Close()
	if err := datasync(f); err != nil {
		return fmt.Errorf("sync the database's WAL: %w", err)
	}
	s.last = began
	return nil
}
