package starter

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/messaging/kafkaio"
	"github.com/sagaforge/saga/internal/platform/process"
)

// newTraceCmd is the trace command: it finds a purchase's trace ID in the
// traceparent of its first event on Kafka, reads the trace from Jaeger's
// API v3 (OTLP JSON), and draws the spans as a waterfall, nested by parent,
// with each process's name, so that a choreographed saga can be seen whole.
func newTraceCmd(env *Env) *cobra.Command {
	var jaeger string
	var width int
	cmd := orderCommand(env, "trace", "draw a purchase's trace from Jaeger as a waterfall, in either mode", func(ctx context.Context, id, format string) error {
		if width < 10 || width > 200 {
			return Usagef("--width must be from 10 to 200, got %d", width)
		}
		traceID, err := traceOf(ctx, env, id)
		if err != nil {
			return err
		}
		tr, err := readTrace(ctx, strings.TrimRight(jaeger, "/"), id, traceID)
		if err != nil {
			return err
		}
		spans := waterfall(tr)
		switch format {
		case FormatJSON:
			return WriteJSON(env.Stdout, TraceReport{TraceID: tr.TraceID, OrderID: id, Spans: spans})
		case FormatJSONL:
			return writeList(env.Stdout, format, spans)
		}
		drawTrace(env.Stdout, id, tr.TraceID, spans, width)
		return nil
	})
	f := cmd.Flags()
	f.StringVar(&jaeger, "jaeger-url", process.Env("JAEGER_URL", "http://127.0.0.1:16686"), "Jaeger's query API (env JAEGER_URL)")
	f.IntVar(&width, "width", 40, "columns of the time bars")
	return cmd
}

// traceOf is the trace ID of the purchase orderID: its order service
// record says when it began, and its first event on Kafka carries the
// trace in its traceparent header.
func traceOf(ctx context.Context, env *Env, orderID string) (string, error) {
	o, err := env.Services.Clients(nil).Orders.Get(ctx, orderID)
	if err != nil {
		return "", err
	}
	brokers, err := env.Services.Kafka()
	if err != nil {
		return "", Usagef("%v", err)
	}
	readCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	id, err := kafkaio.TraceOf(readCtx, brokers, orderID, o.CreatedAt)
	if err != nil {
		return "", fmt.Errorf("cannot read order %s's events from Kafka at %s: %w", orderID, brokers, err)
	}
	if id == "" {
		return "", fmt.Errorf("no event of order %s carries a trace (were the processes started with tracing on?)", orderID)
	}
	return id, nil
}

// jaegerTrace is a trace as the waterfall reads it.
type jaegerTrace struct {
	TraceID string
	Spans   []jaegerSpan
}

type jaegerSpan struct {
	SpanID, ParentID, Service, Name string
	EventType                       string // cloudevents.event_type, on messaging spans
	StartTime, Duration             int64  // µs
}

// otlpTrace is a trace as Jaeger's API v3 returns it: OTLP in JSON.
type otlpTrace struct {
	Result struct {
		ResourceSpans []struct {
			Resource struct {
				Attributes []otlpAttribute `json:"attributes"`
			} `json:"resource"`
			ScopeSpans []struct {
				Spans []struct {
					TraceID      string          `json:"traceId"`
					SpanID       string          `json:"spanId"`
					ParentSpanID string          `json:"parentSpanId"`
					Name         string          `json:"name"`
					Start        json.Number     `json:"startTimeUnixNano"`
					End          json.Number     `json:"endTimeUnixNano"`
					Attributes   []otlpAttribute `json:"attributes"`
				} `json:"spans"`
			} `json:"scopeSpans"`
		} `json:"resourceSpans"`
	} `json:"result"`
}

type otlpAttribute struct {
	Key   string `json:"key"`
	Value struct {
		StringValue string `json:"stringValue"`
	} `json:"value"`
}

func otlpValue(attrs []otlpAttribute, key string) string {
	for _, a := range attrs {
		if a.Key == key {
			return a.Value.StringValue
		}
	}
	return ""
}

// readTrace reads the trace traceID whole from Jaeger's API v3.
func readTrace(ctx context.Context, base, orderID, traceID string) (jaegerTrace, error) {
	var raw otlpTrace
	if err := getJSON(ctx, base+"/api/v3/traces/"+url.PathEscape(traceID), &raw); err != nil {
		return jaegerTrace{}, err
	}
	tr := jaegerTrace{TraceID: traceID}
	for _, rs := range raw.Result.ResourceSpans {
		service := otlpValue(rs.Resource.Attributes, "service.name")
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				start, err1 := strconv.ParseInt(s.Start.String(), 10, 64)
				end, err2 := strconv.ParseInt(s.End.String(), 10, 64)
				if err1 != nil || err2 != nil {
					return jaegerTrace{}, fmt.Errorf("jaeger: span %s of trace %s has no times", s.SpanID, traceID)
				}
				tr.Spans = append(tr.Spans, jaegerSpan{SpanID: s.SpanID, ParentID: s.ParentSpanID, Service: service, Name: s.Name,
					EventType: otlpValue(s.Attributes, "cloudevents.event_type"), StartTime: start / 1000, Duration: (end - start) / 1000})
			}
		}
	}
	if len(tr.Spans) == 0 {
		return jaegerTrace{}, fmt.Errorf("jaeger at %s has no trace %s of order %s (yet: spans are exported in batches)", base, traceID, orderID)
	}
	return tr, nil
}

func getJSON(ctx context.Context, u string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach Jaeger: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return fmt.Errorf("read Jaeger's answer: %w", err)
	}
	if resp.StatusCode == http.StatusNotFound {
		return nil // no such trace: out stays empty
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("jaeger: GET %s: %s", u, resp.Status)
	}
	return json.Unmarshal(body, out)
}

// TraceReport is what trace -o json prints.
type TraceReport struct {
	TraceID string      `json:"trace_id"`
	OrderID string      `json:"order_id"`
	Spans   []TraceSpan `json:"spans"`
}

// TraceSpan is one span of the waterfall, in the order drawn: each under
// its parent, siblings by start.
type TraceSpan struct {
	SpanID   string `json:"span_id"`
	ParentID string `json:"parent_id,omitempty"`
	Depth    int    `json:"depth"` // how deep under its root
	Service  string `json:"service"`
	Name     string `json:"name"`
	StartUS  int64  `json:"start_us"` // since the trace's first span began
	Duration int64  `json:"duration_us"`
}

// waterfall orders tr's spans under their parents, in start order.
func waterfall(tr jaegerTrace) []TraceSpan {
	if len(tr.Spans) == 0 {
		return nil
	}
	start := tr.Spans[0].StartTime
	index := map[string]int{}
	for i, s := range tr.Spans {
		start = min(start, s.StartTime)
		index[s.SpanID] = i
	}
	children := map[int][]int{}
	parents := map[int]string{}
	var roots []int
	for i, s := range tr.Spans {
		parent := -1
		if j, ok := index[s.ParentID]; ok && s.ParentID != "" {
			parent = j
		}
		if parent < 0 {
			roots = append(roots, i)
		} else {
			children[parent] = append(children[parent], i)
			parents[i] = tr.Spans[parent].SpanID
		}
	}
	byStart := func(a, b int) int { return int(tr.Spans[a].StartTime - tr.Spans[b].StartTime) }
	out := make([]TraceSpan, 0, len(tr.Spans))
	var walk func(i, depth int)
	walk = func(i, depth int) {
		s := tr.Spans[i]
		// A messaging span is named for its topic ("process order.events");
		// its event's type, an attribute, says which step it is.
		name := s.Name
		if s.EventType != "" {
			name += " " + string(events.ParseType(s.EventType))
		}
		out = append(out, TraceSpan{SpanID: s.SpanID, ParentID: parents[i], Depth: depth, Service: s.Service,
			Name: name, StartUS: s.StartTime - start, Duration: s.Duration})
		kids := children[i]
		slices.SortFunc(kids, byStart)
		for _, k := range kids {
			walk(k, depth+1)
		}
	}
	slices.SortFunc(roots, byStart)
	for _, r := range roots {
		walk(r, 0)
	}
	return out
}

// drawTrace writes the spans of the waterfall, each with its start, its
// duration and a bar on the trace's time line.
func drawTrace(w io.Writer, orderID, traceID string, spans []TraceSpan, width int) {
	if len(spans) == 0 {
		fmt.Fprintf(w, "trace %s: no spans\n", traceID)
		return
	}
	var end int64
	for _, s := range spans {
		end = max(end, s.StartUS+s.Duration)
	}
	total := max(end, 1)
	fmt.Fprintf(w, "trace %s  order %s  %d spans  %s\n", traceID, orderID, len(spans), time.Duration(total)*time.Microsecond)
	for _, s := range spans {
		from := int(s.StartUS * int64(width) / total)
		to := max(from+1, int((s.StartUS+s.Duration)*int64(width)/total))
		bar := strings.Repeat(" ", from) + strings.Repeat("█", min(to, width)-from) + strings.Repeat(" ", max(width-to, 0))
		fmt.Fprintf(w, "%9s %9s |%s| %-9s %s%s\n", ms(s.StartUS), ms(s.Duration), bar, s.Service, strings.Repeat("  ", s.Depth), s.Name)
	}
}

func ms(us int64) string { return fmt.Sprintf("%.1fms", float64(us)/1000) }
