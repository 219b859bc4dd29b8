package bench

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTick is the kernel's USER_HZ, the unit of /proc's CPU times: 100 on
// every Linux this runs on.
const clockTick = 10 * time.Millisecond

// procStat is what the bench reads of /proc/PID/stat.
type procStat struct {
	ppid int
	cpu  time.Duration // utime + stime + cutime + cstime
}

// parseStat reads a /proc/PID/stat line. The command name, in brackets,
// may hold spaces and brackets itself: fields count from the last ')'.
func parseStat(line string) (procStat, bool) {
	end := strings.LastIndexByte(line, ')')
	if end < 0 {
		return procStat{}, false
	}
	f := strings.Fields(line[end+1:])
	// f[0] is the state (field 3); ppid is field 4, utime..cstime 14-17.
	if len(f) < 15 {
		return procStat{}, false
	}
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		return procStat{}, false
	}
	var ticks int64
	for _, s := range f[11:15] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return procStat{}, false
		}
		ticks += n
	}
	return procStat{ppid: ppid, cpu: time.Duration(ticks) * clockTick}, true
}

// TreeCPU is the CPU each named process has used so far, its live
// descendants and its reaped children included (PostgreSQL works in a
// process per connection). A process that is gone counts nothing.
func TreeCPU(pids map[string]int) map[string]time.Duration {
	entries, _ := os.ReadDir("/proc")
	stats := map[int]procStat{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		if st, ok := parseStat(string(data)); ok {
			stats[pid] = st
		}
	}
	owner := func(pid int) int { // the named process pid descends from, or 0
		for seen := 0; pid > 1 && seen < 64; seen++ {
			for _, p := range pids {
				if p == pid {
					return p
				}
			}
			pid = stats[pid].ppid
		}
		return 0
	}
	byPID := map[int]time.Duration{}
	for pid, st := range stats {
		if o := owner(pid); o != 0 {
			byPID[o] += st.cpu
		}
	}
	out := map[string]time.Duration{}
	for name, pid := range pids {
		if pid != 0 {
			out[name] = byPID[pid]
		}
	}
	return out
}
