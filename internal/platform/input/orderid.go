// Package input holds the rules for what callers may send, so that the
// starter and the services refuse the same input in the same words: order
// IDs (the key every service uses for idempotency and every event carries as
// its subject), lists of SKUs and quantities, names, and free-text reasons.
package input

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"

	"github.com/sagaforge/saga/internal/platform/fault"
)

var orderIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// NewOrderID returns a fresh random order ID such as "ord-3f9a1c0b7d2e4a65".
func NewOrderID() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	return "ord-" + hex.EncodeToString(b[:])
}

// ValidateOrderID refuses IDs that are empty, longer than 64 characters or hold
// anything but letters, digits, '-' and '_'.
func ValidateOrderID(id string) error {
	if !orderIDPattern.MatchString(id) {
		return fmt.Errorf("%w: order ID %q must be 1-64 letters, digits, '-' or '_'", fault.ErrInvalid, id)
	}
	return nil
}
