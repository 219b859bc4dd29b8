// Package web is the HTTP the services and their clients share. Services
// write refusals as RFC 9457 application/problem+json and clients read them
// back into errors that still match the fault sentinels with errors.Is; a
// service's API runs with graceful shutdown, panic recovery, an access log
// and the optional bearer token; lists come in keyset pages.
package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/sagaforge/saga/internal/platform/fault"
)

// ProblemContentType is the media type of a problem document.
const ProblemContentType = "application/problem+json"

// Problem is an RFC 9457 problem document. Code is our extension member: a
// stable machine-readable name of the refusal.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	Code     string `json:"code"`
	// RetryAfter is the answer's Retry-After, when it had one: how long
	// the server asked a client to wait before trying again.
	RetryAfter time.Duration `json:"-"`
}

func (p *Problem) Error() string {
	if p.Detail != "" {
		return fmt.Sprintf("%s (%d %s): %s", p.Title, p.Status, p.Code, p.Detail)
	}
	return fmt.Sprintf("%s (%d %s)", p.Title, p.Status, p.Code)
}

// Unwrap returns the fault sentinel the code stands for, so a client can test
// errors.Is(err, fault.ErrOutOfStock) on an error that crossed the wire.
func (p *Problem) Unwrap() error {
	if m, ok := fault.ByCode(p.Code); ok {
		return m.Err
	}
	if p.Status == http.StatusServiceUnavailable {
		return fault.ErrUnavailable
	}
	return nil
}

// Retryable tells whether the same request may succeed later: server errors
// and throttling, not refusals.
func (p *Problem) Retryable() bool {
	return p.Status >= 500 || p.Status == http.StatusTooManyRequests || p.Status == http.StatusRequestTimeout
}

// TypeURI is the problem type of a code; docs/failures.md describes each one.
func ProblemType(code string) string { return "urn:sagaforge:problem:" + code }

// From turns an error into the problem to send: a fault sentinel becomes its
// problem (fault.Meanings), anything else a 500 that hides internals from the
// caller.
func ProblemFrom(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	if m, ok := fault.Of(err); ok {
		return &Problem{Type: ProblemType(m.Code), Title: m.Title, Status: m.Status, Detail: err.Error(), Code: m.Code}
	}
	return &Problem{Type: ProblemType("internal"), Title: "Internal error", Status: http.StatusInternalServerError,
		Detail: "the service failed to handle the request; it is safe to retry", Code: "internal"}
}

// Invalid is the problem for bad input.
func Invalid(format string, args ...any) *Problem {
	return ProblemFrom(fmt.Errorf("%w: "+format, append([]any{fault.ErrInvalid}, args...)...))
}

// RetryAfter is what a 503 or 429 answer asks a client to wait.
const RetryAfter = time.Second

// Write sends p as application/problem+json.
func WriteProblem(w http.ResponseWriter, r *http.Request, p *Problem) {
	if p.Instance == "" && r != nil {
		p.Instance = r.URL.Path
	}
	w.Header().Set("Content-Type", ProblemContentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if p.Status == http.StatusServiceUnavailable || p.Status == http.StatusTooManyRequests {
		// The same request may succeed soon (RFC 9110): say when to try.
		w.Header().Set("Retry-After", strconv.Itoa(int(RetryAfter/time.Second)))
	}
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}
