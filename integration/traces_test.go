package integration

import (
	"bytes"
	"compress/gzip"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/lab/stack"
	"github.com/sagaforge/saga/lab/stack/stacktest"
)

// span is one exported span, as the receiver keeps it.
type span struct {
	service, name, traceID, id, parent string
	kind                               tracepb.Span_SpanKind
}

func (s span) String() string { return s.service + ": " + s.name }

// receiver is an OTLP/HTTP trace endpoint in the test process: the stack's
// processes export their spans to it as they would to Jaeger.
type receiver struct {
	url   string
	mu    sync.Mutex
	spans []span
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{url: "http://" + ln.Addr().String()}
	srv := &http.Server{Handler: http.HandlerFunc(r.export), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return r
}

func (r *receiver) export(w http.ResponseWriter, req *http.Request) {
	var body io.Reader = req.Body
	if req.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = gz
	}
	data, err := io.ReadAll(body)
	var in coltracepb.ExportTraceServiceRequest
	if err != nil || req.URL.Path != "/v1/traces" || proto.Unmarshal(data, &in) != nil {
		http.Error(w, "want an OTLP/HTTP protobuf trace export", http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	for _, rs := range in.GetResourceSpans() {
		service := ""
		for _, kv := range rs.GetResource().GetAttributes() {
			if kv.GetKey() == "service.name" {
				service = kv.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				// A messaging span is "{operation} {destination}", as
				// OpenTelemetry's conventions name it; the event's type,
				// an attribute, makes it one of a kind here.
				name, attrs := s.GetName(), map[string]string{}
				for _, kv := range s.GetAttributes() {
					attrs[kv.GetKey()] = kv.GetValue().GetStringValue()
				}
				if typ, ok := attrs["cloudevents.event_type"]; ok {
					if want := attrs["messaging.operation.name"] + " " + attrs["messaging.destination.name"]; name != want {
						name = "misnamed " + name + " (want " + want + ")"
					}
					name += " " + string(events.ParseType(typ))
				}
				r.spans = append(r.spans, span{service: service, name: name, kind: s.GetKind(),
					traceID: hex.EncodeToString(s.GetTraceId()), id: hex.EncodeToString(s.GetSpanId()), parent: hex.EncodeToString(s.GetParentSpanId())})
			}
		}
	}
	r.mu.Unlock()
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

// trace returns the spans of one trace.
func (r *receiver) trace(id string) []span {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []span
	for _, s := range r.spans {
		if s.traceID == id {
			out = append(out, s)
		}
	}
	return out
}

// has reports whether spans hold one of service named name.
func has(spans []span, service, name string) bool {
	return slices.ContainsFunc(spans, func(s span) bool { return s.service == service && s.name == name })
}

// A purchase is one trace in either mode: from the starter through the
// workflow and its activities, or through the order service and every Kafka
// hop, into all three services; a declined purchase's trace holds its
// compensations.
func TestEachPurchaseIsOneTraceAcrossTheServices(t *testing.T) {
	rcv := newReceiver(t)
	s, _ := startStackWithConfig(t, func(cfg *stack.Config) {
		cfg.Env = append(cfg.Env, "OTEL_EXPORTER_OTLP_ENDPOINT="+rcv.url, "OTEL_BSP_SCHEDULE_DELAY=50")
	})
	for _, tc := range []struct {
		mode, customer, item string
		// want are spans (service: name) the trace must hold.
		want []string
	}{
		{"orchestration", "alice", "SKU-1:1", []string{
			"starter: purchase", "worker: RunWorkflow:PurchaseWorkflow", "worker: RunActivity:ChargePayment",
			"order: POST /orders", "inventory: POST /reservations", "payment: POST /payments", "order: POST /orders/{order_id}/approve",
			"inventory: process order.events OrderApproved", "payment: process order.events OrderApproved", "inventory: POST /reservations/{order_id}/ship"}},
		{"orchestration", "bob", "SKU-2:1", []string{
			"starter: purchase", "payment: POST /payments",
			"inventory: POST /reservations/{order_id}/release", "order: POST /orders/{order_id}/cancel"}},
		{"choreography", "alice", "SKU-1:1", []string{
			"starter: purchase", "order: POST /orders", "order: send order.events OrderCreated",
			"inventory: process order.events OrderCreated", "inventory: send inventory.events StockReserved",
			"payment: process inventory.events StockReserved", "payment: send payment.events PaymentCaptured",
			"order: process payment.events PaymentCaptured", "order: send order.events OrderApproved",
			"inventory: process order.events OrderApproved", "inventory: send inventory.events StockShipped"}},
		{"choreography", "bob", "SKU-2:1", []string{
			"starter: purchase", "payment: process inventory.events StockReserved", "payment: send payment.events PaymentDeclined",
			"inventory: process payment.events PaymentDeclined", "inventory: send inventory.events StockReleased",
			"order: process inventory.events StockReleased", "order: send order.events OrderCancelled"}},
	} {
		t.Run(tc.mode+"/"+tc.customer, func(t *testing.T) {
			rep := buy(t, s, "--customer", tc.customer, "--item", tc.item, "--mode", tc.mode)
			if rep.TraceID == "" {
				t.Fatalf("the starter reported no trace ID: %+v", rep)
			}
			// The spans come in batches from five processes: wait until the
			// wanted ones are in and every consumer span's parent has come too.
			var spans []span
			var dangling []string
			complete := func() bool {
				spans = rcv.trace(rep.TraceID)
				for _, w := range tc.want {
					service, name, _ := strings.Cut(w, ": ")
					if !has(spans, service, name) {
						return false
					}
				}
				dangling = danglingConsumers(spans)
				return len(dangling) == 0
			}
			deadline := time.Now().Add(30 * time.Second)
			for !complete() && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			if !complete() {
				// Every span but the root hangs off another span of the
				// trace, so the Kafka hops are links in one chain.
				t.Fatalf("after 30s the trace lacks a wanted span or a consumer's parent: %s\n%s", strings.Join(dangling, "; "), describe(spans))
			}
			roots := 0
			for _, sp := range spans {
				if sp.parent == "" || sp.parent == strings.Repeat("0", 16) {
					roots++
				}
			}
			if roots != 1 {
				t.Errorf("%d root spans, want the starter's alone:\n%s", roots, describe(spans))
			}
		})
	}
}

// danglingConsumers names the consumer spans whose parent is not in spans.
func danglingConsumers(spans []span) []string {
	ids := map[string]bool{}
	for _, sp := range spans {
		ids[sp.id] = true
	}
	var out []string
	for _, sp := range spans {
		if sp.kind == tracepb.Span_SPAN_KIND_CONSUMER && sp.parent != "" && !ids[sp.parent] {
			out = append(out, fmt.Sprintf("%s continues no span of the trace (parent %s)", sp, sp.parent))
		}
	}
	return out
}

func describe(spans []span) string {
	var b bytes.Buffer
	for _, s := range spans {
		fmt.Fprintf(&b, "  %s (%s, parent %s)\n", s, s.id, s.parent)
	}
	return b.String()
}

// The one-command stack keeps traces in a real Jaeger (stack up --traces)
// and starter trace draws a purchase's whole trace from it: a choreographed
// purchase shows the three services, each Kafka hop under its publisher.
func TestStackShowsAPurchasesTraceFromJaeger(t *testing.T) {
	jaeger, err := filepath.Abs("../bin/jaeger")
	if err == nil {
		_, err = os.Stat(jaeger)
	}
	if err != nil {
		t.Skip("needs bin/jaeger (make jaeger; .ci/run builds it)")
	}
	s, _ := startStackWithConfig(t, func(cfg *stack.Config) {
		if err := os.Symlink(jaeger, filepath.Join(cfg.BinDir, "jaeger")); err != nil && !os.IsExist(err) {
			t.Fatal(err)
		}
		cfg.Traces = true
		cfg.Env = append(cfg.Env, "OTEL_BSP_SCHEDULE_DELAY=50")
	})
	rep := buy(t, s, "--customer", "bob", "--item", "SKU-2:1", "--mode", "choreography")
	var out string
	stacktest.WaitFor(t, 30*time.Second, "the whole trace in Jaeger", func() bool {
		_, out, _ = runStarter(t, s, "trace", rep.OrderID)
		return strings.Contains(out, "trace "+rep.TraceID) &&
			regexp.MustCompile(`(?m)\| starter +purchase$`).MatchString(out) &&
			regexp.MustCompile(`(?m)\| inventory +  +process payment.events PaymentDeclined$`).MatchString(out) &&
			regexp.MustCompile(`(?m)\| order +  +process inventory.events StockReleased$`).MatchString(out)
	})
	t.Logf("starter trace %s:\n%s", rep.OrderID, out)
}
