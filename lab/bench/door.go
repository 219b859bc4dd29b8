package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/lab/progress"
)

// The front door: every mode driven through the worker's POST /purchases,
// the way users buy, by load testers nobody here wrote. vegeta runs the
// bench's purchase mix at a fixed number in flight; ab, as a second
// opinion, one purchase over and over. A run's throughput counts until
// its last saga has settled (Settled), not until its last answer: an
// orchestrated purchase is answered at its pivot and ships after.

// Door is where the bench buys and how it knows a run has settled.
type Door struct {
	URL       string // the purchase API, e.g. http://127.0.0.1:8080
	Token     string // the bearer token the API asks for, if any
	VegetaBin string // the vegeta binary
	ABBin     string // the ab binary
	WorkDir   string // where the targets and ab's bodies are written
	// Settled returns once every saga of mode started so far has settled,
	// or ctx ends.
	Settled func(ctx context.Context, mode saga.Mode) error
	Status  io.Writer // progress, once a second
	// CPU, when set, is the CPU each of the stack's processes has used so
	// far (TreeCPU): a run then reports its CPU per saga, by process.
	CPU func() map[string]time.Duration
}

// IdleBelow is how busy the machine is, at most, once a run's work is
// done: an idle stack polls at a few percent of two cores.
const IdleBelow = 0.1

// Wait is how long a request asks to wait for its outcome (Prefer: wait).
const Wait = 30 * time.Second

// Targets writes n purchases of mode, the bench's mix (Mix), as vegeta's
// JSON targets, one a line. Each names no order: the API makes one, as it
// does for a client that sends no Idempotency-Key.
func (d Door) Targets(w io.Writer, mode saga.Mode, n int) error {
	header := map[string][]string{"Content-Type": {"application/json"}, "Prefer": {fmt.Sprintf("wait=%d", int(Wait/time.Second))}}
	if d.Token != "" {
		header["Authorization"] = []string{"Bearer " + d.Token}
	}
	enc := json.NewEncoder(w)
	for i := range n {
		in := Mix(i)
		body, err := json.Marshal(map[string]any{"customer_id": in.CustomerID, "items": in.Items, "mode": mode})
		if err != nil {
			return err
		}
		if err := enc.Encode(map[string]any{"method": "POST", "url": d.URL + "/purchases", "body": body, "header": header}); err != nil {
			return err
		}
	}
	return nil
}

// vegetaResult is one line of vegeta encode --to json.
type vegetaResult struct {
	Code      int       `json:"code"`
	Timestamp time.Time `json:"timestamp"`
	Latency   int64     `json:"latency"` // ns
	Error     string    `json:"error"`
	Body      []byte    `json:"body"`
	Method    string    `json:"method"`
}

// noTargets is vegeta's last word on each worker once the lazy targets are
// spent: not a request.
const noTargets = "no targets to attack"

// answer is one purchase's answer as the bench keeps it.
type answer struct {
	at      time.Time // when it was answered
	latency time.Duration
	status  string // the saga's status, or "" for a failure
	err     string
}

// parseVegeta reads one line of vegeta's JSON results; ok is false for a
// line that is no request.
func parseVegeta(line []byte) (a answer, ok bool, err error) {
	var r vegetaResult
	if err := json.Unmarshal(line, &r); err != nil {
		return answer{}, false, fmt.Errorf("vegeta result: %w", err)
	}
	if r.Error == noTargets && r.Method == "" {
		return answer{}, false, nil
	}
	a = answer{at: r.Timestamp.Add(time.Duration(r.Latency)), latency: time.Duration(r.Latency)}
	var rep struct {
		Status string `json:"status"`
		Detail string `json:"detail"`
	}
	_ = json.Unmarshal(r.Body, &rep)
	switch {
	case r.Error != "":
		a.err = r.Error
	case r.Code != 200:
		a.err = fmt.Sprintf("HTTP %d: %s", r.Code, rep.Detail)
	case !saga.Status(rep.Status).Settled():
		a.err = "answered " + rep.Status + " after the wait"
	default:
		a.status = rep.Status
	}
	return a, true, nil
}

// Vegeta runs n purchases of mode at c in flight through the door and
// waits for them to settle. vegeta's results stream through vegeta encode
// into this process, which counts them as they come.
func (d Door) Vegeta(ctx context.Context, mode saga.Mode, n, c int) (Result, error) {
	targets := filepath.Join(d.WorkDir, fmt.Sprintf("targets-%s.jsonl", mode))
	if err := d.writeTargets(targets, mode, n); err != nil {
		return Result{}, fmt.Errorf("write targets: %w", err)
	}
	in, err := os.Open(targets)
	if err != nil {
		return Result{}, err
	}
	defer in.Close()
	attack := exec.CommandContext(ctx, d.VegetaBin, "attack", "-lazy", "-format", "json", "-rate", "0",
		"-workers", strconv.Itoa(c), "-max-workers", strconv.Itoa(c), "-timeout", (2 * Wait).String())
	encode := exec.CommandContext(ctx, d.VegetaBin, "encode", "--to", "json")
	attack.Stdin = in
	pipe, err := attack.StdoutPipe()
	if err != nil {
		return Result{}, err
	}
	encode.Stdin = pipe
	out, err := encode.StdoutPipe()
	if err != nil {
		return Result{}, err
	}
	var attackErr, encodeErr strings.Builder
	attack.Stderr, encode.Stderr = &attackErr, &encodeErr
	label := fmt.Sprintf("vegeta %s c=%d", mode, c)
	cpu := d.cpu()
	if err := encode.Start(); err != nil {
		return Result{}, fmt.Errorf("vegeta encode: %w", err)
	}
	if err := attack.Start(); err != nil {
		_ = encode.Process.Kill()
		_ = encode.Wait()
		return Result{}, fmt.Errorf("vegeta attack: %w", err)
	}
	var done atomic.Int64
	stop := progress.Start(ctx, d.Status, "  "+label, "purchases", n, func() int { return int(done.Load()) }, nil).Stop
	answers := make([]answer, 0, n)
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var parseErr error
	for sc.Scan() {
		a, ok, err := parseVegeta(sc.Bytes())
		if err != nil && parseErr == nil {
			parseErr = err
		}
		if ok {
			answers = append(answers, a)
			done.Add(1)
		}
	}
	aerr, eerr := attack.Wait(), encode.Wait()
	stop()
	switch {
	case aerr != nil:
		return Result{}, fmt.Errorf("vegeta attack: %v: %s", aerr, attackErr.String())
	case eerr != nil:
		return Result{}, fmt.Errorf("vegeta encode: %v: %s", eerr, encodeErr.String())
	case parseErr != nil:
		return Result{}, parseErr
	case len(answers) != n || n == 0:
		return Result{}, fmt.Errorf("vegeta answered %d of %d purchases", len(answers), n)
	}
	// From the first request vegeta sent, not from its start.
	first := answers[0].at.Add(-answers[0].latency)
	for _, a := range answers {
		if sent := a.at.Add(-a.latency); sent.Before(first) {
			first = sent
		}
	}
	r, err := d.settle(ctx, mode, c, first, answers)
	r.CPUMsPerSaga = d.cpuPerSaga(ctx, cpu, n)
	return r, err
}

func (d Door) cpu() map[string]time.Duration {
	if d.CPU == nil {
		return nil
	}
	return d.CPU()
}

// cpuPerSaga is the CPU each process used since before, per saga of n,
// with the sum as "total". It is read once the machine has quieted down:
// the work a run leaves behind (events its consumers have yet to read,
// Temporal's visibility queue) is the run's, not the next one's.
func (d Door) cpuPerSaga(ctx context.Context, before map[string]time.Duration, n int) map[string]float64 {
	if before == nil {
		return nil
	}
	_, _ = AwaitQuiet(ctx, IdleBelow, 15*time.Second)
	out := map[string]float64{}
	var total time.Duration
	for name, t := range d.CPU() {
		used := t - before[name]
		total += used
		out[name] = float64(used.Microseconds()) / 1000 / float64(n)
	}
	out["total"] = float64(total.Microseconds()) / 1000 / float64(n)
	return out
}

// writeTargets writes the targets file in one go.
func (d Door) writeTargets(path string, mode saga.Mode, n int) error {
	var b strings.Builder
	if err := d.Targets(&b, mode, n); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// AB runs n purchases of mode at c in flight with ab, alice's keyboard
// each time, and waits for them to settle. ab reports no answer bodies:
// its outcome counts only the answers that were not 200.
func (d Door) AB(ctx context.Context, mode saga.Mode, n, c int) (Result, error) {
	body := filepath.Join(d.WorkDir, fmt.Sprintf("ab-%s.json", mode))
	if err := os.WriteFile(body, []byte(`{"customer_id":"alice","items":[{"sku":"SKU-1","quantity":1}],"mode":"`+string(mode)+`"}`), 0o644); err != nil {
		return Result{}, err
	}
	args := []string{"-q", "-k", "-n", strconv.Itoa(n), "-c", strconv.Itoa(c), "-s", strconv.Itoa(int(2 * Wait / time.Second)),
		"-p", body, "-T", "application/json", "-H", fmt.Sprintf("Prefer: wait=%d", int(Wait/time.Second))}
	if d.Token != "" {
		args = append(args, "-H", "Authorization: Bearer "+d.Token)
	}
	cmd := exec.CommandContext(ctx, d.ABBin, append(args, d.URL+"/purchases")...)
	cpu := d.cpu()
	start := time.Now()
	var done atomic.Int64
	stop := progress.Start(ctx, d.Status, fmt.Sprintf("  ab %s c=%d", mode, c), "purchases", n, func() int { return int(done.Load()) }, nil).Stop
	text, err := cmd.CombinedOutput()
	stop()
	if err != nil {
		return Result{}, fmt.Errorf("ab: %v: %s", err, text)
	}
	rep, err := parseAB(string(text))
	if err != nil {
		return Result{}, err
	}
	if err := d.Settled(ctx, mode); err != nil {
		return Result{}, fmt.Errorf("wait for %s to settle: %w", mode, err)
	}
	elapsed := time.Since(start)
	r := Result{Mode: string(mode), N: n, Concurrency: c, Seconds: elapsed.Seconds(), PerSecond: float64(n-rep.failed) / elapsed.Seconds(),
		AnsweredPerSecond: rep.perSecond, P50Ms: rep.p50, P95Ms: rep.p95, P99Ms: rep.p99, MaxMs: rep.max,
		SettleMs: elapsed.Seconds()*1000 - rep.seconds*1000, Errors: rep.failed, Outcomes: map[string]int{}}
	r.CPUMsPerSaga = d.cpuPerSaga(ctx, cpu, n)
	if rep.failed > 0 {
		r.FirstError = fmt.Sprintf("%d answers were not 200", rep.failed)
	}
	return r, nil
}

// abReport is what the bench reads of ab's report.
type abReport struct {
	seconds, perSecond float64
	p50, p95, p99, max float64 // ms
	complete, failed   int
}

var (
	abTime     = regexp.MustCompile(`(?m)^Time taken for tests:\s+([\d.]+) seconds`)
	abRate     = regexp.MustCompile(`(?m)^Requests per second:\s+([\d.]+)`)
	abComplete = regexp.MustCompile(`(?m)^Complete requests:\s+(\d+)`)
	abFailed   = regexp.MustCompile(`(?m)^Failed requests:\s+(\d+)`)
	abNon2xx   = regexp.MustCompile(`(?m)^Non-2xx responses:\s+(\d+)`)
	abLength   = regexp.MustCompile(`Length: (\d+)`)
	abPercent  = regexp.MustCompile(`(?m)^\s+(50|95|99|100)%\s+(\d+)`)
)

// parseAB reads ab's text report.
func parseAB(text string) (abReport, error) {
	var r abReport
	num := func(re *regexp.Regexp) (float64, bool) {
		m := re.FindStringSubmatch(text)
		if m == nil {
			return 0, false
		}
		v, err := strconv.ParseFloat(m[1], 64)
		return v, err == nil
	}
	var ok1, ok2, ok3 bool
	r.seconds, ok1 = num(abTime)
	r.perSecond, ok2 = num(abRate)
	complete, ok3 := num(abComplete)
	if !ok1 || !ok2 || !ok3 {
		return abReport{}, errors.New("ab's report lacks its time, rate or count: " + firstLine(text))
	}
	r.complete = int(complete)
	// ab counts an answer whose length differs from the first's as failed:
	// each purchase's answer names its own order, so those are not.
	failed, _ := num(abFailed)
	length, _ := num(abLength)
	non2xx, _ := num(abNon2xx)
	r.failed = int(failed - length + non2xx)
	for _, m := range abPercent.FindAllStringSubmatch(text, -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		switch m[1] {
		case "50":
			r.p50 = v
		case "95":
			r.p95 = v
		case "99":
			r.p99 = v
		case "100":
			r.max = v
		}
	}
	return r, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// settle waits for a run's sagas to settle and sums it up: its throughput
// counts from the first request to the moment they had.
func (d Door) settle(ctx context.Context, mode saga.Mode, c int, start time.Time, answers []answer) (Result, error) {
	if err := d.Settled(ctx, mode); err != nil {
		return Result{}, fmt.Errorf("wait for %s to settle: %w", mode, err)
	}
	settled := time.Now()
	last := start
	samples := make([]sample, len(answers))
	for i, a := range answers {
		if a.at.After(last) {
			last = a.at
		}
		samples[i] = sample{latency: a.latency, status: a.status}
		if a.err != "" {
			samples[i].err = errors.New(a.err)
		}
	}
	r := summarize(samples, settled.Sub(start))
	r.Mode, r.Concurrency = string(mode), c
	r.AnsweredPerSecond = float64(len(r.LatencyMs)) / last.Sub(start).Seconds()
	r.SettleMs = float64(settled.Sub(last).Microseconds()) / 1000
	return r, nil
}
