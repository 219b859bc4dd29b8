package money

import "testing"

func TestString(t *testing.T) {
	for _, tc := range []struct {
		in   Cents
		text string
	}{{0, "0.00"}, {5, "0.05"}, {9980, "99.80"}, {1000000, "10000.00"}, {-150, "-1.50"}} {
		if got := tc.in.String(); got != tc.text {
			t.Errorf("Cents(%d).String() = %q, want %q", tc.in, got, tc.text)
		}
	}
}
