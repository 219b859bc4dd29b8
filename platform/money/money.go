// Package money holds amounts as integer minor units, never floats.
package money

import (
	"fmt"
	"strconv"
	"strings"
)

// Cents is an amount in minor units (1/100 of the currency unit).
type Cents int64

// String renders the amount with two decimals, e.g. 9980 -> "99.80".
func (c Cents) String() string {
	sign := ""
	v := int64(c)
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// Parse reads "99.80", "99.8" or "99" into cents.
func Parse(s string) (Cents, error) {
	whole, frac, hasFrac := strings.Cut(strings.TrimSpace(s), ".")
	if whole == "" || (hasFrac && (len(frac) == 0 || len(frac) > 2)) {
		return 0, fmt.Errorf("parse amount %q: want digits with at most two decimals", s)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w < 0 {
		return 0, fmt.Errorf("parse amount %q: want a non-negative number", s)
	}
	var f int64
	if hasFrac {
		if len(frac) == 1 {
			frac += "0"
		}
		f, err = strconv.ParseInt(frac, 10, 64)
		if err != nil || f < 0 {
			return 0, fmt.Errorf("parse amount %q: bad decimals", s)
		}
	}
	return Cents(w*100 + f), nil
}
