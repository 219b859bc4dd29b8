// Package money holds amounts as integer minor units, never floats.
package money

import "fmt"

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
