package starter

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"

	"github.com/sagaforge/saga/messaging/events"
	"github.com/sagaforge/saga/saga/purchase"
	"github.com/sagaforge/saga/services/order/orderapi"
	"github.com/spf13/cobra"
)

// newStatusCmd is the status command.
func newStatusCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{Use: "status ORDER_ID", Short: "show a purchase's status, in either mode", Args: orderIDArg}
	cmd.ValidArgsFunction = completeOrderIDs(env)
	out := addOutput(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		id := args[0]
		format, err := out.Format()
		if err != nil {
			return err
		}
		// A choreographed order has no workflow: the order service and the
		// events tell its story. Anything else is asked of Temporal.
		orders := env.Services.Clients(nil).Orders
		if o, err := retry(ctx, func() (orderapi.OrderResponse, error) { return orders.Get(ctx, id) }); err == nil && o.Mode == events.Choreography {
			rep, err := choreographyReport(ctx, o, strings.Split(env.Brokers, ","))
			if err != nil {
				return err
			}
			return printReport(env, rep, format)
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
		rep := Report{OrderID: id, Mode: "orchestration", WorkflowID: wid, RunID: runID, UIURL: env.Temporal.WorkflowURL(wid, runID),
			Status: "RUNNING", Steps: []string{}, Compensations: []string{}}
		if info.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			if err := outcome(ctx, c.GetWorkflow(ctx, wid, runID), &rep); err != nil {
				return err
			}
			return printReport(env, rep, format)
		}
		// Running: ask the saga itself where it is. A saga retrying a step
		// holds its workflow task, and the query waits for it; then the
		// history's word (running) is all there is to say.
		queryCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		var st purchase.State
		resp, err := c.QueryWorkflow(queryCtx, wid, runID, purchase.QueryState)
		if err == nil {
			err = resp.Get(&st)
		}
		if err != nil {
			rep.CurrentStep = "busy retrying a step (see the Web UI)"
			return printReport(env, rep, format)
		}
		rep.Status, rep.CurrentStep, rep.Reason = string(st.Status), st.CurrentStep, st.Reason
		rep.Steps, rep.Compensations = st.Steps, st.Compensations
		return printReport(env, rep, format)
	}
	return cmd
}
