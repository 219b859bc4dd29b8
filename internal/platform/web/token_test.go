package web

import (
	"strings"
	"testing"
)

func TestATokenSettingHoldsOneOrTwoTokens(t *testing.T) {
	for setting, want := range map[string]string{
		"":           "",
		"a":          "a",
		"new,old":    "new old",
		"a,b,c":      "at most two",
		"new, old":   "spaces",
		"new,":       "empty",
		",old":       "empty",
		" leading":   "spaces",
		"trailing ":  "spaces",
		"new,,older": "at most two",
	} {
		tokens, err := Tokens(setting)
		got := strings.Join(tokens, " ")
		if err != nil {
			got = err.Error()
		}
		if !strings.Contains(got, want) || (want == "" && got != "") {
			t.Errorf("Tokens(%q) = %q, want %q", setting, got, want)
		}
	}
	if got := sent("new,old"); got != "new" {
		t.Errorf("a client sends %q, want the first", got)
	}
}
