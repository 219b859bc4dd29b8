package money

import "testing"

func TestStringAndParseRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		in   Cents
		text string
	}{{0, "0.00"}, {5, "0.05"}, {9980, "99.80"}, {1000000, "10000.00"}, {-150, "-1.50"}} {
		if got := tc.in.String(); got != tc.text {
			t.Errorf("Cents(%d).String() = %q, want %q", tc.in, got, tc.text)
		}
		if tc.in < 0 {
			continue
		}
		back, err := Parse(tc.text)
		if err != nil || back != tc.in {
			t.Errorf("Parse(%q) = %d, %v; want %d", tc.text, back, err, tc.in)
		}
	}
}

func TestParseRejectsMalformed(t *testing.T) {
	for _, s := range []string{"", ".5", "1.", "1.234", "abc", "-3", "1.x"} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) accepted malformed input", s)
		}
	}
	if c, err := Parse("49.9"); err != nil || c != 4990 {
		t.Errorf("Parse(49.9) = %d, %v", c, err)
	}
}
