// Package fault names the ways a request can be refused. Services wrap these
// sentinels with details; the HTTP layer maps them to problem codes and the
// client maps the codes back, so errors.Is works on both sides of the wire.
package fault

import "errors"

var (
	// ErrInvalid is bad input: the request is refused and nothing is written.
	ErrInvalid = errors.New("invalid request")
	// ErrNotFound is an unknown resource.
	ErrNotFound = errors.New("not found")
	// ErrOutOfStock is the business refusal to reserve stock that is not there.
	ErrOutOfStock = errors.New("out of stock")
	// ErrInsufficientFunds is the business refusal to charge more than the balance.
	ErrInsufficientFunds = errors.New("insufficient funds")
	// ErrIllegalTransition is a state change the resource's state machine forbids.
	ErrIllegalTransition = errors.New("illegal state transition")
	// ErrCompensated refuses an action whose compensation already ran (or left
	// a tombstone): the late action must not take effect.
	ErrCompensated = errors.New("already compensated")
	// ErrIdempotencyConflict is a repeat of a keyed request with a different body.
	ErrIdempotencyConflict = errors.New("idempotency key reused with a different request")
	// ErrUnauthorized is a missing or wrong service token.
	ErrUnauthorized = errors.New("unauthorized")
)
