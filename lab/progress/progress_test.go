package progress

import (
	"testing"
	"time"
)

func TestLineSaysShareRateAndTimeLeft(t *testing.T) {
	for _, tc := range []struct {
		done, total int
		elapsed     time.Duration
		want        string
	}{
		{0, 800, 0, "0/800 0% 0.0/s ETA ?"},
		{0, 800, 2 * time.Second, "0/800 0% 0.0/s ETA ?"},
		{200, 800, 2 * time.Second, "200/800 25% 100/s ETA 6s"},
		{400, 800, 10 * time.Second, "400/800 50% 40/s ETA 10s"},
		{1, 3, 90 * time.Second, "1/3 33% 0.0/s ETA 3m0s"},
		{799, 800, 8 * time.Second, "799/800 99% 100/s ETA 0s"},
		{800, 800, 8 * time.Second, "800/800 100% 100/s ETA 0s"},
		{5, 4, time.Second, "5/4 100% 5.0/s ETA 0s"},
	} {
		if got := Line(tc.done, tc.total, tc.elapsed); got != tc.want {
			t.Errorf("Line(%d, %d, %s) = %q, want %q", tc.done, tc.total, tc.elapsed, got, tc.want)
		}
	}
}
