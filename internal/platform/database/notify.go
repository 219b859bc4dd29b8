package database

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"github.com/sagaforge/saga/internal/platform/process"
)

// Notify sends payload on a PostgreSQL channel as part of tx: listeners
// (Listen) get it once tx commits, and never if it rolls back. Replicas of
// a service share a database, and a change one of them commits wakes the
// waiters of all. On SQLite, where a database has one process, it does
// nothing.
func Notify(tx *gorm.DB, channel, payload string) error {
	if tx.Dialector.Name() != "postgres" {
		return nil
	}
	if err := tx.Exec("SELECT pg_notify(?, ?)", channel, payload).Error; err != nil {
		return fmt.Errorf("notify %s: %w", channel, err)
	}
	return nil
}

// Listen calls on with the payload of each notification on channel, on a
// connection of its own to dsn, until ctx ends; it connects again after a
// failure. Each time it starts listening it calls on with an empty
// payload: a notification sent while it was not connected is lost, and
// callers keep a slower check of their own as the safety net. On SQLite it
// returns at once.
func Listen(ctx context.Context, dsn, channel string, log *slog.Logger, on func(payload string)) {
	if KindOf(dsn) != Postgres {
		return
	}
	backoff := process.Backoff{First: 100 * time.Millisecond, Max: 5 * time.Second}
	listening := func(payload string) {
		if payload == "" {
			backoff.Reset() // connected: the next failure starts the backoff over
		}
		on(payload)
	}
	for ctx.Err() == nil {
		err := listen(ctx, dsn, channel, listening)
		if ctx.Err() != nil {
			return
		}
		log.Warn("listening for notifications failed; connecting again", "channel", channel, "err", err)
		if !process.Sleep(ctx, backoff.Next()) {
			return
		}
	}
}

func listen(ctx context.Context, dsn, channel string, on func(string)) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return err
	}
	on("")
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		on(n.Payload)
	}
}
