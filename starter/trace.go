package starter

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/platform/process"
)

// newTraceCmd is the trace command: it finds a purchase's trace in Jaeger
// (its query API) and draws the spans as a waterfall, nested by parent,
// with each process's name, so that a choreographed saga can be seen whole.
func newTraceCmd(env *Env) *cobra.Command {
	var jaeger string
	var width int
	cmd := orderCommand(env, "trace", "draw a purchase's trace from Jaeger as a waterfall, in either mode", func(ctx context.Context, id, format string) error {
		if width < 10 || width > 200 {
			return Usagef("--width must be from 10 to 200, got %d", width)
		}
		tr, err := findTrace(ctx, strings.TrimRight(jaeger, "/"), id)
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

// jaegerTrace is a trace as Jaeger's query API returns it.
type jaegerTrace struct {
	TraceID string `json:"traceID"`
	Spans   []struct {
		SpanID        string `json:"spanID"`
		OperationName string `json:"operationName"`
		References    []struct {
			RefType string `json:"refType"`
			SpanID  string `json:"spanID"`
		} `json:"references"`
		StartTime int64  `json:"startTime"` // µs since the epoch
		Duration  int64  `json:"duration"`  // µs
		ProcessID string `json:"processID"`
		Tags      []struct {
			Key   string `json:"key"`
			Value any    `json:"value"`
		} `json:"tags"`
	} `json:"spans"`
	Processes map[string]struct {
		ServiceName string `json:"serviceName"`
	} `json:"processes"`
}

// findTrace asks Jaeger for the trace that holds the order's spans: the
// starter's purchase span, else the order service's publish spans, which
// carry the order ID in both modes.
func findTrace(ctx context.Context, base, orderID string) (jaegerTrace, error) {
	tags, _ := json.Marshal(map[string]string{"saga.order_id": orderID})
	for _, service := range []string{"starter", "order"} {
		q := url.Values{"service": {service}, "tags": {string(tags)}, "lookback": {"7d"}, "limit": {"1"}}
		var found struct {
			Data []jaegerTrace `json:"data"`
		}
		if err := getJSON(ctx, base+"/api/traces?"+q.Encode(), &found); err != nil {
			return jaegerTrace{}, err
		}
		if len(found.Data) > 0 {
			// A search may return part of a trace; read it whole.
			var whole struct {
				Data []jaegerTrace `json:"data"`
			}
			if err := getJSON(ctx, base+"/api/traces/"+url.PathEscape(found.Data[0].TraceID), &whole); err != nil {
				return jaegerTrace{}, err
			}
			if len(whole.Data) > 0 {
				return whole.Data[0], nil
			}
		}
	}
	return jaegerTrace{}, fmt.Errorf("jaeger at %s has no trace of order %s (were the processes started with OTEL_EXPORTER_OTLP_ENDPOINT?)", base, orderID)
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
		for _, r := range s.References {
			if j, ok := index[r.SpanID]; ok && r.RefType == "CHILD_OF" {
				parent = j
			}
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
		name := s.OperationName
		for _, tag := range s.Tags {
			if typ, ok := tag.Value.(string); ok && tag.Key == "cloudevents.event_type" {
				name += " " + string(events.ParseType(typ))
			}
		}
		out = append(out, TraceSpan{SpanID: s.SpanID, ParentID: parents[i], Depth: depth, Service: tr.Processes[s.ProcessID].ServiceName,
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
