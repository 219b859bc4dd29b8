// Package progress words how far a long run has got, for a person watching
// stderr: done of total, the share done, the rate, and the time left at
// that rate.
package progress

import (
	"fmt"
	"time"
)

// Line says how far a run that has done done of total in elapsed has got,
// e.g. "412/800 51% 137/s ETA 3s". Before the first is done the time left
// is unknown ("ETA ?"); past the total it is 0s.
func Line(done, total int, elapsed time.Duration) string {
	pct := 0
	if total > 0 {
		pct = min(done*100/total, 100)
	}
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(done) / s
	}
	perSecond := fmt.Sprintf("%.0f/s", rate)
	if rate < 10 {
		perSecond = fmt.Sprintf("%.1f/s", rate)
	}
	return fmt.Sprintf("%d/%d %d%% %s ETA %s", done, total, pct, perSecond, ETA(done, total, elapsed))
}

// ETA is the time left at the rate so far, rounded for reading: "?" before
// the first is done.
func ETA(done, total int, elapsed time.Duration) string {
	if done <= 0 {
		return "?"
	}
	left := time.Duration(float64(elapsed) * float64(max(total-done, 0)) / float64(done))
	if left >= 10*time.Second {
		return left.Round(time.Second).String()
	}
	return left.Round(100 * time.Millisecond).String()
}
