package process

import (
	"testing"
	"time"
)

// Each wait lies between half and all of its step, the steps double up to
// Max, and they are not all the same: the jitter that keeps processes that
// failed together from retrying together.
func TestBackoffDoublesWithJitter(t *testing.T) {
	b := Backoff{First: 100 * time.Millisecond, Max: time.Second}
	seen := map[time.Duration]bool{}
	for round := range 50 {
		b.Reset()
		for i, step := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
			step *= time.Millisecond
			d := b.Next()
			if d < step/2 || d > step {
				t.Fatalf("round %d, wait %d: %s, want between %s and %s", round, i, d, step/2, step)
			}
			if i == 0 {
				seen[d] = true
			}
		}
	}
	if len(seen) < 10 {
		t.Fatalf("50 first waits took %d values: no jitter", len(seen))
	}
	var zero Backoff
	if d := zero.Next(); d != 0 {
		t.Fatalf("the zero Backoff waits %s", d)
	}
}
