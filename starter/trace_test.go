package starter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/messaging/kafkaio"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/internal/services/order/orderapi"
	"github.com/sagaforge/saga/starter"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
)

// The trace command finds an order's trace ID in its first event's
// traceparent on Kafka, reads the trace whole from Jaeger's API v3 (OTLP
// JSON), and draws its spans nested under their parents in start order.
func TestTraceDrawsTheOrdersSpansAsAWaterfall(t *testing.T) {
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	const whole = `{"result":{"resourceSpans":[
		{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"inventory"}}]},"scopeSpans":[{"spans":[
			{"traceId":"` + traceID + `","spanId":"c","parentSpanId":"b","name":"process order.events","kind":5,"startTimeUnixNano":"1000300000","endTimeUnixNano":"1000500000",
			 "attributes":[{"key":"cloudevents.event_type","value":{"stringValue":"io.sagaforge.order.created.v1"}}]}]}]},
		{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"starter"}}]},"scopeSpans":[{"spans":[
			{"traceId":"` + traceID + `","spanId":"a","name":"purchase","startTimeUnixNano":"1000000000","endTimeUnixNano":"1001000000"}]}]},
		{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"order"}}]},"scopeSpans":[{"spans":[
			{"traceId":"` + traceID + `","spanId":"b","parentSpanId":"a","name":"POST /orders","startTimeUnixNano":"1000100000","endTimeUnixNano":"1000200000"}]}]}]}}`
	jaeger := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v3/traces/"+traceID {
			_, _ = w.Write([]byte(whole))
			return
		}
		http.Error(w, `{"error":{"httpCode":404,"message":"No traces found"}}`, http.StatusNotFound)
	}))
	defer jaeger.Close()
	created := time.Now().UTC()
	orders := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := strings.TrimPrefix(r.URL.Path, "/orders/")
		if id != "ord-1" && id != "ord-2" {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"type":"about:blank","title":"Not found","status":404,"code":"not-found","detail":"not found: order ` + id + `"}`))
			return
		}
		_ = json.NewEncoder(w).Encode(orderapi.OrderResponse{OrderID: id, Status: orderapi.StatusApproved, CreatedAt: created})
	}))
	defer orders.Close()
	// ord-1's events carry its trace; ord-2's were published untraced.
	c, err := kfake.NewCluster(kfake.SeedTopics(3, events.Topics...))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	addr := c.ListenAddrs()[0]
	w := kafkaio.NewWriter(kafkaio.Plain(addr))
	defer w.Close()
	var msgs []kafka.Message
	for _, id := range []string{"ord-1", "ord-2"} {
		m, err := kafkaio.Message(events.New(events.Source("order"), events.OrderCreated, id, saga.Orchestration, events.OrderCreatedData{OrderID: id}, created))
		if err != nil {
			t.Fatal(err)
		}
		if id == "ord-1" {
			kafkaio.Headers{Msg: &m}.Set("traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
		}
		msgs = append(msgs, m)
	}
	if err := w.WriteMessages(context.Background(), msgs...); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := starter.Run(context.Background(), append(args, "--jaeger-url", jaeger.URL, "--order-url", orders.URL, "--brokers", addr), &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	code, out, errOut := run("trace", "ord-1", "--width", "10")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := []string{"trace " + traceID + "  order ord-1  3 spans  1ms", "|██████████| starter   purchase", "| █        | order       POST /orders", "|   ██     | inventory     process order.events OrderCreated"}
	if len(lines) != len(want) {
		t.Fatalf("got\n%s", out)
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("line %d: %q, want it to contain %q", i, lines[i], w)
		}
	}
	// -o json is the same waterfall as data: each span under its parent.
	code, out, errOut = run("trace", "ord-1", "-o", "json")
	if code != 0 {
		t.Fatalf("-o json: exit %d: %s", code, errOut)
	}
	var rep starter.TraceReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.TraceID != traceID || len(rep.Spans) != 3 {
		t.Fatalf("-o json: %v\n%s", err, out)
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
	if code, _, errOut := run("trace", "ord-2"); code != starter.ExitFailure || !strings.Contains(errOut, "carries a trace") {
		t.Fatalf("an order whose events carry no trace: exit %d, %q", code, errOut)
	}
	if code, _, errOut := run("trace", "ord-3"); code == starter.ExitOK || !strings.Contains(errOut, "ord-3") {
		t.Fatalf("an order that does not exist: exit %d, %q", code, errOut)
	}
}
