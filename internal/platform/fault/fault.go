// Package fault names the ways a request can fail and, in one table, what
// each failure means to the saga. Services wrap these sentinels with details;
// the HTTP layer, the activities, the workflow and the event consumers all
// read the same table (Meanings), so a refusal means the same thing whichever
// way the saga runs.
package fault

import (
	"errors"
	"net/http"
)

var (
	// ErrInvalid is bad input: the request is refused and nothing is written.
	ErrInvalid = errors.New("invalid request")
	// ErrNotFound is an unknown resource.
	ErrNotFound = errors.New("not found")
	// ErrOutOfStock is the business refusal to reserve stock that is not there.
	ErrOutOfStock = errors.New("out of stock")
	// ErrInsufficientFunds is the business refusal to charge more than the balance.
	ErrInsufficientFunds = errors.New("insufficient funds")
	// ErrIllegalTransition is a state change the resource's state machine
	// forbids, such as approving a cancelled order, or releasing the stock
	// of an order that is approved.
	ErrIllegalTransition = errors.New("illegal state transition")
	// ErrCompensated refuses an action whose compensation already ran (or left
	// a tombstone): the late action must not take effect.
	ErrCompensated = errors.New("already compensated")
	// ErrIdempotencyConflict is a repeat of a keyed request with a different
	// body: the key belongs to another request, which is left alone.
	ErrIdempotencyConflict = errors.New("idempotency key reused with a different request")
	// ErrUnauthorized is a missing or wrong service token. It says nothing
	// about the order: it is a configuration fault (a token being rotated),
	// so the same call is retried, and a compensation keeps trying until
	// the token is right again.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrUnavailable is a transient failure: the service could not answer
	// now (restarting, overloaded, an injected fault). Whether the work was
	// done is unknown; asking again is safe because every call is idempotent.
	ErrUnavailable = errors.New("service unavailable")
)

// Meaning is what one failure means to every part of the saga.
type Meaning struct {
	Err    error  // the sentinel services wrap
	Code   string // the problem code on the wire (problem+json "code")
	Status int    // the HTTP status
	Title  string // the problem title
	// ErrType is the Temporal application error type an activity fails
	// with; recorded histories hold these names, so they never change.
	ErrType string
	// Retryable: the same call may succeed later. Every refusal about the
	// order is final; an outage (ErrUnavailable) and a token the service
	// does not accept (ErrUnauthorized) are worth another try.
	Retryable bool
	// NoEffect: the call changed nothing the saga must undo, so the step's
	// compensation is dropped again. A refusal leaves no effect by design:
	// out of stock and declined are recorded as REJECTED and DECLINED,
	// never as a hold.
	NoEffect bool
	// Event: the service recorded the refusal and published its event, and
	// that event carries a choreographed saga on (to its compensations). A
	// consumer that meets such a refusal acknowledges the event; a final
	// refusal without one becomes a dead letter, which fails the saga.
	Event bool
}

// Meanings is the table. Its order is the order docs/failures.md shows.
var Meanings = []Meaning{
	{ErrInvalid, "invalid-request", http.StatusBadRequest, "Invalid request", "InvalidOrder", false, true, false},
	{ErrUnauthorized, "unauthorized", http.StatusUnauthorized, "Unauthorized", "Unauthorized", true, true, false},
	{ErrNotFound, "not-found", http.StatusNotFound, "Not found", "NotFound", false, true, false},
	{ErrInsufficientFunds, "insufficient-funds", http.StatusPaymentRequired, "Payment declined", "PaymentDeclined", false, true, true},
	{ErrOutOfStock, "out-of-stock", http.StatusConflict, "Out of stock", "OutOfStock", false, true, true},
	{ErrIllegalTransition, "illegal-transition", http.StatusConflict, "Illegal state transition", "IllegalTransition", false, true, true},
	{ErrCompensated, "already-compensated", http.StatusConflict, "Already compensated", "AlreadyCompensated", false, true, true},
	{ErrIdempotencyConflict, "idempotency-conflict", http.StatusConflict, "Idempotency key reused", "IdempotencyConflict", false, true, false},
	{ErrUnavailable, "unavailable", http.StatusServiceUnavailable, "Service unavailable", "Unavailable", true, false, false},
}

// Of returns the meaning of the sentinel err wraps, if any.
func Of(err error) (Meaning, bool) {
	if err == nil {
		return Meaning{}, false
	}
	for _, m := range Meanings {
		if errors.Is(err, m.Err) {
			return m, true
		}
	}
	return Meaning{}, false
}

// ByCode returns the meaning of a problem code.
func ByCode(code string) (Meaning, bool) {
	for _, m := range Meanings {
		if m.Code == code {
			return m, true
		}
	}
	return Meaning{}, false
}

// ByType returns the meaning of a Temporal application error type.
func ByType(errType string) (Meaning, bool) {
	for _, m := range Meanings {
		if m.ErrType == errType {
			return m, true
		}
	}
	return Meaning{}, false
}

// TypeOf is the Temporal application error type of a sentinel, "" for an
// error that is none of them.
func TypeOf(err error) string {
	m, _ := Of(err)
	return m.ErrType
}
