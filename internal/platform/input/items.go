package input

// The shape rules every list of SKUs and quantities obeys: an order, a
// reservation, a purchase.

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/sagaforge/saga/internal/platform/fault"
)

const (
	// MaxLines bounds a cart: a purchase is a cart, not a catalog dump.
	MaxLines = 50
	// MaxQuantity bounds one line.
	MaxQuantity = 10_000
)

var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ValidateName checks an identifier such as a customer ID or a SKU; what
// names it in the message.
func ValidateName(what, value string) error {
	if !namePattern.MatchString(value) {
		return fmt.Errorf("%w: %s %q must be 1-64 letters, digits, '.', '-' or '_'", fault.ErrInvalid, what, value)
	}
	return nil
}

// Item is one SKU and its quantity: a line of a purchase, an order, a
// reservation and their events.
type Item struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

// ValidateItems refuses an empty cart, too many lines, a malformed SKU, a
// quantity out of range and the same SKU twice (a client bug we would rather
// surface than sum). noun names the cart in messages, e.g. "an order".
func ValidateItems(noun string, items []Item) error {
	if len(items) == 0 {
		return fmt.Errorf("%w: %s needs at least one item", fault.ErrInvalid, noun)
	}
	if len(items) > MaxLines {
		return fmt.Errorf("%w: %s holds at most %d lines, got %d", fault.ErrInvalid, noun, MaxLines, len(items))
	}
	seen := make(map[string]bool, len(items))
	for _, l := range items {
		if err := ValidateName("SKU", l.SKU); err != nil {
			return err
		}
		if l.Quantity <= 0 || l.Quantity > MaxQuantity {
			return fmt.Errorf("%w: quantity of %s must be a whole number from 1 to %d, got %d", fault.ErrInvalid, l.SKU, MaxQuantity, l.Quantity)
		}
		if seen[l.SKU] {
			return fmt.Errorf("%w: %s is given twice; give it once with the total quantity", fault.ErrInvalid, l.SKU)
		}
		seen[l.SKU] = true
	}
	return nil
}

// Describe says what items are in a few words, for summaries and
// timelines: "2 x SKU-1, 1 x SKU-2".
func Describe(items []Item) string {
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = fmt.Sprintf("%d x %s", it.Quantity, it.SKU)
	}
	return strings.Join(parts, ", ")
}
