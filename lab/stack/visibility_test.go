package stack

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// visibilityDB is a SQLite file with Temporal's visibility table and its 45
// indexes, and rows like a dev server's: sagas with four custom search
// attributes in the slots the server happened to map them to, and one
// workflow of another type without them.
func visibilityDB(t *testing.T) (string, *sql.DB) {
	t.Helper()
	schema, err := os.ReadFile("testdata/visibility-v1.29.1.sql")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "temporal.db")
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(string(schema)); err != nil {
		t.Fatal(err)
	}
	insert := `INSERT INTO executions_visibility (namespace_id, run_id, start_time, execution_time, workflow_id,
		workflow_type_name, status, close_time, history_length, encoding, task_queue, search_attributes)
		VALUES ('ns', ?, ?, ?, ?, ?, ?, ?, ?, 'proto3', ?, ?)`
	for i := range 40 {
		start := fmt.Sprintf("2026-11-26 10:00:%02d+00:00", i)
		status, saga, closed, length := 2, "APPROVED", any(start), any(14)
		switch {
		case i%10 == 3:
			saga = "CANCELLED"
		case i%10 == 7:
			status, saga, closed, length = 1, "RUNNING", nil, nil
		}
		attrs := fmt.Sprintf(`{"Keyword05":"alice","Keyword07":"ord-%02d","Keyword09":"%s","Int01":%d}`, i, saga, 1000*(i+1))
		if _, err := db.Exec(insert, fmt.Sprintf("run-%02d", i), start, start, "purchase-ord-"+fmt.Sprint(i),
			"Purchase", status, closed, length, "purchase-saga", attrs); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(insert, "run-other", "2026-11-26 11:00:00+00:00", "2026-11-26 11:00:00+00:00", "other",
		"Other", 1, nil, nil, "other-queue", "{}"); err != nil {
		t.Fatal(err)
	}
	return path, db
}

// The queries a list may make, each on a column whose index is kept,
// made partial or dropped.
var visibilityQueries = []string{
	`workflow_type_name = 'Purchase'`,
	`status = 1`,
	`workflow_id = 'purchase-ord-12'`,
	`Keyword09 = 'CANCELLED'`,
	`Keyword07 = 'ord-21'`,
	`Int01 >= 30000`,
	`Keyword09 IS NULL`,
	`history_length > 10`,
	`task_queue = 'other-queue'`,
	`Keyword01 = 'x'`,
}

func runIDs(t *testing.T, db *sql.DB, where string) []string {
	t.Helper()
	rows, err := db.Query(`SELECT run_id FROM executions_visibility WHERE namespace_id = 'ns' AND ` + where +
		` ORDER BY COALESCE(close_time, '9999-12-31 23:59:59+00:00') DESC, start_time DESC, run_id`)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func plan(t *testing.T, db *sql.DB, where string) string {
	t.Helper()
	rows, err := db.Query(`EXPLAIN QUERY PLAN SELECT run_id FROM executions_visibility WHERE namespace_id = 'ns' AND ` + where)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, detail)
	}
	return strings.Join(steps, "; ")
}

func TestLeanVisibilityKeepsEveryAnswer(t *testing.T) {
	path, db := visibilityDB(t)
	before := map[string][]string{}
	for _, q := range visibilityQueries {
		before[q] = runIDs(t, db, q)
	}

	dropped, partial, err := LeanVisibility(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if dropped != 18 || partial != 22 {
		t.Fatalf("dropped %d and made %d partial, want 18 and 22", dropped, partial)
	}
	for _, q := range visibilityQueries {
		if after := runIDs(t, db, q); !reflect.DeepEqual(after, before[q]) {
			t.Errorf("%s: %v before, %v after", q, before[q], after)
		}
	}
	if len(before[`Keyword09 = 'CANCELLED'`]) != 4 || len(before[`status = 1`]) != 5 {
		t.Fatalf("the rows are not what the test means: %v", before)
	}

	// The filters the Web UI offers, and the search attributes' own, are
	// still answered from an index.
	for where, index := range map[string]string{
		`workflow_type_name = 'Purchase'`: "by_workflow_type",
		`status = 1`:                      "by_status",
		`workflow_id = 'x'`:               "by_workflow_id",
		`execution_time > '2026-11-26'`:   "by_execution_time",
		`Keyword09 = 'CANCELLED'`:         "by_keyword_09",
		`Int01 >= 30000`:                  "by_int_01",
	} {
		if p := plan(t, db, where); !strings.Contains(p, "USING INDEX "+index+" ") && !strings.Contains(p, "USING COVERING INDEX "+index+" ") {
			t.Errorf("%s: plan %q, want index %s", where, p, index)
		}
	}

	// A row puts entries only in the slot indexes it has values for, and
	// no longer in the dropped ones.
	left := map[string]string{}
	rows, err := db.Query(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name, ddl string
		if err := rows.Scan(&name, &ddl); err != nil {
			t.Fatal(err)
		}
		left[name] = ddl
	}
	rows.Close()
	if len(left) != 27 || !strings.HasSuffix(left["by_keyword_01"], "WHERE Keyword01 IS NOT NULL") ||
		strings.Contains(left["by_status"], "WHERE") || left["by_task_queue"] != "" || left["by_history_length"] != "" {
		t.Fatalf("indexes left: %v", left)
	}

	if dropped, partial, err := LeanVisibility(context.Background(), path); err != nil || dropped+partial != 0 {
		t.Fatalf("second call: dropped %d, made %d partial, %v; want nothing to do", dropped, partial, err)
	}
}

func TestLeanVisibilityNeedsTheServersFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "temporal.db")
	if _, _, err := LeanVisibility(context.Background(), missing); err == nil {
		t.Fatal("no error for a missing file")
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Fatalf("a missing file was created: %v", err)
	}
}
