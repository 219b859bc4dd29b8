package launch_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/sagaforge/saga/internal/messaging/outbox"
	"github.com/sagaforge/saga/internal/platform/database"
	"github.com/sagaforge/saga/internal/platform/database/dbtest"
	"github.com/sagaforge/saga/internal/services/inventory"
	"github.com/sagaforge/saga/internal/services/order"
	"github.com/sagaforge/saga/internal/services/payment"
)

// schema is what a service's database holds and how it is migrated.
type schema struct {
	name       string
	migrations database.Migrations
	models     []any
}

var schemas = []schema{
	{"order", order.Service.Schema(), order.Service.Models},
	{"inventory", inventory.Service.Schema(), inventory.Service.Models},
	{"payment", payment.Service.Schema(), payment.Service.Models},
}

// every model of s's database: the service's and the outbox's.
func (s schema) every() []any {
	return append(slices.Clone(s.models), &outbox.Message{}, &outbox.ProcessedEvent{})
}

func migrate(t *testing.T, db *gorm.DB, s schema) {
	t.Helper()
	if err := outbox.New(db, nil).Migrate(context.Background(), slog.New(slog.DiscardHandler), s.migrations, s.models...); err != nil {
		t.Fatal(err)
	}
}

// ddlLog keeps the schema changes gorm makes.
type ddlLog struct {
	logger.Interface
	changes *[]string
}

func (l ddlLog) LogMode(logger.LogLevel) logger.Interface { return l }
func (l ddlLog) Trace(_ context.Context, _ time.Time, fc func() (string, int64), _ error) {
	if stmt, _ := fc(); slices.ContainsFunc([]string{"CREATE", "ALTER", "DROP"}, func(p string) bool {
		return strings.HasPrefix(strings.ToUpper(strings.TrimSpace(stmt)), p)
	}) {
		*l.changes = append(*l.changes, stmt)
	}
}

// describe is db's schema: each table's columns (name, type, nullable)
// and indexes, sorted, without the version tables.
func describe(t *testing.T, db *gorm.DB) string {
	t.Helper()
	m := db.Migrator()
	tables, err := m.GetTables()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, table := range tables {
		if strings.HasSuffix(table, "schema_migrations") || strings.HasPrefix(table, "sqlite_") {
			continue
		}
		cols, err := m.ColumnTypes(table)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cols {
			null, _ := c.Nullable()
			out = append(out, fmt.Sprintf("%s.%s %s null=%v", table, c.Name(), strings.ToLower(c.DatabaseTypeName()), null))
		}
		idx, err := m.GetIndexes(table)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range idx {
			unique, _ := i.Unique()
			out = append(out, fmt.Sprintf("%s index %s %v unique=%v", table, i.Name(), i.Columns(), unique))
		}
	}
	slices.Sort(out)
	return strings.Join(out, "\n")
}

// From empty, each service's migrations make the schema its models map:
// gorm, asked afterwards, finds nothing to create or alter. A model
// changed without a migration fails here.
func TestMigrationsFromEmptyMakeTheModelsSchema(t *testing.T) {
	for _, s := range schemas {
		t.Run(s.name, func(t *testing.T) {
			db := dbtest.Open(t, s.name)
			migrate(t, db, s)
			for _, m := range []database.Migrations{outbox.Migrations, s.migrations} {
				if v, err := database.SchemaVersion(context.Background(), db, m); err != nil || v < 1 {
					t.Fatalf("%s at version %d (%v), want its newest", m.Name, v, err)
				}
			}
			var changes []string
			check := db.Session(&gorm.Session{Logger: ddlLog{db.Logger, &changes}})
			if err := check.AutoMigrate(s.every()...); err != nil {
				t.Fatal(err)
			}
			if len(changes) > 0 {
				t.Fatalf("on %s the models want what the migrations did not make:\n%s", dbtest.Engine(), strings.Join(changes, "\n"))
			}
		})
	}
}

// A database made before the schema was versioned (gorm's AutoMigrate,
// with rows in it) is taken over: recorded at the newest version, its rows
// kept, its schema the one a new database gets.
func TestMigrationsTakeOverADatabaseFromBefore(t *testing.T) {
	for _, s := range schemas {
		t.Run(s.name, func(t *testing.T) {
			ctx := context.Background()
			fresh := dbtest.Open(t, s.name+"-new")
			migrate(t, fresh, s)

			old := dbtest.Open(t, s.name+"-old")
			if err := old.AutoMigrate(s.every()...); err != nil {
				t.Fatal(err)
			}
			if err := old.Create(&outbox.ProcessedEvent{Consumer: "c", EventID: "e-1", ProcessedAt: time.Now()}).Error; err != nil {
				t.Fatal(err)
			}
			migrate(t, old, s)
			migrate(t, old, s) // a restart: nothing more to do
			if v, err := database.SchemaVersion(ctx, old, s.migrations); err != nil || v < 1 {
				t.Fatalf("taken over at version %d (%v)", v, err)
			}
			var kept int64
			if err := old.Model(&outbox.ProcessedEvent{}).Count(&kept).Error; err != nil || kept != 1 {
				t.Fatalf("rows after the takeover: %d (%v), want the 1 there was", kept, err)
			}
			if got, want := describe(t, old), describe(t, fresh); got != want {
				t.Fatalf("taken over:\n%s\n\nnew:\n%s", got, want)
			}
		})
	}
}

// Every migration has its Down: all the way down leaves no table of the
// service's, and up again rebuilds the same schema.
func TestMigrationsAreReversible(t *testing.T) {
	for _, s := range schemas {
		t.Run(s.name, func(t *testing.T) {
			ctx := context.Background()
			db := dbtest.Open(t, s.name)
			migrate(t, db, s)
			before := describe(t, db)
			for _, m := range []database.Migrations{s.migrations, outbox.Migrations} {
				if err := database.MigrateDownTo(ctx, db, m, 0); err != nil {
					t.Fatal(err)
				}
			}
			if left := describe(t, db); left != "" {
				t.Fatalf("after every Down:\n%s", left)
			}
			migrate(t, db, s)
			if after := describe(t, db); after != before {
				t.Fatalf("up, down and up again:\n%s\n\nfirst:\n%s", after, before)
			}
		})
	}
}
