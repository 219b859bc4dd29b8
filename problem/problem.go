// Package problem speaks RFC 9457 problem details over HTTP: services write
// refusals as application/problem+json, clients read them back into errors
// that still match the fault sentinels with errors.Is.
package problem

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/sagaforge/saga/fault"
)

// ContentType is the media type of a problem document.
const ContentType = "application/problem+json"

// Problem is an RFC 9457 problem document. Code is our extension member: a
// stable machine-readable name of the refusal.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	Code     string `json:"code"`
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
	for _, k := range kinds {
		if k.code == p.Code {
			return k.sentinel
		}
	}
	return nil
}

// Retryable tells whether the same request may succeed later: server errors
// and throttling, not refusals.
func (p *Problem) Retryable() bool {
	return p.Status >= 500 || p.Status == http.StatusTooManyRequests || p.Status == http.StatusRequestTimeout
}

type kind struct {
	sentinel error
	status   int
	code     string
	title    string
}

var kinds = []kind{
	{fault.ErrInvalid, http.StatusBadRequest, "invalid-request", "Invalid request"},
	{fault.ErrUnauthorized, http.StatusUnauthorized, "unauthorized", "Unauthorized"},
	{fault.ErrNotFound, http.StatusNotFound, "not-found", "Not found"},
	{fault.ErrInsufficientFunds, http.StatusPaymentRequired, "insufficient-funds", "Payment declined"},
	{fault.ErrOutOfStock, http.StatusConflict, "out-of-stock", "Out of stock"},
	{fault.ErrIllegalTransition, http.StatusConflict, "illegal-transition", "Illegal state transition"},
	{fault.ErrCompensated, http.StatusConflict, "already-compensated", "Already compensated"},
	{fault.ErrIdempotencyConflict, http.StatusConflict, "idempotency-conflict", "Idempotency key reused"},
}

// TypeURI is the problem type of a code; docs/problems.md describes each one.
func TypeURI(code string) string { return "urn:sagaforge:problem:" + code }

// From turns an error into the problem to send: a fault sentinel becomes its
// refusal, anything else a 500 that hides internals from the caller.
func From(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	for _, k := range kinds {
		if errors.Is(err, k.sentinel) {
			return &Problem{Type: TypeURI(k.code), Title: k.title, Status: k.status, Detail: err.Error(), Code: k.code}
		}
	}
	return &Problem{Type: TypeURI("internal"), Title: "Internal error", Status: http.StatusInternalServerError,
		Detail: "the service failed to handle the request; it is safe to retry", Code: "internal"}
}

// Invalid is the problem for bad input.
func Invalid(format string, args ...any) *Problem {
	return From(fmt.Errorf("%w: "+format, append([]any{fault.ErrInvalid}, args...)...))
}

// Write sends p as application/problem+json.
func Write(w http.ResponseWriter, r *http.Request, p *Problem) {
	if p.Instance == "" && r != nil {
		p.Instance = r.URL.Path
	}
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}
