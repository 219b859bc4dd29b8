package integration

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/sagaforge/saga/internal/platform/temporalx"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/internal/services/inventory/inventoryapi"
	"github.com/sagaforge/saga/internal/services/payment/paymentapi"
	"github.com/sagaforge/saga/lab/stack/stacktest"
	"github.com/sagaforge/saga/starter"
	"github.com/sagaforge/saga/workers/purchases"
)

func TestCancelInFlightQueryAndList(t *testing.T) {
	s, logs := startStackWithLogs(t)
	ctx := context.Background()
	c := clientsOf(s)
	approved := buy(t, s, "--customer", "alice", "--item", "SKU-1:1")

	// A saga stuck on its charge: payment is down.
	if err := s.Kill("payment"); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runStarter(t, s, "purchase", "--customer", "alice", "--item", "SKU-2:2", "--order-id", "cancel-me"); code != 0 {
		t.Fatalf("start: %s", stderr)
	}
	stacktest.WaitFor(t, 30*time.Second, "the saga to reserve stock", func() bool {
		r, err := c.stock.Reservation(ctx, "cancel-me")
		return err == nil && r.Status == inventoryapi.Reserved
	})

	// The customer cancels. The refund must wait for payment, so the saga
	// stays COMPENSATING, and says so.
	tc, err := temporalx.Dial(ctx, s.Temporal(), nil, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	if _, err := tc.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: saga.WorkflowID("cancel-me"),
		UpdateName: saga.UpdateCancel, Args: []any{saga.CancelRequest{Reason: "changed my mind"}},
		WaitForStage: client.WorkflowUpdateStageAccepted}); err != nil {
		t.Fatal(err)
	}
	var rep starter.Report
	stacktest.WaitFor(t, 30*time.Second, "status to report the refund in progress", func() bool {
		code, stdout, _ := runStarter(t, s, "status", "cancel-me", "--json")
		return code == 0 && json.Unmarshal([]byte(stdout), &rep) == nil &&
			rep.Status == saga.Compensating && rep.CurrentStep == "refund"
	})
	if rep.Reason != "cancelled by the customer: changed my mind" {
		t.Fatalf("reason while compensating: %q", rep.Reason)
	}
	// The charge never answered, so it is not done; the fenced abort
	// cancelled the order first.
	if strings.Join(rep.Steps, ",") != "create,reserve" || strings.Join(rep.Compensations, ",") != "cancel" {
		t.Fatalf("progress while compensating: steps %v, compensations %v", rep.Steps, rep.Compensations)
	}
	stacktest.WaitFor(t, 30*time.Second, "list --status COMPENSATING to show the saga", func() bool {
		_, stdout, _ := runStarter(t, s, "list", "--status", "COMPENSATING")
		return strings.Contains(stdout, "cancel-me") && strings.Contains(stdout, "398.00")
	})
	// The same list as data, for scripts.
	code, stdout, stderr := runStarter(t, s, "list", "--status", "COMPENSATING", "-o", "json")
	var rows []purchases.Row
	if code != 0 || json.Unmarshal([]byte(stdout), &rows) != nil || len(rows) != 1 || rows[0].OrderID != "cancel-me" ||
		rows[0].CustomerID != "alice" || rows[0].TotalCents != 39800 || rows[0].Status != saga.Compensating ||
		rows[0].WorkflowID != saga.WorkflowID("cancel-me") || rows[0].Mode != saga.Orchestration {
		t.Fatalf("list -o json: exit %d: %s%s", code, stdout, stderr)
	}

	if err := s.Restart(ctx, "payment"); err != nil {
		t.Fatal(err)
	}
	var res saga.Result
	if err := tc.GetWorkflow(ctx, saga.WorkflowID("cancel-me"), "").Get(ctx, &res); err != nil {
		t.Fatal(err)
	}
	if res.Status != saga.Cancelled || strings.Join(res.Compensations, ",") != "cancel,refund,release" {
		t.Fatalf("cancelled saga: %+v", res)
	}
	if r, err := c.stock.Reservation(ctx, "cancel-me"); err != nil || r.Status != inventoryapi.Released {
		t.Fatalf("reservation after cancel: %+v, %v", r, err)
	}
	if p, err := c.payments.Payment(ctx, "cancel-me"); err == nil && p.Status == paymentapi.Captured {
		t.Fatalf("payment after cancel: %+v", p)
	}

	// Shell completion asks the running services: order IDs with their
	// status, SKUs with what is in stock, customers with their balance.
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", "status", ""}, []string{approved.OrderID + "\tAPPROVED orchestration, alice", "cancel-me\tCANCELLED orchestration, alice"}},
		{[]string{"__complete", "cancel", "canc"}, []string{"cancel-me\t"}},
		{[]string{"__complete", "purchase", "--item", "SKU-"}, []string{"SKU-1:\t", "available", ":6"}},
		{[]string{"__complete", "purchase", "--customer", "b"}, []string{"bob\tbalance "}},
	} {
		code, stdout, stderr := runStarter(t, s, tc.args...)
		for _, w := range tc.want {
			if code != 0 || !strings.Contains(stdout, w) {
				t.Errorf("starter %s: exit %d, want %q in:\n%s%s", strings.Join(tc.args, " "), code, w, stdout, stderr)
			}
		}
	}

	// After approval the saga refuses, with the reason, and nothing changes.
	code, _, stderr = runStarter(t, s, "cancel", approved.OrderID)
	if code != starter.ExitNo || !strings.Contains(stderr, "can no longer be cancelled") {
		t.Fatalf("cancel after approval: exit %d, %q", code, stderr)
	}
	stacktest.WaitFor(t, 30*time.Second, "list to show both outcomes", func() bool {
		_, cancelled, _ := runStarter(t, s, "list", "--status", "CANCELLED")
		_, ok, _ := runStarter(t, s, "list", "--status", "APPROVED")
		return strings.Contains(cancelled, "cancel-me") && !strings.Contains(cancelled, approved.OrderID) &&
			strings.Contains(ok, approved.OrderID)
	})

	// The stack trimmed the dev server's visibility indexes (LeanVisibility).
	// Lists on columns whose index it made partial or dropped, and on the
	// full-text columns it left alone, answer as they would with all 45.
	if !strings.Contains(logs.String(), "visibility indexes of temporal.db: 18 dropped, 22 made partial") {
		t.Fatalf("no trim of the visibility indexes in the stack's log:\n%s", logs.Tail(40))
	}
	both := []string{"cancel-me", approved.OrderID}
	for query, want := range map[string][]string{
		"OrderId = '" + approved.OrderID + "'":         {approved.OrderID}, // partial
		"SagaStatus = 'CANCELLED'":                     {"cancel-me"},      // partial
		"OrderTotal >= 39800":                          {"cancel-me"},      // partial
		"TaskQueue = '" + saga.TaskQueue + "'":         both,               // dropped
		"HistoryLength > 0":                            both,               // dropped
		"TemporalChangeVersion = 'purchase-current-1'": both,               // full text, untouched
		"ExecutionStatus = 'Completed'":                both,               // kept
	} {
		resp, err := tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		var got []string
		for _, e := range resp.GetExecutions() {
			got = append(got, strings.TrimPrefix(e.GetExecution().GetWorkflowId(), "purchase-"))
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", query, got, want)
		}
	}
}

// TestWebUIShowsTheSaga opens a purchase's page in the Temporal Web UI with
// headless Chromium (Debian's package; .ci/run installs it) and checks what
// a person would look for: the workflow, its summary, and its activities
// with their summaries. The screenshot is kept in test-artifacts/.
func TestWebUIShowsTheSaga(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (apt-get install chromium); .ci/run installs it")
	}
	s := startStack(t)
	rep := buy(t, s, "--customer", "bob", "--item", "SKU-2:1", "--order-id", "webui-1")
	if rep.Status != "CANCELLED" {
		t.Fatalf("purchase %+v", rep)
	}
	url := s.Temporal().UIURL + "/namespaces/default/workflows/purchase-webui-1"
	headless := func(args ...string) []byte {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
			"--disable-component-update", "--no-first-run", "--disable-sync", "--user-data-dir=" + t.TempDir(),
			"--virtual-time-budget=15000", "--window-size=1400,1100"}
		out, err := exec.CommandContext(ctx, chromium, append(base, append(args, url)...)...).Output()
		if err != nil {
			t.Fatalf("chromium %v: %v", args, err)
		}
		return out
	}
	dom := string(headless("--dump-dom"))
	for _, want := range []string{
		"purchase-webui-1",             // the workflow
		"PurchaseWorkflow",             // its type
		"bob buys 1 x SKU-2",           // its summary
		"CreateOrder", "ChargePayment", // the steps (local activities)
		"ReleaseStock", "Release 1 x SKU-2", // a compensation and its summary
		"insufficient funds", // why
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("the Web UI page of the saga does not show %q", want)
		}
	}

	shot := artefact(t, "webui-saga.png")
	headless("--screenshot=" + shot)
	if info, err := os.Stat(shot); err != nil || info.Size() < 10_000 {
		t.Fatalf("screenshot %s: %v", shot, err)
	}
}
