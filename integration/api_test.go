package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sagaforge/saga/internal/services/order/orderapi"
	"github.com/sagaforge/saga/lab/stack"
	"github.com/sagaforge/saga/lab/stack/stacktest"
	"github.com/sagaforge/saga/workers/purchases"
)

// apiCall is one request to the worker's purchase API and its answer.
type apiCall struct {
	status  int
	header  http.Header
	report  purchases.Report
	problem map[string]any
}

func callAPI(t *testing.T, s *stack.Stack, method, path, body string, header ...string) apiCall {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.WorkerURL()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	c := apiCall{status: resp.StatusCode, header: resp.Header}
	if resp.Header.Get("Content-Type") == "application/problem+json" {
		if err := json.Unmarshal(data, &c.problem); err != nil {
			t.Fatalf("%s %s: problem %q: %v", method, path, data, err)
		}
	} else if err := json.Unmarshal(data, &c.report); err != nil {
		t.Fatalf("%s %s: %d %q: %v", method, path, resp.StatusCode, data, err)
	}
	return c
}

// A client buys, follows and cancels a purchase over HTTP, in each mode:
// the answer is the outcome when it comes within the wait asked for (RFC
// 7240 Prefer: wait), else 202 with where to follow it; a repeat attaches
// to the same saga, and the same order ID with another body is refused.
func TestPurchaseAPIBuysFollowsAndCancels(t *testing.T) {
	s := startStack(t)
	for _, mode := range []string{"orchestration", "choreography"} {
		t.Run(mode, func(t *testing.T) {
			id := "api-" + mode[:5]
			body := `{"order_id":"` + id + `","customer_id":"alice","items":[{"sku":"SKU-1","quantity":2}],"mode":"` + mode + `"}`
			got := callAPI(t, s, "POST", "/purchases", body, "Prefer", "wait=30")
			if got.status != http.StatusOK || got.report.Status != "APPROVED" || got.report.Mode != mode ||
				strings.Join(got.report.Steps, ",") != "create,reserve,charge,approve" ||
				got.header.Get("Preference-Applied") != "wait=30" || got.header.Get("Location") != "/purchases/"+id {
				t.Fatalf("purchase with Prefer: wait=30: %d %+v %v", got.status, got.report, got.header)
			}
			// The answer is given at the pivot; the saga's result, as
			// Temporal and the events tell it afterwards, adds the shipment
			// once it has happened.
			var after apiCall
			stacktest.WaitFor(t, 20*time.Second, "GET to show the shipment", func() bool {
				after = callAPI(t, s, "GET", "/purchases/"+id+"?wait=30s", "")
				return strings.Join(after.report.Steps, ",") == "create,reserve,charge,approve,ship"
			})
			if after.status != http.StatusOK || after.report.Status != got.report.Status || after.report.TotalCents != got.report.TotalCents ||
				len(after.report.Compensations) != 0 {
				t.Fatalf("GET after the answer: %d %+v, answered %+v", after.status, after.report, got.report)
			}
			// The same request again attaches: the same outcome, no second saga.
			if again := callAPI(t, s, "POST", "/purchases", body, "Prefer", "wait=30"); again.status != http.StatusOK || again.report.Status != "APPROVED" || again.report.RunID != got.report.RunID {
				t.Fatalf("repeat: %d %+v, want the first saga's outcome", again.status, again.report)
			}
			// Without a wait too: a settled purchase answers with its
			// outcome, never 202 RUNNING.
			if again := callAPI(t, s, "POST", "/purchases", body); again.status != http.StatusOK || again.report.Status != "APPROVED" || again.report.RunID != got.report.RunID {
				t.Fatalf("repeat without a wait: %d %+v, want 200 and the first saga's outcome", again.status, again.report)
			}
			other := strings.Replace(body, `"quantity":2`, `"quantity":3`, 1)
			if c := callAPI(t, s, "POST", "/purchases", other); c.status != http.StatusConflict || c.problem["code"] != "idempotency-conflict" {
				t.Fatalf("same order ID, other items: %d %v", c.status, c.problem)
			}
			// Cancelling after the approval is refused, with the reason.
			if c := callAPI(t, s, "POST", "/purchases/"+id+"/cancel", `{"reason":"too late"}`); c.status != http.StatusConflict || c.problem["code"] != "illegal-transition" {
				t.Fatalf("cancel after approval: %d %v", c.status, c.problem)
			}
			// Without a wait: 202 and where to follow it, then a long poll.
			declined := callAPI(t, s, "POST", "/purchases", `{"customer_id":"bob","items":[{"sku":"SKU-2","quantity":1}],"mode":"`+mode+`"}`)
			if declined.status != http.StatusAccepted && declined.status != http.StatusOK {
				t.Fatalf("purchase without a wait: %d %+v", declined.status, declined.report)
			}
			loc := declined.header.Get("Location")
			if declined.report.OrderID == "" || loc != "/purchases/"+declined.report.OrderID {
				t.Fatalf("purchase without a wait: Location %q for %+v", loc, declined.report)
			}
			follow := callAPI(t, s, "GET", loc+"?wait=30s", "")
			if follow.status != http.StatusOK || follow.report.Status != "CANCELLED" || !strings.Contains(follow.report.Reason, "insufficient funds") ||
				!strings.Contains(strings.Join(follow.report.Compensations, ","), "release") {
				t.Fatalf("GET %s?wait=30s: %d %+v", loc, follow.status, follow.report)
			}
		})
	}

	// The starter buys through the API just as well (--api), in each mode.
	for _, mode := range []string{"orchestration", "choreography"} {
		code, stdout, stderr := runStarter(t, s, "purchase", "--api", s.WorkerURL(), "--mode", mode, "--customer", "alice", "--item", "SKU-1:1", "--wait", "-o", "json")
		var rep purchases.Report
		if code != 0 || json.Unmarshal([]byte(stdout), &rep) != nil || rep.Status != "APPROVED" || rep.Mode != mode {
			t.Fatalf("starter purchase --api, %s: exit %d: %s%s", mode, code, stdout, stderr)
		}
	}
	if code, _, stderr := runStarter(t, s, "purchase", "--api", s.WorkerURL(), "--order-id", "api-orche", "--customer", "bob", "--item", "SKU-1:1"); code != 2 || !strings.Contains(stderr, "api-orche") {
		t.Fatalf("starter purchase --api with another purchase's order ID: exit %d: %s", code, stderr)
	}

	// A client that names no order ID retries with the same
	// Idempotency-Key: one purchase, not two. The key with another request
	// is refused (422), and its purchase is left as it is.
	anon := `{"customer_id":"alice","items":[{"sku":"SKU-1","quantity":1}]}`
	first := callAPI(t, s, "POST", "/purchases", anon, "Idempotency-Key", "retry-me", "Prefer", "wait=30")
	again := callAPI(t, s, "POST", "/purchases", anon, "Idempotency-Key", "retry-me", "Prefer", "wait=30")
	if first.status != http.StatusOK || first.report.OrderID == "" || again.report.OrderID != first.report.OrderID ||
		again.report.RunID != first.report.RunID || again.report.Status != "APPROVED" {
		t.Fatalf("the same Idempotency-Key twice: %d %+v, then %d %+v; want one purchase", first.status, first.report, again.status, again.report)
	}
	reused := callAPI(t, s, "POST", "/purchases", strings.Replace(anon, `"quantity":1`, `"quantity":2`, 1), "Idempotency-Key", "retry-me")
	if reused.status != http.StatusUnprocessableEntity || reused.problem["code"] != "idempotency-key-reused" {
		t.Fatalf("the key with another request: %d %v, want 422 idempotency-key-reused", reused.status, reused.problem)
	}

	// A change of mind, in flight: payment is down, so the saga waits at
	// the charge; the cancel compensates what was done.
	c := clientsOf(s)
	if err := s.Kill("payment"); err != nil {
		t.Fatal(err)
	}
	started := callAPI(t, s, "POST", "/purchases", `{"order_id":"api-mind","customer_id":"alice","items":[{"sku":"SKU-2","quantity":1}],"mode":"choreography"}`)
	if started.status != http.StatusAccepted || started.report.Status != "RUNNING" {
		t.Fatalf("purchase while payment is down: %d %+v", started.status, started.report)
	}
	waitForEvents(t, s, "api-mind", "OrderCreated StockReserved")
	cancelled := callAPI(t, s, "POST", "/purchases/api-mind/cancel", `{"reason":"changed my mind"}`)
	if cancelled.status != http.StatusOK || cancelled.report.Status != "CANCELLED" || !strings.Contains(cancelled.report.Reason, "changed my mind") {
		t.Fatalf("cancel in flight: %d %+v %v", cancelled.status, cancelled.report, cancelled.problem)
	}
	if err := s.Restart(context.Background(), "payment"); err != nil {
		t.Fatal(err)
	}
	wantConsistent(t, c, "api-mind", orderapi.StatusCancelled)
	auditPasses(t, s)
}

// Bad input is a 4xx problem and starts nothing.
func TestPurchaseAPIRefusesBadInputAndStartsNothing(t *testing.T) {
	s := startStack(t)
	c := clientsOf(s)
	for _, tc := range []struct {
		name, method, path, body string
		header                   []string
		status                   int
	}{
		{"no customer", "POST", "/purchases", `{"order_id":"bad-1","items":[{"sku":"SKU-1","quantity":1}]}`, nil, 400},
		{"no items", "POST", "/purchases", `{"order_id":"bad-2","customer_id":"alice"}`, nil, 400},
		{"zero quantity", "POST", "/purchases", `{"order_id":"bad-3","customer_id":"alice","items":[{"sku":"SKU-1","quantity":0}]}`, nil, 400},
		{"unknown mode", "POST", "/purchases", `{"order_id":"bad-4","customer_id":"alice","items":[{"sku":"SKU-1","quantity":1}],"mode":"yolo"}`, nil, 400},
		{"unknown field", "POST", "/purchases", `{"order_id":"bad-5","customer_id":"alice","items":[{"sku":"SKU-1","quantity":1}],"colour":"red"}`, nil, 400},
		{"malformed order id", "POST", "/purchases", `{"order_id":"bad 6","customer_id":"alice","items":[{"sku":"SKU-1","quantity":1}]}`, nil, 400},
		{"not JSON", "POST", "/purchases", `{"order_id":`, nil, 400},
		{"bad Prefer", "POST", "/purchases", `{"order_id":"bad-7","customer_id":"alice","items":[{"sku":"SKU-1","quantity":1}]}`, []string{"Prefer", "wait=soon"}, 400},
		{"unknown purchase", "GET", "/purchases/nobody-bought-this", "", nil, 404},
		{"malformed id", "GET", "/purchases/a%20b", "", nil, 400},
		{"wait too long", "GET", "/purchases/bad-1?wait=2h", "", nil, 400},
		{"cancel with a body too big", "POST", "/purchases/bad-1/cancel", `{"reason":"` + strings.Repeat("r", 300) + `"}`, nil, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := callAPI(t, s, tc.method, tc.path, tc.body, tc.header...)
			if got.status != tc.status || got.problem == nil || got.problem["detail"] == "" {
				t.Fatalf("%s %s: %d %v, want a %d problem", tc.method, tc.path, got.status, got.problem, tc.status)
			}
		})
	}
	for _, id := range []string{"bad-1", "bad-2", "bad-3", "bad-4", "bad-5", "bad-7"} {
		if _, err := c.orders.Get(context.Background(), id); err == nil {
			t.Errorf("order %s exists: a refused request started a purchase", id)
		}
	}
	var b bytes.Buffer
	b.WriteString(`{"customer_id":"alice","items":[`)
	b.WriteString(strings.Repeat(`{"sku":"SKU-1","quantity":1},`, 5000))
	b.WriteString(`{"sku":"SKU-1","quantity":1}]}`)
	if got := callAPI(t, s, "POST", "/purchases", b.String()); got.status != http.StatusRequestEntityTooLarge && got.status != http.StatusBadRequest {
		t.Fatalf("a body over the limit: %d %v", got.status, got.problem)
	}
}

// Long waits are answered, never cut off, and a cancel that cannot finish
// yet (payment is down, so its refund waits) answers once its wait is up,
// with the saga as it stands, and goes on. Orchestrated, payment down.
func TestLongWaitsAndSlowCancelsAreAnswered(t *testing.T) {
	s := startStack(t, "SAGA_STEP_DEADLINE=5m")
	c := clientsOf(s)
	if err := s.Kill("payment"); err != nil {
		t.Fatal(err)
	}
	started := callAPI(t, s, "POST", "/purchases", `{"order_id":"api-long","customer_id":"alice","items":[{"sku":"SKU-1","quantity":1}]}`)
	if started.status != http.StatusAccepted {
		t.Fatalf("purchase while payment is down: %d %+v", started.status, started.report)
	}
	// Longer than the 30 s a server's answer used to be allowed.
	long := callAPI(t, s, "GET", "/purchases/api-long?wait=35s", "")
	if long.status != http.StatusOK || long.report.Status != "RUNNING" {
		t.Fatalf("GET ?wait=35s while the charge waits for payment: %d %+v", long.status, long.report)
	}
	cancelled := callAPI(t, s, "POST", "/purchases/api-long/cancel", `{"reason":"changed my mind"}`, "Prefer", "wait=2")
	if cancelled.status != http.StatusAccepted || cancelled.report.Status != "COMPENSATING" || cancelled.header.Get("Location") != "/purchases/api-long" {
		t.Fatalf("cancel while the refund waits for payment, Prefer: wait=2: %d %+v %v", cancelled.status, cancelled.report, cancelled.problem)
	}
	if err := s.Restart(context.Background(), "payment"); err != nil {
		t.Fatal(err)
	}
	done := callAPI(t, s, "GET", "/purchases/api-long?wait=30s", "")
	if done.status != http.StatusOK || done.report.Status != "CANCELLED" || !strings.Contains(done.report.Reason, "changed my mind") {
		t.Fatalf("after payment is back: %d %+v", done.status, done.report)
	}
	wantConsistent(t, c, "api-long", orderapi.StatusCancelled)
}
