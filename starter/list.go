package starter

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"

	"github.com/sagaforge/saga/internal/platform/money"
	"github.com/sagaforge/saga/internal/saga"
)

// ListRow is one saga of list -o json.
type ListRow struct {
	OrderID    string    `json:"order_id"`
	CustomerID string    `json:"customer_id"`
	TotalCents int64     `json:"total_cents"`
	SagaStatus string    `json:"saga_status"`
	WorkflowID string    `json:"workflow_id"`
	RunID      string    `json:"run_id"`
	StartedAt  time.Time `json:"started_at"`
}

// newListCmd is the list command: it lists purchase sagas through Temporal's visibility API, newest
// first, filtered by the SagaStatus search attribute.
func newListCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{Use: "list", Short: "list orchestrated purchase sagas, newest first", Args: noArgs,
		Example: "  starter list\n  starter list --status CANCELLED --limit 5 -o json"}
	f := cmd.Flags()
	status := f.String("status", "", "RUNNING, COMPENSATING, APPROVED, CANCELLED or FAILED")
	limit := f.Int("limit", 50, "at most this many")
	return WithOutput(cmd, func(ctx context.Context, args []string, format string) error {
		query := fmt.Sprintf("WorkflowType = '%s'", saga.WorkflowType)
		switch s := saga.Status(strings.ToUpper(*status)); s {
		case "":
		case saga.Running, saga.Compensating, saga.Approved, saga.Cancelled, saga.Failed:
			query += fmt.Sprintf(" AND %s = '%s'", saga.SearchSagaStatus, s)
		default:
			return Usagef("--status must be RUNNING, COMPENSATING, APPROVED, CANCELLED or FAILED, got %q", *status)
		}
		if *limit <= 0 || *limit > 1000 {
			return Usagef("--limit must be from 1 to 1000")
		}
		c, err := env.Dial(ctx)
		if err != nil {
			return err
		}
		defer c.Close()
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query, PageSize: int32(*limit)})
		if err != nil {
			return fmt.Errorf("list: %w", err)
		}
		dc := converter.GetDefaultDataConverter()
		rows := make([]ListRow, 0, len(resp.GetExecutions()))
		for _, e := range resp.GetExecutions() {
			fields := e.GetSearchAttributes().GetIndexedFields()
			row := ListRow{WorkflowID: e.GetExecution().GetWorkflowId(), RunID: e.GetExecution().GetRunId(), StartedAt: e.GetStartTime().AsTime()}
			_ = dc.FromPayload(fields[saga.SearchOrderID], &row.OrderID)
			_ = dc.FromPayload(fields[saga.SearchCustomerID], &row.CustomerID)
			_ = dc.FromPayload(fields[saga.SearchSagaStatus], &row.SagaStatus)
			_ = dc.FromPayload(fields[saga.SearchOrderTotal], &row.TotalCents)
			if row.OrderID == "" {
				row.OrderID = strings.TrimPrefix(row.WorkflowID, "purchase-")
			}
			rows = append(rows, row)
		}
		if machine(format) {
			return writeList(env.Stdout, format, rows)
		}
		w := env.Stdout
		fmt.Fprintf(w, "%-26s %-8s %10s  %-12s %s\n", "ORDER", "CUSTOMER", "TOTAL", "SAGA", "STARTED")
		for _, r := range rows {
			fmt.Fprintf(w, "%-26s %-8s %10s  %-12s %s\n", r.OrderID, r.CustomerID, money.Cents(r.TotalCents), r.SagaStatus, r.StartedAt.Local().Format(time.DateTime))
		}
		return nil
	})
}
