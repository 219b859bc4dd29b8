package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sagaforge/saga/internal/platform/database/dbtest"
	"github.com/sagaforge/saga/lab/chaos"
	"github.com/sagaforge/saga/lab/stack"
)

// The real binaries on PostgreSQL: purchases of every outcome in both modes,
// with a few kills and faults, end as they must and the audit holds. make
// test runs it in its PostgreSQL pass (SAGA_TEST_POSTGRES).
func TestBothModesOnPostgreSQL(t *testing.T) {
	if dbtest.Engine() != "postgres" {
		t.Skip("needs SAGA_TEST_POSTGRES (make test's PostgreSQL pass)")
	}
	dbs := map[string]string{}
	for _, name := range []string{"order", "inventory", "payment"} {
		dbs[name] = dbtest.DSN(t, name)
	}
	s, logs := startStackWithEnv(t, func(cfg *stack.Config) { cfg.Databases = dbs }, "SAGA_FAULTS=*=0.05")
	if got := strings.Count(logs.String(), "engine=postgres"); got != 3 {
		t.Fatalf("%d services on PostgreSQL, want 3", got)
	}
	rep, err := chaos.Run(context.Background(), s, chaos.Config{
		Purchases: 30, Concurrency: 4, KillEvery: 2 * time.Second, Down: 300 * time.Millisecond,
		MaxKills: 3, Settle: 2 * time.Minute, Progress: logWriter{t},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantPassed(t, rep, "on PostgreSQL the saga broke")
}
