package stack

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	// The services' gorm driver; the dev server itself uses modernc's.
	_ "github.com/mattn/go-sqlite3"
)

// The dev server's SQLite visibility table carries an index for every
// column a list query may filter on: 45, for 22 pre-allocated custom search
// attribute columns, a dozen system ones, the history metrics, parent and
// root IDs. Each visibility write (a saga's close record, and its start
// record when the saga outlives the visibility queue's half-second poll)
// updates all of them on the one connection the whole server shares, and
// orchestrated sagas queue for that connection (docs/bench/tuning.md).
//
// An index changes how fast a query is answered, never what it answers.
// The lean set keeps the Web UI's and this project's lists fast and leaves
// the rest to a walk of the default order or a table scan.
//   - kept: the default order (close time, start time) and the filters the
//     Web UI offers: execution time, workflow ID, workflow type, status;
//   - made partial: the pre-allocated custom columns (Keyword01, Int02...).
//     Only those mapped to a search attribute hold values, and only rows
//     with a value get an entry; a filter on one (SagaStatus = 'x') implies
//     IS NOT NULL, so SQLite still answers it from the index. Which slot a
//     search attribute gets is the server's choice, made at random;
//   - dropped: the rest. The full-text tables (Text and KeywordList
//     attributes, such as TemporalChangeVersion) are left as they are.
var (
	leanKept         = map[string]bool{"execution_time": true, "workflow_id": true, "workflow_type_name": true, "status": true}
	preallocatedSlot = regexp.MustCompile(`^(Bool|Datetime|Double|Int|Keyword)[0-9]{2}$`)
)

// LeanVisibility trims the dev server's visibility indexes in the SQLite
// file dbFile, as above, and reports how many it dropped and made partial.
// A second call finds nothing to do. It runs while the server serves, in one
// IMMEDIATE transaction that waits for the server's writes; the server waits
// for it in turn (busy_timeout, see TemporalArgs) and prepares its
// statements again on the new schema.
func LeanVisibility(ctx context.Context, dbFile string) (dropped, partial int, err error) {
	q := url.Values{}
	q.Set("mode", "rw") // the server made the file; never create one
	q.Set("_busy_timeout", "10000")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite3", "file:"+dbFile+"?"+q.Encode())
	if err != nil {
		return 0, 0, fmt.Errorf("open %s: %w", dbFile, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("lean visibility indexes: %w", err)
	}
	defer tx.Rollback()
	indexes, err := visibilityIndexes(ctx, tx)
	if err != nil {
		return 0, 0, err
	}
	for _, ix := range indexes {
		if ix.column == "" || leanKept[ix.column] || ix.partial {
			continue
		}
		if _, err := tx.ExecContext(ctx, "DROP INDEX "+ix.name); err != nil {
			return 0, 0, fmt.Errorf("drop index %s: %w", ix.name, err)
		}
		if !preallocatedSlot.MatchString(ix.column) {
			dropped++
			continue
		}
		if _, err := tx.ExecContext(ctx, ix.sql+" WHERE "+ix.column+" IS NOT NULL"); err != nil {
			return 0, 0, fmt.Errorf("make index %s partial: %w", ix.name, err)
		}
		partial++
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, fmt.Errorf("lean visibility indexes: %w", err)
	}
	return dropped, partial, nil
}

// visibilityIndex is one index on executions_visibility: column is what it
// sorts by after the namespace, empty when that is an expression (the
// default order by close time).
type visibilityIndex struct {
	name, sql, column string
	partial           bool
}

func visibilityIndexes(ctx context.Context, tx *sql.Tx) ([]visibilityIndex, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name, sql FROM sqlite_master
		WHERE type = 'index' AND tbl_name = 'executions_visibility' AND sql IS NOT NULL ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list visibility indexes: %w", err)
	}
	var out []visibilityIndex
	for rows.Next() {
		var ix visibilityIndex
		if err := rows.Scan(&ix.name, &ix.sql); err != nil {
			rows.Close()
			return nil, err
		}
		ix.partial = strings.Contains(strings.ToUpper(ix.sql), " WHERE ")
		out = append(out, ix)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		cols, err := indexColumns(ctx, tx, out[i].name)
		if err != nil {
			return nil, err
		}
		if len(cols) > 1 && cols[0] == "namespace_id" {
			out[i].column = cols[1]
		}
	}
	return out, nil
}

// indexColumns names an index's key columns in order, "" for an expression.
func indexColumns(ctx context.Context, tx *sql.Tx, index string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, "SELECT name, key FROM pragma_index_xinfo(?) ORDER BY seqno", index)
	if err != nil {
		return nil, fmt.Errorf("columns of index %s: %w", index, err)
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var name sql.NullString
		var key bool
		if err := rows.Scan(&name, &key); err != nil {
			return nil, err
		}
		if key {
			cols = append(cols, name.String)
		}
	}
	return cols, rows.Err()
}
