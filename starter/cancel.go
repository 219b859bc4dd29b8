package starter

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/sagaforge/saga/messaging/events"
	"github.com/sagaforge/saga/platform/fault"
	"github.com/sagaforge/saga/saga/purchase"
	"github.com/sagaforge/saga/services/order/orderapi"
	"github.com/spf13/cobra"
)

// newCancelCmd is the cancel command: it asks a purchase in flight to stop and undo what it did, and
// waits for the compensations. An orchestrated saga is asked through its
// cancel update; a choreographed one through the order service, whose
// OrderCancelled makes inventory and payment compensate. After approval
// both refuse.
func newCancelCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{Use: "cancel ORDER_ID", Short: "cancel a purchase in flight, in either mode", Args: orderIDArg}
	cmd.ValidArgsFunction = completeOrderIDs(env)
	f := cmd.Flags()
	reason := f.String("reason", "", "why the customer cancels (shown in the order's reason)")
	out := addOutput(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		id := args[0]
		format, err := out.Format()
		if err != nil {
			return err
		}
		if len(*reason) > 200 {
			return usagef("--reason holds at most 200 characters")
		}
		orders := env.Services.Clients(nil).Orders
		if o, err := retry(ctx, func() (orderapi.OrderResponse, error) { return orders.Get(ctx, id) }); err == nil && o.Mode == events.Choreography {
			return cancelChoreographed(ctx, env, orders, o, *reason, strings.Split(env.Brokers, ","), format)
		}
		c, err := dial(ctx, env)
		if err != nil {
			return err
		}
		defer c.Close()
		wid := purchase.WorkflowID(id)
		handle, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID: wid, UpdateName: purchase.UpdateCancel,
			Args: []any{purchase.CancelRequest{Reason: *reason}}, WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		var notFound *serviceerror.NotFound
		switch {
		case errors.As(err, &notFound):
			// The saga has ended (or never was): say which.
			var res purchase.Result
			if gerr := c.GetWorkflow(ctx, wid, "").Get(ctx, &res); gerr == nil {
				return verdictf("order %s is already %s and can no longer be cancelled", id, res.Status)
			}
			return fmt.Errorf("no running purchase saga for order %s", id)
		case err != nil:
			return fmt.Errorf("cancel refused: %w", err)
		}
		var res purchase.Result
		if err := handle.Get(ctx, &res); err != nil {
			return fmt.Errorf("cancel refused: %w", err)
		}
		rep := Report{OrderID: id, Mode: "orchestration", WorkflowID: wid, UIURL: env.Temporal.WorkflowURL(wid, ""),
			Status: string(res.Status), Reason: res.Reason, TotalCents: res.TotalCents, Steps: res.Steps, Compensations: res.Compensations}
		return printReport(env, rep, format)
	}
	return cmd
}

// cancelChoreographed cancels a choreographed order at the order service
// and reports once the compensations its OrderCancelled set off are in.
func cancelChoreographed(ctx context.Context, env *Env, orders orderapi.Client, o orderapi.OrderResponse, why string, brokers []string, format string) error {
	if o.Status != orderapi.StatusPending {
		return verdictf("order %s is already %s and can no longer be cancelled", o.OrderID, o.Status)
	}
	full := "cancelled by the customer"
	if why != "" {
		full += ": " + why
	}
	id := o.OrderID
	o, err := retry(ctx, func() (orderapi.OrderResponse, error) {
		return orders.Cancel(ctx, id, orderapi.CancelOrderRequest{Reason: full})
	})
	if errors.Is(err, fault.ErrIllegalTransition) {
		return fmt.Errorf("cancel refused: order %s was approved meanwhile", id)
	}
	if err != nil {
		return fmt.Errorf("cancel refused: %w", err)
	}
	rep, err := choreographyReport(ctx, o, brokers)
	if err != nil {
		return err
	}
	return printReport(env, rep, format)
}
