package workflows_test

import (
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/sagaforge/saga/saga/purchase"
	"github.com/sagaforge/saga/workflows"
)

// TestReplayRecordedHistories replays every history recorded from real runs
// on the dev server (make histories) against today's workflow code: any
// change that would break a running saga fails here first. testdata/v0 was
// recorded before the search attributes were added (see GetVersion in
// purchase.go) and must keep replaying.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob("testdata/*/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded histories (%v); run make histories", err)
	}
	for _, file := range files {
		t.Run(strings.TrimPrefix(file, "testdata/"), func(t *testing.T) {
			replayer := worker.NewWorkflowReplayer()
			replayer.RegisterWorkflowWithOptions(workflows.Purchase{Policy: workflows.DefaultPolicy()}.Run,
				workflow.RegisterOptions{Name: purchase.WorkflowType})
			if err := replayer.ReplayWorkflowHistoryFromJSONFile(nil, file); err != nil {
				t.Fatalf("replay %s: %v", file, err)
			}
		})
	}
}
