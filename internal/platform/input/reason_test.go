package input

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCleanReason(t *testing.T) {
	for in, want := range map[string]string{
		"  card declined  ":    "card declined",
		"":                     "",
		"naïve café ☕":         "naïve café ☕",
		"bad\x00reason":        "bad reason",
		"forged\nlevel=ERROR":  "forged level=ERROR",
		"escape \x1b[31m red":  "escape  [31m red",
		"broken \xff\xfe utf8": "broken \uFFFD utf8",
	} {
		if got := CleanReason(in); got != want {
			t.Errorf("CleanReason(%q) = %q, want %q", in, got, want)
		}
	}
	got := CleanReason(strings.Repeat("é", 400)) // 800 bytes
	if len(got) > MaxReasonBytes || !utf8.ValidString(got) || len(got) < MaxReasonBytes-1 {
		t.Errorf("Clean of 800 bytes: %d bytes, valid UTF-8 %v", len(got), utf8.ValidString(got))
	}
}
