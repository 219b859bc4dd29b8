package bench

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// AwaitQuiet waits, up to max, until the machine's CPUs are less than busy
// (a fraction) in use over a 250 ms window, and returns how long it waited.
// A run leaves work behind (the dev server's visibility and history queues,
// the relays); without this, the next run pays for it. Where /proc/stat
// cannot be read it returns at once.
func AwaitQuiet(ctx context.Context, busy float64, max time.Duration) (time.Duration, error) {
	start := time.Now()
	prev, err := readCPU()
	if err != nil {
		return 0, nil
	}
	for {
		select {
		case <-ctx.Done():
			return time.Since(start), ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
		cur, err := readCPU()
		if err != nil {
			return time.Since(start), nil
		}
		if cpuBusy(prev, cur) < busy || time.Since(start) >= max {
			return time.Since(start), nil
		}
		prev = cur
	}
}

// cpuTimes is the aggregate "cpu" line of /proc/stat: user, nice, system,
// idle, iowait, irq, softirq, steal.
type cpuTimes [8]uint64

func readCPU() (cpuTimes, error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuTimes{}, err
	}
	return parseCPU(string(data))
}

func parseCPU(stat string) (cpuTimes, error) {
	var t cpuTimes
	for _, line := range strings.Split(stat, "\n") {
		fields := strings.Fields(line)
		if len(fields) < 9 || fields[0] != "cpu" {
			continue
		}
		for i := range t {
			v, err := strconv.ParseUint(fields[i+1], 10, 64)
			if err != nil {
				return cpuTimes{}, fmt.Errorf("/proc/stat: %q: %w", line, err)
			}
			t[i] = v
		}
		return t, nil
	}
	return cpuTimes{}, fmt.Errorf("/proc/stat: no cpu line")
}

// cpuBusy is the fraction of CPU time between two readings not spent idle
// or waiting for I/O.
func cpuBusy(a, b cpuTimes) float64 {
	var total uint64
	for i := range b {
		total += b[i] - a[i]
	}
	if total == 0 {
		return 0
	}
	idle := (b[3] - a[3]) + (b[4] - a[4])
	return 1 - float64(idle)/float64(total)
}
