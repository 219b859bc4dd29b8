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

	"github.com/sagaforge/saga/platform/process"
)

// newTraceCmd is the trace command: it finds a purchase's trace in Jaeger
// (its query API) and draws the spans as a waterfall, nested by parent,
// with each process's name, so that a choreographed saga can be seen whole.
func newTraceCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{Use: "trace ORDER_ID", Short: "draw a purchase's trace from Jaeger as a waterfall, in either mode", Args: orderIDArg}
	f := cmd.Flags()
	jaeger := f.String("jaeger-url", process.Env("JAEGER_URL", "http://127.0.0.1:16686"), "Jaeger's query API (env JAEGER_URL)")
	width := f.Int("width", 40, "columns of the time bars")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if *width < 10 || *width > 200 {
			return usagef("--width must be from 10 to 200, got %d", *width)
		}
		tr, err := findTrace(cmd.Context(), strings.TrimRight(*jaeger, "/"), args[0])
		if err != nil {
			return err
		}
		drawTrace(env.Stdout, args[0], tr, *width)
		return nil
	}
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

// drawTrace writes the spans in start order under their parents, each
// with its start, its duration and a bar on the trace's time line.
func drawTrace(w io.Writer, orderID string, tr jaegerTrace, width int) {
	if len(tr.Spans) == 0 {
		fmt.Fprintf(w, "trace %s: no spans\n", tr.TraceID)
		return
	}
	start, end := tr.Spans[0].StartTime, int64(0)
	index := map[string]int{}
	for i, s := range tr.Spans {
		start, end = min(start, s.StartTime), max(end, s.StartTime+s.Duration)
		index[s.SpanID] = i
	}
	children := map[int][]int{}
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
		}
	}
	byStart := func(a, b int) int { return int(tr.Spans[a].StartTime - tr.Spans[b].StartTime) }
	total := max(end-start, 1)
	fmt.Fprintf(w, "trace %s  order %s  %d spans  %s\n", tr.TraceID, orderID, len(tr.Spans), time.Duration(total)*time.Microsecond)
	var walk func(i, depth int)
	walk = func(i, depth int) {
		s := tr.Spans[i]
		from := int((s.StartTime - start) * int64(width) / total)
		to := max(from+1, int((s.StartTime+s.Duration-start)*int64(width)/total))
		bar := strings.Repeat(" ", from) + strings.Repeat("█", min(to, width)-from) + strings.Repeat(" ", max(width-to, 0))
		fmt.Fprintf(w, "%9s %9s |%s| %-9s %s%s\n", ms(s.StartTime-start), ms(s.Duration), bar,
			tr.Processes[s.ProcessID].ServiceName, strings.Repeat("  ", depth), s.OperationName)
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
}

func ms(us int64) string { return fmt.Sprintf("%.1fms", float64(us)/1000) }
