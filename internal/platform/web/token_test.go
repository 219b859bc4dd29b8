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
	if err := Guarded("0.0.0.0:8081", "a,b,c", ""); err == nil || !strings.Contains(err.Error(), "at most two") {
		t.Errorf("Guarded with three tokens: %v, want it refused", err)
	}
	if got := sent("new,old"); got != "new" {
		t.Errorf("a client sends %q, want the first", got)
	}
}
