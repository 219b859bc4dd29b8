package input

import "testing"

func TestDescribeSaysEachLineInOrder(t *testing.T) {
	if got := Describe([]Item{{SKU: "SKU-1", Quantity: 2}, {SKU: "SKU-2", Quantity: 1}}); got != "2 x SKU-1, 1 x SKU-2" {
		t.Fatalf("Describe = %q", got)
	}
	if got := Describe(nil); got != "" {
		t.Fatalf("Describe(nil) = %q, want nothing", got)
	}
}
