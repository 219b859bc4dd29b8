package starter

import (
	"fmt"
	"strings"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"

	"github.com/sagaforge/saga/platform/money"
	"github.com/sagaforge/saga/saga/purchase"
	"github.com/spf13/cobra"
)

// newListCmd is the list command: it lists purchase sagas through Temporal's visibility API, newest
// first, filtered by the SagaStatus search attribute.
func newListCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{Use: "list", Short: "list orchestrated purchase sagas, newest first", Args: noArgs}
	f := cmd.Flags()
	status := f.String("status", "", "RUNNING, COMPENSATING, APPROVED, CANCELLED or FAILED")
	limit := f.Int("limit", 50, "at most this many")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		query := fmt.Sprintf("WorkflowType = '%s'", purchase.WorkflowType)
		switch s := purchase.SagaStatus(strings.ToUpper(*status)); s {
		case "":
		case purchase.SagaRunning, purchase.SagaCompensating, purchase.SagaApproved, purchase.SagaCancelled, purchase.SagaFailed:
			query += fmt.Sprintf(" AND %s = '%s'", purchase.SearchSagaStatus, s)
		default:
			return usagef("--status must be RUNNING, COMPENSATING, APPROVED, CANCELLED or FAILED, got %q", *status)
		}
		if *limit <= 0 || *limit > 1000 {
			return usagef("--limit must be from 1 to 1000")
		}
		c, err := dial(ctx, env)
		if err != nil {
			return err
		}
		defer c.Close()
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query, PageSize: int32(*limit)})
		if err != nil {
			return fmt.Errorf("list: %w", err)
		}
		w := env.Stdout
		fmt.Fprintf(w, "%-26s %-8s %10s  %-12s %s\n", "ORDER", "CUSTOMER", "TOTAL", "SAGA", "STARTED")
		dc := converter.GetDefaultDataConverter()
		for _, e := range resp.GetExecutions() {
			fields := e.GetSearchAttributes().GetIndexedFields()
			var orderID, customer, saga string
			var total int64
			_ = dc.FromPayload(fields[purchase.SearchOrderID], &orderID)
			_ = dc.FromPayload(fields[purchase.SearchCustomerID], &customer)
			_ = dc.FromPayload(fields[purchase.SearchSagaStatus], &saga)
			_ = dc.FromPayload(fields[purchase.SearchOrderTotal], &total)
			if orderID == "" {
				orderID = strings.TrimPrefix(e.GetExecution().GetWorkflowId(), "purchase-")
			}
			fmt.Fprintf(w, "%-26s %-8s %10s  %-12s %s\n", orderID, customer, money.Cents(total), saga, e.GetStartTime().AsTime().Local().Format("2006-01-02 15:04:05"))
		}
		return nil
	}
	return cmd
}
