package input

// The rule for the free-text reasons a saga carries (why an order was
// cancelled, why stock was released): the only text a caller writes into
// the services' databases verbatim.

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxReasonBytes bounds a reason; Clean cuts a longer one at a rune boundary.
const MaxReasonBytes = 512

// CleanReason makes s fit to store and to log: control characters become spaces
// (PostgreSQL cannot store NUL, and a newline or an escape would forge log
// lines), invalid UTF-8 becomes U+FFFD, and the result is trimmed and cut to
// MaxReasonBytes. It never refuses: a compensation carries a reason built from an
// error message, and a compensation must not fail on its wording.
func CleanReason(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) > MaxReasonBytes {
		cut := MaxReasonBytes
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = strings.TrimSpace(s[:cut])
	}
	return s
}
