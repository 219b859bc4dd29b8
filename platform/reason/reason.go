// Package reason holds the rule for the free-text reasons a saga carries
// (why an order was cancelled, why stock was released): the only text a
// caller writes into the services' databases verbatim.
package reason

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxBytes bounds a reason; Clean cuts a longer one at a rune boundary.
const MaxBytes = 512

// Clean makes s fit to store and to log: control characters become spaces
// (PostgreSQL cannot store NUL, and a newline or an escape would forge log
// lines), invalid UTF-8 becomes U+FFFD, and the result is trimmed and cut to
// MaxBytes. It never refuses: a compensation carries a reason built from an
// error message, and a compensation must not fail on its wording.
func Clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) > MaxBytes {
		cut := MaxBytes
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = strings.TrimSpace(s[:cut])
	}
	return s
}
