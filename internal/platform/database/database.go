// Package database opens a service's own database through gorm: a SQLite
// file (the default, one process on one machine) or PostgreSQL (several
// replicas of a service sharing one database).
//
// SQLite is tuned for one writer: WAL, a busy timeout, synchronous=NORMAL
// and IMMEDIATE transactions so two writers queue instead of failing on lock
// upgrade. PostgreSQL gets a pool; the stores take row locks (FOR UPDATE,
// which the SQLite dialect leaves out) so concurrent transactions of one
// order serialise there too.
package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"

	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/platform/keyset"
	"github.com/sagaforge/saga/internal/platform/telemetry"
)

// Kind is the database engine a DSN names.
type Kind string

const (
	SQLite   Kind = "sqlite"
	Postgres Kind = "postgres"
)

// KindOf tells which engine dsn names: a postgres:// or postgresql:// URL
// (or a libpq "host=... dbname=..." string) is PostgreSQL; anything else is
// a SQLite file path, optionally written sqlite:PATH.
func KindOf(dsn string) Kind {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"),
		strings.Contains(dsn, "host=") && strings.Contains(dsn, "dbname="):
		return Postgres
	default:
		return SQLite
	}
}

// Open opens the database dsn names, creating a SQLite file (and its
// folder) if needed. A PostgreSQL database must exist; the stores create
// their tables.
func Open(ctx context.Context, dsn string) (*gorm.DB, error) {
	if dsn == "" {
		return nil, errors.New("open database: empty DSN")
	}
	if KindOf(dsn) == Postgres {
		return openPostgres(ctx, dsn)
	}
	return openSQLite(ctx, strings.TrimPrefix(dsn, "sqlite:"))
}

func config() *gorm.Config {
	return &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		// Statements are cached by the drivers, per connection, instead of
		// by gorm: gorm's PrepareStmt prepares a statement first seen in a
		// transaction on that transaction, and database/sql then prepares
		// it again in every later one (go-gorm/gorm#4644, golang/go#28130).
		// go-sqlite3 keeps
		// _stmt_cache_size statements; pgx caches by default.
		PrepareStmt: false,
		// gorm.ErrDuplicatedKey for either engine's unique violation: two
		// transactions that both found a row absent and both inserted it.
		TranslateError: true,
		// Microseconds: what PostgreSQL keeps, so a repeat read back from
		// either engine equals the first answer.
		NowFunc: func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
	}
}

// OpenReads opens a pool for reads outside transactions beside db, the
// database dsn names. SQLite in WAL mode lets readers run while its one
// writer writes, but db has one connection for both: a status read, the
// relay's look for rows to publish or a metric's count waited for the
// writer. So SQLite gets a few read-only connections of its own; PostgreSQL
// already has a pool, and gets db back. Call it after Open (which made the
// file WAL) and close what it returns unless it is db.
func OpenReads(ctx context.Context, db *gorm.DB, dsn string) (*gorm.DB, error) {
	if KindOf(dsn) == Postgres {
		return db, nil
	}
	path := strings.TrimPrefix(dsn, "sqlite:")
	q := url.Values{}
	q.Set("mode", "ro")
	q.Set("_busy_timeout", "10000")
	q.Set("_stmt_cache_size", "64")
	return open(ctx, sqlite.Open("file:"+path+"?"+q.Encode()), path+" for reads", func(pool *sql.DB) {
		pool.SetMaxOpenConns(4)
		pool.SetMaxIdleConns(4)
	})
}

func openSQLite(ctx context.Context, path string) (*gorm.DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create database dir: %w", err)
		}
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "NORMAL")
	q.Set("_busy_timeout", "10000")
	q.Set("_txlock", "immediate")
	q.Set("_foreign_keys", "on")
	q.Set("_stmt_cache_size", "64")
	// SQLite has one writer; a single connection serialises writes in the
	// process instead of making them spin on the file lock.
	return open(ctx, sqlite.Open("file:"+path+"?"+q.Encode()), path, func(pool *sql.DB) {
		pool.SetMaxOpenConns(1)
		pool.SetConnMaxLifetime(0)
	})
}

func openPostgres(ctx context.Context, dsn string) (*gorm.DB, error) {
	// A handful of connections per replica: the work per request is a few
	// short statements, and PostgreSQL pays a process per connection.
	return open(ctx, postgres.Open(dsn), Redact(dsn), func(pool *sql.DB) {
		pool.SetMaxOpenConns(16)
		pool.SetMaxIdleConns(16)
		pool.SetConnMaxIdleTime(5 * time.Minute)
	})
}

// open opens the database d dials with the project's gorm configuration,
// sizes its connection pool and checks that it answers; what names it in
// errors.
func open(ctx context.Context, d gorm.Dialector, what string, size func(*sql.DB)) (*gorm.DB, error) {
	db, err := gorm.Open(d, config())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", what, err)
	}
	pool, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", what, err)
	}
	size(pool)
	if err := pool.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("open %s: %w", what, err)
	}
	return db, nil
}

// Redact returns dsn fit for a log line: a URL's password is replaced, and
// a libpq string's password=... value too.
func Redact(dsn string) string {
	if KindOf(dsn) != Postgres {
		return dsn
	}
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		q := u.Query()
		if q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	fields := strings.Fields(dsn)
	for i, f := range fields {
		if strings.HasPrefix(f, "password=") {
			fields[i] = "password=xxxxx"
		}
	}
	return strings.Join(fields, " ")
}

// Close releases the database handle.
func Close(db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Ping checks the database answers.
func Ping(ctx context.Context, db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// ForUpdate makes tx's next read lock the rows it returns until the
// transaction ends, so two transactions on one order take turns instead of
// both acting on what they read. SQLite, with one writer, needs no row
// locks, and its dialect leaves the clause out.
func ForUpdate(tx *gorm.DB) *gorm.DB {
	return tx.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate})
}

// Take loads the one row of T that query matches. No row is
// fault.ErrNotFound, its message naming what was looked for; any other
// failure is wrapped with it.
func Take[T any](tx *gorm.DB, what string, query string, args ...any) (T, error) {
	var v T
	err := tx.Take(&v, append([]any{query}, args...)...).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return v, fmt.Errorf("%w: %s", fault.ErrNotFound, what)
	}
	if err != nil {
		return v, fmt.Errorf("load %s: %w", what, err)
	}
	return v, nil
}

// Known loads the row a request names, such as its customer: no row is the
// request's fault, fault.ErrInvalid "unknown <what>".
func Known[T any](tx *gorm.DB, what string, query string, args ...any) (T, error) {
	v, err := Take[T](tx, what, query, args...)
	if errors.Is(err, fault.ErrNotFound) {
		return v, fmt.Errorf("%w: unknown %s", fault.ErrInvalid, what)
	}
	return v, err
}

// List loads every row of T that q selects; a failure names what.
func List[T any](q *gorm.DB, what string) ([]T, error) {
	var out []T
	if err := q.Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list %s: %w", what, err)
	}
	return out, nil
}

// Page narrows q to one keyset page over its key column: the rows after
// p.After, in key order, at most p.Limit of them.
func Page(q *gorm.DB, key string, p keyset.Page) *gorm.DB {
	return q.Where(key+" > ?", p.After).Order(key).Limit(p.Limit)
}

// Lines loads each row's Lines association with it, in SKU order: an order's
// or a reservation's lines.
func Lines(tx *gorm.DB) *gorm.DB {
	return tx.Preload("Lines", func(db *gorm.DB) *gorm.DB { return db.Order("sku") })
}

// Exclusive runs fn in a transaction that, on PostgreSQL, holds the
// advisory lock named name until it ends: replicas that start together on
// one database migrate one after the other instead of racing to create the
// same table. On SQLite, whose file one process owns, fn just runs.
func Exclusive(ctx context.Context, db *gorm.DB, name string, fn func(tx *gorm.DB) error) error {
	if db.Dialector.Name() != "postgres" {
		return fn(db.WithContext(ctx))
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SELECT pg_advisory_xact_lock(hashtext(?))", name).Error; err != nil {
			return fmt.Errorf("lock %s: %w", name, err)
		}
		return fn(tx)
	})
}

// Seed inserts each slice of rows in one transaction, leaving the rows whose
// key is already there as they are: a restart, or a second replica, seeds
// nothing twice.
func Seed(ctx context.Context, db *gorm.DB, rows ...any) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, r := range rows {
			if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(r).Error; err != nil {
				return fmt.Errorf("seed %T: %w", r, err)
			}
		}
		return nil
	})
}

// Observe reports the connection pool of db on the process's metrics, as
// OpenTelemetry's database conventions name it: connections in use and
// idle, the most allowed, and the waits for one.
func Observe(db *gorm.DB, name string) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	meter := telemetry.Meter("platform/database")
	pool := attribute.String("db.client.connection.pool.name", name)
	count, errCount := meter.Int64ObservableUpDownCounter("db.client.connection.count", metric.WithUnit("{connection}"),
		metric.WithDescription("Connections in the pool, by state (used, idle)."))
	most, errMost := meter.Int64ObservableUpDownCounter("db.client.connection.max", metric.WithUnit("{connection}"),
		metric.WithDescription("The most connections the pool opens."))
	waits, errWaits := meter.Int64ObservableCounter("db.client.connection.waits", metric.WithUnit("{wait}"),
		metric.WithDescription("Times a caller waited for a free connection."))
	waited, errWaited := meter.Float64ObservableCounter("db.client.connection.wait_time", metric.WithUnit("s"),
		metric.WithDescription("Time callers spent waiting for a free connection."))
	if err := errors.Join(errCount, errMost, errWaits, errWaited); err != nil {
		return err
	}
	_, err = meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		st := sqlDB.Stats()
		o.ObserveInt64(count, int64(st.InUse), metric.WithAttributes(pool, attribute.String("db.client.connection.state", "used")))
		o.ObserveInt64(count, int64(st.Idle), metric.WithAttributes(pool, attribute.String("db.client.connection.state", "idle")))
		o.ObserveInt64(most, int64(st.MaxOpenConnections), metric.WithAttributes(pool))
		o.ObserveInt64(waits, st.WaitCount, metric.WithAttributes(pool))
		o.ObserveFloat64(waited, st.WaitDuration.Seconds(), metric.WithAttributes(pool))
		return nil
	}, count, most, waits, waited)
	return err
}

// LogSlowQueries has db log, through gorm's slog logger at warn, every
// statement that takes longer than threshold, with its SQL (placeholders,
// not values) and duration; 0 logs none. Failed statements are left to
// their callers, which know whether one was expected (an insert that lost
// a race is retried) and say so with the order it concerns.
func LogSlowQueries(db *gorm.DB, log *slog.Logger, threshold time.Duration) {
	if threshold <= 0 {
		return
	}
	db.Logger = slowQueries{logger.NewSlogLogger(log, logger.Config{
		SlowThreshold: threshold, LogLevel: logger.Warn, ParameterizedQueries: true, IgnoreRecordNotFoundError: true})}
}

// slowQueries is gorm's slog logger without its reports of errors.
type slowQueries struct{ logger.Interface }

func (s slowQueries) LogMode(level logger.LogLevel) logger.Interface {
	return slowQueries{s.Interface.LogMode(level)}
}

func (s slowQueries) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), _ error) {
	s.Interface.Trace(ctx, begin, fc, nil)
}

// ParamsFilter keeps the values out of the logged SQL.
func (s slowQueries) ParamsFilter(ctx context.Context, sql string, params ...any) (string, []any) {
	return s.Interface.(gorm.ParamsFilter).ParamsFilter(ctx, sql, params...)
}
