package purchases_test

import (
	"context"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/internal/services/order/orderapi"
	"github.com/sagaforge/saga/workers/purchases"
)

// visibility is Temporal as the list asks it: ListWorkflow answers what
// answer gives, or hangs until the caller gives up when answer is nil.
// Nothing else of the client is called.
type visibility struct {
	client.Client
	answer func(query string) *workflowservice.ListWorkflowExecutionsResponse
}

func (v visibility) ListWorkflow(ctx context.Context, req *workflowservice.ListWorkflowExecutionsRequest) (*workflowservice.ListWorkflowExecutionsResponse, error) {
	if v.answer == nil {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return v.answer(req.GetQuery()), nil
}

// sagaRecord is a purchase saga's visibility record.
func sagaRecord(t *testing.T, orderID string, status saga.Status, exec enumspb.WorkflowExecutionStatus) *workflowpb.WorkflowExecutionInfo {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(string(status))
	if err != nil {
		t.Fatal(err)
	}
	return &workflowpb.WorkflowExecutionInfo{Execution: &commonpb.WorkflowExecution{WorkflowId: saga.WorkflowID(orderID), RunId: "run-" + orderID},
		Status: exec, SearchAttributes: &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{saga.SearchSagaStatus: p}}}
}

func createOrder(t *testing.T, orders orderapi.Client, id string, mode saga.Mode) {
	t.Helper()
	if _, err := orders.Create(context.Background(), orderapi.CreateOrderRequest{OrderID: id, CustomerID: "alice", Mode: mode,
		Items: []input.Item{{SKU: "SKU-1", Quantity: 1}}}); err != nil {
		t.Fatal(err)
	}
}

// The list is the order service's orders of both modes, newest first, with
// each orchestrated one's saga as Temporal's visibility store tells it: a
// pending order whose saga compensates is COMPENSATING, and RUNNING lists
// only the sagas that are not.
func TestListMergesOrdersWithTheirSagas(t *testing.T) {
	svc := choreographed(t)
	createOrder(t, svc.Orders, "l-orch-running", saga.Orchestration)
	createOrder(t, svc.Orders, "l-chor", saga.Choreography)
	createOrder(t, svc.Orders, "l-orch-undoing", saga.Orchestration)
	var asked string
	svc.Temporal = visibility{answer: func(q string) *workflowservice.ListWorkflowExecutionsResponse {
		asked = q
		return &workflowservice.ListWorkflowExecutionsResponse{Executions: []*workflowpb.WorkflowExecutionInfo{
			sagaRecord(t, "l-orch-running", saga.Running, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING),
			sagaRecord(t, "l-orch-undoing", saga.Compensating, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING),
		}}
	}}
	page, err := svc.List(context.Background(), purchases.ListQuery{})
	if err != nil || page.Partial != "" {
		t.Fatalf("list: %+v, %v", page, err)
	}
	var got []string
	for _, r := range page.Purchases {
		got = append(got, r.OrderID+" "+string(r.Mode)+" "+string(r.Status)+" "+r.RunID)
	}
	want := "l-orch-undoing orchestration COMPENSATING run-l-orch-undoing|l-chor choreography RUNNING |l-orch-running orchestration RUNNING run-l-orch-running"
	if strings.Join(got, "|") != want {
		t.Errorf("list:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.ReplaceAll(want, "|", "\n"))
	}
	if !strings.Contains(asked, "WorkflowId IN ('purchase-l-orch-undoing', 'purchase-l-orch-running')") {
		t.Errorf("visibility asked %q, want the page's orchestrated sagas by ID", asked)
	}
	running, err := svc.List(context.Background(), purchases.ListQuery{Status: saga.Running})
	if err != nil || len(running.Purchases) != 2 || running.Purchases[0].OrderID != "l-chor" {
		t.Errorf("status RUNNING: %+v, %v; want l-chor and l-orch-running", running.Purchases, err)
	}
}

// When Temporal's visibility store does not answer within the list's
// budget, the page comes anyway, with the orchestrated purchases' statuses
// from their orders, and says it is partial.
func TestListAnswersWithoutASlowVisibilityStore(t *testing.T) {
	svc := choreographed(t)
	createOrder(t, svc.Orders, "s-orch", saga.Orchestration)
	createOrder(t, svc.Orders, "s-chor", saga.Choreography)
	svc.Temporal = visibility{} // hangs
	page, err := svc.List(context.Background(), purchases.ListQuery{})
	if err != nil || len(page.Purchases) != 2 || !strings.Contains(page.Partial, "did not answer within") {
		t.Fatalf("list with visibility hung: %+v, %v", page, err)
	}
	if r := page.Purchases[1]; r.OrderID != "s-orch" || r.Status != saga.Running || r.WorkflowID != saga.WorkflowID("s-orch") {
		t.Errorf("the orchestrated purchase without its saga's record: %+v", r)
	}
}

// A history's activity is drawn as the step or compensation the saga's
// table says it performs, with its class and service.
func TestSpansAreNamedByTheSagasTable(t *testing.T) {
	for activity, want := range map[string]purchases.Span{
		saga.CreateOrder.Name:   {Name: "create", Kind: purchases.KindStep, Class: saga.Compensatable, Service: "order"},
		saga.ChargePayment.Name: {Name: "charge", Kind: purchases.KindStep, Class: saga.Compensatable, Service: "payment"},
		saga.ShipStock.Name:     {Name: "ship", Kind: purchases.KindStep, Class: saga.Retriable, Service: "inventory"},
		saga.ReleaseStock.Name:  {Name: "release", Kind: purchases.KindCompensation, Service: "inventory"},
		saga.OrderStatus.Name:   {Name: "approve (asked)", Kind: purchases.KindStep, Class: saga.Pivot, Service: "order"},
		"Unknown":               {Name: "Unknown", Kind: purchases.KindStep},
	} {
		if got := purchases.SpanOf(activity); got != want {
			t.Errorf("%s: %+v, want %+v", activity, got, want)
		}
	}
}
