package database

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/pressly/goose/v3"
	"gorm.io/gorm"
)

// Migrations are one schema's versioned SQL migrations, read by goose: a
// folder per engine (migrations/sqlite, migrations/postgres) of files named
// VERSION_what.sql, each with its Up and Down, and the table that records
// which ran. A schema change is a new file, reviewed like code and
// reversible. FS is the package's embedded migrations folder as it is.
type Migrations struct {
	Name  string // for logs: "order", "outbox"
	FS    fs.FS  // holds migrations/sqlite and migrations/postgres
	Table string // the version table, one per schema in a database
}

// provider is m's goose provider on db, for db's engine.
func (m Migrations) provider(db *gorm.DB) (*goose.Provider, error) {
	dialect, dir := goose.DialectSQLite3, "migrations/sqlite"
	if db.Dialector.Name() == "postgres" {
		dialect, dir = goose.DialectPostgres, "migrations/postgres"
	}
	sub, err := fs.Sub(m.FS, dir)
	if err != nil {
		return nil, err
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	p, err := goose.NewProvider(dialect, sqlDB, sub, goose.WithTableName(m.Table), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return nil, fmt.Errorf("%s migrations: %w", m.Name, err)
	}
	return p, nil
}

// Migrate applies, in order, each set's migrations that have not run on
// db yet; a set that is up to date costs a read of its version table.
// Callers hold Exclusive's lock, so replicas starting together migrate
// once. goose runs on db's own connections, not the locked transaction.
func Migrate(ctx context.Context, db *gorm.DB, log *slog.Logger, sets ...Migrations) error {
	for _, m := range sets {
		p, err := m.provider(db)
		if err != nil {
			return err
		}
		results, err := p.Up(ctx)
		if err != nil {
			return fmt.Errorf("%s migrations: %w", m.Name, err)
		}
		for _, r := range results {
			log.InfoContext(ctx, "schema migrated", "schema", m.Name, "version", r.Source.Version, "file", r.Source.Path, "took", r.Duration)
		}
	}
	return nil
}

// MigrateDownTo reverts m's migrations above version (0: all of them),
// newest first.
func MigrateDownTo(ctx context.Context, db *gorm.DB, m Migrations, version int64) error {
	p, err := m.provider(db)
	if err != nil {
		return err
	}
	if _, err := p.DownTo(ctx, version); err != nil {
		return fmt.Errorf("%s migrations: %w", m.Name, err)
	}
	return nil
}

// SchemaVersion is the newest of m's migrations applied to db (0: none).
func SchemaVersion(ctx context.Context, db *gorm.DB, m Migrations) (int64, error) {
	p, err := m.provider(db)
	if err != nil {
		return 0, err
	}
	return p.GetDBVersion(ctx)
}
