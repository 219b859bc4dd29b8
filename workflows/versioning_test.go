package workflows

import (
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/sagaforge/saga/saga/purchase"
)

// TestUnguardedChangeIsCaughtAsNonDeterminism replays the histories recorded
// before the search attributes were added against the same change without
// its workflow.GetVersion guard: the replayer must refuse every one, which is
// what a running saga would hit after such a deploy.
func TestUnguardedChangeIsCaughtAsNonDeterminism(t *testing.T) {
	files, err := filepath.Glob("testdata/v0/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no v0 histories: %v", err)
	}
	for _, file := range files {
		replayer := worker.NewWorkflowReplayer()
		replayer.RegisterWorkflowWithOptions(Purchase{Policy: DefaultPolicy(), skipVersionGuard: true}.Run,
			workflow.RegisterOptions{Name: purchase.WorkflowType})
		err := replayer.ReplayWorkflowHistoryFromJSONFile(nil, file)
		// TMPRL1100 is the SDK's code for a non-deterministic replay.
		if err == nil || !(strings.Contains(err.Error(), "TMPRL1100") || strings.Contains(strings.ToLower(err.Error()), "nondetermin")) {
			t.Errorf("%s replayed against the unguarded change: %v; want a non-determinism error", file, err)
		}
	}
}
