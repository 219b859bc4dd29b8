package starter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sagaforge/saga/starter"
)

// The trace command finds an order's trace through Jaeger's search, reads
// it whole, and draws its spans nested under their parents in start order.
func TestTraceDrawsTheOrdersSpansAsAWaterfall(t *testing.T) {
	const whole = `{"data":[{"traceID":"t1","spans":[
		{"spanID":"c","operationName":"process order.events","references":[{"refType":"CHILD_OF","spanID":"b"}],"startTime":1000300,"duration":200,"processID":"p3","tags":[{"key":"cloudevents.event_type","type":"string","value":"io.sagaforge.order.created.v1"}]},
		{"spanID":"a","operationName":"purchase","references":[],"startTime":1000000,"duration":1000,"processID":"p1"},
		{"spanID":"b","operationName":"POST /orders","references":[{"refType":"CHILD_OF","spanID":"a"}],"startTime":1000100,"duration":100,"processID":"p2"}],
		"processes":{"p1":{"serviceName":"starter"},"p2":{"serviceName":"order"},"p3":{"serviceName":"inventory"}}}]}`
	jaeger := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/api/traces" && r.URL.Query().Get("service") == "starter" && strings.Contains(r.URL.Query().Get("tags"), `"saga.order_id":"ord-1"`):
			_, _ = w.Write([]byte(`{"data":[{"traceID":"t1","spans":[]}]}`))
		case r.URL.Path == "/api/traces/t1":
			_, _ = w.Write([]byte(whole))
		default:
			_, _ = w.Write([]byte(`{"data":[]}`))
		}
	}))
	defer jaeger.Close()
	var stdout, stderr bytes.Buffer
	if code := starter.Run(context.Background(), []string{"trace", "ord-1", "--jaeger-url", jaeger.URL, "--width", "10"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	want := []string{"trace t1  order ord-1  3 spans  1ms", "|██████████| starter   purchase", "| █        | order       POST /orders", "|   ██     | inventory     process order.events OrderCreated"}
	if len(lines) != len(want) {
		t.Fatalf("got\n%s", stdout.String())
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("line %d: %q, want it to contain %q", i, lines[i], w)
		}
	}
	// -o json is the same waterfall as data: each span under its parent.
	stdout.Reset()
	if code := starter.Run(context.Background(), []string{"trace", "ord-1", "--jaeger-url", jaeger.URL, "-o", "json"}, &stdout, &stderr); code != 0 {
		t.Fatalf("-o json: exit %d: %s", code, stderr.String())
	}
	var rep starter.TraceReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil || rep.TraceID != "t1" || len(rep.Spans) != 3 {
		t.Fatalf("-o json: %v\n%s", err, stdout.String())
	}
	for i, want := range []starter.TraceSpan{
		{SpanID: "a", Depth: 0, Service: "starter", Name: "purchase", StartUS: 0, Duration: 1000},
		{SpanID: "b", ParentID: "a", Depth: 1, Service: "order", Name: "POST /orders", StartUS: 100, Duration: 100},
		{SpanID: "c", ParentID: "b", Depth: 2, Service: "inventory", Name: "process order.events OrderCreated", StartUS: 300, Duration: 200},
	} {
		if rep.Spans[i] != want {
			t.Errorf("span %d: %+v, want %+v", i, rep.Spans[i], want)
		}
	}
	stdout.Reset()
	if code := starter.Run(context.Background(), []string{"trace", "ord-2", "--jaeger-url", jaeger.URL}, &stdout, &stderr); code != starter.ExitFailure {
		t.Fatalf("an order with no trace: exit %d", code)
	}
}
