// Package orderid makes and checks order IDs, the key every service uses for
// idempotency and every event carries as its subject.
package orderid

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"

	"github.com/sagaforge/saga/platform/fault"
)

var pattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// New returns a fresh random order ID such as "ord-3f9a1c0b7d2e4a65".
func New() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	return "ord-" + hex.EncodeToString(b[:])
}

// Validate refuses IDs that are empty, longer than 64 characters or hold
// anything but letters, digits, '-' and '_'.
func Validate(id string) error {
	if !pattern.MatchString(id) {
		return fmt.Errorf("%w: order ID %q must be 1-64 letters, digits, '-' or '_'", fault.ErrInvalid, id)
	}
	return nil
}
