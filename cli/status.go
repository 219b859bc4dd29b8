package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"

	"github.com/sagaforge/saga/orderid"
	"github.com/sagaforge/saga/purchase"
)

func runStatus(ctx context.Context, env *Env, args []string) error {
	fs := newFlags("status", env)
	asJSON := fs.Bool("json", false, "print one JSON object")
	positional, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(positional) != 1 {
		return usagef("want exactly one ORDER_ID, got %d arguments", len(positional))
	}
	id := positional[0]
	if err := orderid.Validate(id); err != nil {
		return usagef("%s", strings.TrimPrefix(err.Error(), "invalid request: "))
	}
	c, err := dial(ctx, env)
	if err != nil {
		return err
	}
	defer c.Close()
	wid := purchase.WorkflowID(id)
	desc, err := c.DescribeWorkflowExecution(ctx, wid, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return fmt.Errorf("no purchase saga for order %s", id)
	}
	if err != nil {
		return fmt.Errorf("describe %s: %w", wid, err)
	}
	info := desc.GetWorkflowExecutionInfo()
	runID := info.GetExecution().GetRunId()
	rep := Report{OrderID: id, WorkflowID: wid, RunID: runID, UIURL: env.Temporal.WorkflowURL(wid, runID),
		Status: "RUNNING", Steps: []string{}, Compensations: []string{}}
	if info.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		if err := outcome(ctx, c.GetWorkflow(ctx, wid, runID), &rep); err != nil {
			return err
		}
	}
	return printReport(env, rep, *asJSON)
}
