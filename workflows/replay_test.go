package workflows

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/sagaforge/saga/internal/saga"
)

// replay replays the history recorded in file against w.
func replay(file string, w Purchase) error {
	replayer := worker.NewWorkflowReplayer()
	replayer.RegisterWorkflowWithOptions(w.Run, workflow.RegisterOptions{Name: saga.WorkflowType})
	return replayer.ReplayWorkflowHistoryFromJSONFile(nil, file)
}

func histories(t *testing.T, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded histories at %s (%v); run make histories", pattern, err)
	}
	return files
}

// TestReplayRecordedHistories replays every history recorded from real runs
// on the dev server (make histories) against today's workflow code: any
// change that would break a running saga fails here first. testdata/v0 was
// recorded before the search attributes were added, v1 before the
// retriable steps after the pivot (see GetVersion in saga.go); both must
// keep replaying. v2 takes the ship step; v3 also a cancel that meets an
// order approved before it (the fenced abort, reading the total back); v4
// the compensations' local first try; v5 one marker for them all.
func TestReplayRecordedHistories(t *testing.T) {
	for _, file := range histories(t, "testdata/*/*.json") {
		t.Run(strings.TrimPrefix(file, "testdata/"), func(t *testing.T) {
			if err := replay(file, Purchase{Policy: DefaultPolicy()}); err != nil {
				t.Fatalf("replay %s: %v", file, err)
			}
		})
	}
}

// TestUnguardedChangeIsCaughtAsNonDeterminism replays the histories recorded
// before the search attributes were added against the same change without
// its workflow.GetVersion guard: the replayer must refuse every one, which is
// what a running saga would hit after such a deploy.
func TestUnguardedChangeIsCaughtAsNonDeterminism(t *testing.T) {
	for _, file := range histories(t, "testdata/v0/*.json") {
		err := replay(file, Purchase{Policy: DefaultPolicy(), skipVersionGuard: true})
		// TMPRL1100 is the SDK's code for a non-deterministic replay.
		if err == nil || !(strings.Contains(err.Error(), "TMPRL1100") || strings.Contains(strings.ToLower(err.Error()), "nondetermin")) {
			t.Errorf("%s replayed against the unguarded change: %v; want a non-determinism error", file, err)
		}
	}
}

// TestRecordedHistoriesTakeEveryVersionedPath checks that every path
// guarded by workflow.GetVersion is in some recorded history, so that the
// replay test above would catch a non-deterministic change on it.
func TestRecordedHistoriesTakeEveryVersionedPath(t *testing.T) {
	taken := map[string]bool{}
	for _, file := range histories(t, "testdata/*/*.json") {
		for _, id := range versionMarkers(t, file) {
			taken[id] = true
		}
	}
	for _, id := range []string{currentVersion, searchAttributesVersion, pivotVersion, retriableVersion, fenceVersion, totalVersion, localUndoVersion} {
		if !taken[id] {
			t.Errorf("no recorded history takes the path of version marker %q: record one (make histories)", id)
		}
	}
}

// versionMarkers returns the change IDs of the version markers in file.
func versionMarkers(t *testing.T, file string) []string {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var h struct {
		Events []struct {
			Attrs *struct {
				MarkerName string `json:"markerName"`
				Details    map[string]struct {
					Payloads []struct {
						Data []byte `json:"data"` // base64 in the file
					} `json:"payloads"`
				} `json:"details"`
			} `json:"markerRecordedEventAttributes"`
		} `json:"events"`
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var ids []string
	for _, e := range h.Events {
		if e.Attrs == nil || e.Attrs.MarkerName != "Version" {
			continue
		}
		for _, p := range e.Attrs.Details["change-id"].Payloads {
			var id string
			if err := json.Unmarshal(p.Data, &id); err != nil {
				t.Fatalf("%s: a version marker's change ID: %v", file, err)
			}
			ids = append(ids, id)
		}
	}
	return ids
}
