package faults

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sagaforge/saga/internal/platform/fault"
)

var quiet = slog.New(slog.DiscardHandler)

// ops are the operations the tests' plans name, at their routes.
var ops = []Op{{"create", "POST /orders"}, {"reserve", "POST /reservations"}, {"charge", "POST /payments"},
	{"approve", "POST /orders/{order_id}/approve"}, {"release", "POST /reservations/{order_id}/release"},
	{"refund", "POST /payments/{order_id}/refund"}}

func TestParseRefusesWhatItCannotRun(t *testing.T) {
	for _, spec := range []string{"reserve=after", "teleport@o-1=after", "reserve@o-1=sometimes", "reserve@o-1=down", "reserve@o-1=after:1s", "reserve@=after"} {
		if _, err := ParsePlan(spec, ops); err == nil {
			t.Errorf("ParsePlan(%q) accepted it", spec)
		}
	}
	if p, err := ParsePlan(" ", ops); err != nil || !p.Empty() {
		t.Fatalf("empty spec: %v, %v", p, err)
	}
}

func TestEachKindFiresAsDocumented(t *testing.T) {
	p, err := ParsePlan("reserve@o-1=before,charge@o-1=after,approve@o-1=down:50ms,refund@o-1=hold:20ms", ops)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	worked := 0
	work := func() error { worked++; return nil }

	if err := p.Do(ctx, quiet, "reserve", "o-1", work); !errors.Is(err, fault.ErrUnavailable) || worked != 0 {
		t.Fatalf("before: %v, worked %d", err, worked)
	}
	if err := p.Do(ctx, quiet, "reserve", "o-1", work); err != nil || worked != 1 {
		t.Fatalf("before fires once: %v, worked %d", err, worked)
	}
	if err := p.Do(ctx, quiet, "charge", "o-1", work); !errors.Is(err, fault.ErrUnavailable) || worked != 2 {
		t.Fatalf("after: %v, worked %d; want the work done and the answer lost", err, worked)
	}
	if err := p.Do(ctx, quiet, "reserve", "o-2", work); err != nil || worked != 3 {
		t.Fatalf("another order: %v", err)
	}
	start := time.Now()
	for p.Do(ctx, quiet, "approve", "o-1", work) != nil {
		if time.Since(start) > 5*time.Second {
			t.Fatal("down never ended")
		}
	}
	if time.Since(start) < 50*time.Millisecond {
		t.Fatalf("down ended after %s, want 50ms", time.Since(start))
	}
	start = time.Now()
	if err := p.Do(ctx, quiet, "refund", "o-1", work); err != nil || time.Since(start) < 20*time.Millisecond {
		t.Fatalf("hold: %v after %s", err, time.Since(start))
	}
}

func TestHTTPFindsTheOperationAndTheOrder(t *testing.T) {
	p, err := ParsePlan("create@o-9=after,release@o-9=before", ops)
	if err != nil {
		t.Fatal(err)
	}
	var handled []string
	srv := httptest.NewServer(p.Wrap(quiet, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handled = append(handled, r.URL.Path)
		w.WriteHeader(http.StatusCreated)
	})))
	defer srv.Close()
	post := func(path, body string) int {
		resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post("/orders", `{"order_id":"o-9"}`); got != http.StatusServiceUnavailable || len(handled) != 1 {
		t.Fatalf("create after: %d, handled %v", got, handled)
	}
	if got := post("/orders", `{"order_id":"o-9"}`); got != http.StatusCreated {
		t.Fatalf("second create: %d", got)
	}
	if got := post("/reservations/o-9/release", ``); got != http.StatusServiceUnavailable || len(handled) != 2 {
		t.Fatalf("release before: %d, handled %v", got, handled)
	}
}
