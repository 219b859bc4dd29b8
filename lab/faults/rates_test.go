package faults_test

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/platform/web"
	"github.com/sagaforge/saga/internal/platform/web/webtest"
	"github.com/sagaforge/saga/lab/faults"
)

func TestParseFaultsRefusesNonsense(t *testing.T) {
	for _, spec := range []string{"POST /x", "POST /x=2", "POST /x=-0.1", "x=0.1", "POST x=0.1", "*=0.1:soon", "*=abc"} {
		if _, err := faults.ParseRates(spec); err == nil {
			t.Errorf("faults.ParseRates(%q) accepted it", spec)
		}
	}
}

func TestFaultsFailBeforeOrAfterTheWork(t *testing.T) {
	f, err := faults.ParseRates("POST /payments=1, GET /x=0")
	if err != nil {
		t.Fatal(err)
	}
	handled := 0
	h := f.Wrap(slog.New(slog.DiscardHandler), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handled++
		w.WriteHeader(http.StatusOK)
	}))
	const n = 200
	for range n {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/payments/o-1/refund", nil))
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Content-Type") != "application/problem+json" {
			t.Fatalf("rate 1: got %d %q", rec.Code, rec.Header().Get("Content-Type"))
		}
	}
	// Both kinds happen: some requests did the work before failing.
	if handled == 0 || handled == n || f.Injected.Load() != n {
		t.Fatalf("handled %d of %d failed requests, injected %d; want some before and some after the work", handled, n, f.Injected.Load())
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/x", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("rate 0 failed a request: %d", rec.Code)
	}
	// Probes and scrapes pass even under a rule for every path.
	all, err := faults.ParseRates("*=1")
	if err != nil {
		t.Fatal(err)
	}
	h = all.Wrap(slog.New(slog.DiscardHandler), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
	for _, path := range []string{"/healthz", "/metrics"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK {
			t.Errorf("GET %s under *=1: %d, want it untouched", path, rec.Code)
		}
	}
}

func TestUnroutedRequestsAreProblems(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /things/{id}", func(w http.ResponseWriter, r *http.Request) {})
	srv := httptest.NewServer(web.Middleware(slog.New(slog.DiscardHandler), "", mux))
	defer srv.Close()
	for _, tc := range []struct {
		method, path string
		status       int
		code         string
	}{
		{"GET", "/nowhere", http.StatusNotFound, "not-found"},
		{"POST", "/things/1", http.StatusMethodNotAllowed, "method-not-allowed"},
	} {
		status, p := webtest.Send(t, tc.method, srv.URL+tc.path, "", "")
		if status != tc.status || p.Code != tc.code {
			t.Errorf("%s %s: %d %+v, want %d %s", tc.method, tc.path, status, p, tc.status, tc.code)
		}
	}
}

// A 503 says when to try again (Retry-After), and a client reads it into
// the problem; a refusal, which no wait will change, says nothing of it.
func TestUnavailableAnswersSayWhenToRetry(t *testing.T) {
	f, err := faults.ParseRates("*=1")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(f.Wrap(slog.New(slog.DiscardHandler), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		web.WriteProblem(w, r, web.ProblemFrom(fault.ErrOutOfStock))
	})))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/stock")
	if err != nil {
		t.Fatal(err)
	}
	err = web.ReadResponse(resp, nil)
	resp.Body.Close()
	var p *web.Problem
	if !errors.As(err, &p) || p.Status != http.StatusServiceUnavailable || p.RetryAfter != web.RetryAfter || resp.Header.Get("Retry-After") != "1" {
		t.Fatalf("injected 503: %v, Retry-After %q", err, resp.Header.Get("Retry-After"))
	}
	rec := httptest.NewRecorder()
	web.WriteProblem(rec, httptest.NewRequest(http.MethodPost, "/reservations", nil), web.ProblemFrom(fault.ErrOutOfStock))
	if rec.Code != http.StatusConflict || rec.Header().Get("Retry-After") != "" {
		t.Fatalf("out of stock: %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
}
