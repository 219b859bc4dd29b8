package integration

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/sagaforge/saga/internal/platform/temporalx"
	"github.com/sagaforge/saga/internal/platform/web/webtest"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/internal/services/order/orderapi"
)

// TestServiceTokenGuardsMutationsEndToEnd runs the stack with
// SAGA_SERVICE_TOKEN set: the worker and the starter send it, so sagas in
// both modes complete; a caller without it, or with a wrong one, is refused
// and changes nothing; and the token appears in no log and no workflow
// history.
func TestServiceTokenGuardsMutationsEndToEnd(t *testing.T) {
	const token = "s3cr3t-token-for-the-test"
	s, logs := startStackWithLogs(t, "SAGA_SERVICE_TOKEN="+token)
	orchestrated := buy(t, s, "--customer", "alice", "--item", "SKU-1:1")
	choreographed := buy(t, s, "--customer", "alice", "--item", "SKU-2:1", "--mode", "choreography")
	if orchestrated.Status != "APPROVED" || choreographed.Status != "APPROVED" {
		t.Fatalf("with the token: orchestrated %s (%s), choreographed %s (%s); want both APPROVED",
			orchestrated.Status, orchestrated.Reason, choreographed.Status, choreographed.Reason)
	}

	body := `{"order_id":"intruder","customer_id":"alice","items":[{"sku":"SKU-1","quantity":1}]}`
	for _, tc := range []struct{ name, method, url, auth string }{
		{"create without a token", "POST", s.OrderURL() + "/orders", ""},
		{"create with a wrong token", "POST", s.OrderURL() + "/orders", "Bearer wrong"},
		{"cancel without a token", "POST", s.OrderURL() + "/orders/" + orchestrated.OrderID + "/cancel", ""},
		{"reserve with the token as basic auth", "POST", s.InventoryURL() + "/reservations", "Basic " + token},
		{"refund without a token", "POST", s.PaymentURL() + "/payments/" + orchestrated.OrderID + "/refund", ""},
	} {
		status, p := webtest.SendWith(t, tc.method, tc.url, "application/json", body, tc.auth)
		if status != http.StatusUnauthorized || p.Code != "unauthorized" {
			t.Errorf("%s: %d %+v, want 401 unauthorized", tc.name, status, p)
		}
	}
	ctx := context.Background()
	orders := orderapi.NewClient(s.OrderURL(), nil, "") // reads need no token
	if _, err := orders.Get(ctx, "intruder"); err == nil {
		t.Error("a refused create left an order")
	}
	if o, err := orders.Get(ctx, orchestrated.OrderID); err != nil || o.Status != "APPROVED" {
		t.Errorf("a refused cancel changed %s: %+v, %v", orchestrated.OrderID, o, err)
	}
	if code, stdout, stderr := runStarter(t, s, "audit"); code != 0 {
		t.Errorf("audit: exit %d\n%s%s", code, stdout, stderr)
	}

	if strings.Contains(logs.String(), token) {
		t.Error("the service token appears in the stack's logs")
	}
	tc, err := temporalx.Dial(ctx, s.Temporal(), nil, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	history := historyText(t, tc, saga.WorkflowID(orchestrated.OrderID))
	if strings.Contains(history, token) {
		t.Error("the service token appears in the workflow history")
	}
	if !strings.Contains(history, orchestrated.OrderID) {
		t.Fatalf("history of %s does not mention its order: the check above proves nothing", orchestrated.OrderID)
	}
}

// historyText is the workflow's whole history, events and payloads, as text.
func historyText(t *testing.T, c client.Client, workflowID string) string {
	t.Helper()
	var b strings.Builder
	iter := c.GetWorkflowHistory(context.Background(), workflowID, "", false, 0)
	for iter.HasNext() {
		e, err := iter.Next()
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(e.String())
	}
	return b.String()
}

// A token comes from a secret's file, and while it is rotated the services
// accept two: the one the clients send (the first) and the one they sent
// before. Any other is refused.
func TestServiceTokensRotateFromASecretFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("new-token-2026,old-token-2025\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, logs := startStackWithLogs(t, "SAGA_SERVICE_TOKEN_FILE="+file)
	if rep := buy(t, s, "--customer", "alice", "--item", "SKU-1:1"); rep.Status != "APPROVED" {
		t.Fatalf("with the file's token: %s (%s), want APPROVED", rep.Status, rep.Reason)
	}
	for _, tc := range []struct {
		orderID, auth string
		want          int
	}{
		{"rotate-old", "Bearer old-token-2025", http.StatusCreated},
		{"rotate-new", "Bearer new-token-2026", http.StatusCreated},
		{"rotate-both", "Bearer new-token-2026,old-token-2025", http.StatusUnauthorized},
		{"rotate-other", "Bearer older-token-2024", http.StatusUnauthorized},
	} {
		body := `{"order_id":"` + tc.orderID + `","customer_id":"alice","items":[{"sku":"SKU-1","quantity":1}]}`
		if status, p := webtest.SendWith(t, "POST", s.OrderURL()+"/orders", "application/json", body, tc.auth); status != tc.want {
			t.Errorf("%s: %d %+v, want %d", tc.orderID, status, p, tc.want)
		}
	}
	if strings.Contains(logs.String(), "old-token-2025") || strings.Contains(logs.String(), "new-token-2026") {
		t.Error("a service token appears in the stack's logs")
	}
}
