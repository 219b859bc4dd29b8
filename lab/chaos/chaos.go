// Package chaos runs purchases of every outcome in both saga modes while it
// kills (SIGKILL) and restarts every process at random moments (the worker,
// the services, the Temporal server and the broker), some for longer than
// the step deadline, and while customers cancel purchases in flight; then it
// waits for the system to go quiet and audits the three databases. It is the
// proof that a saga keeps them consistent when things break.
package chaos

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/platform/process"
	"github.com/sagaforge/saga/internal/services/order/orderapi"
	"github.com/sagaforge/saga/lab/progress"
	"github.com/sagaforge/saga/lab/scrape"
	"github.com/sagaforge/saga/lab/stack"
	"github.com/sagaforge/saga/starter"
)

// Config says how much chaos to make.
type Config struct {
	Purchases   int           // purchases to run, alternating modes
	Concurrency int           // purchases started at once
	KillEvery   time.Duration // mean time between kills; 0 kills nothing
	Down        time.Duration // how long a killed process stays down
	// LongDown, if set, is how long every LongEvery-th kill stays down:
	// longer than the step deadline, so that sagas give up on a step.
	LongDown    time.Duration
	LongEvery   int
	CancelShare float64       // share of purchases a customer cancels in flight
	Victims     []string      // processes to kill; the stack's Victims by default
	MaxKills    int           // stop killing after this many; 0 for no limit
	Modes       []string      // saga modes to run, alternating; both by default
	Settle      time.Duration // how long to wait for quiet after the last purchase
	Progress    io.Writer     // a redrawn bar on a terminal, else a line every few seconds; nil for none
}

// scenario is a purchase whose outcome is known in advance on the demo seed.
type scenario struct {
	name   string
	args   []string
	expect orderapi.Status
}

var scenarios = []scenario{
	{"approved", []string{"--customer", "alice", "--item", "SKU-1:1"}, orderapi.StatusApproved},
	{"declined", []string{"--customer", "bob", "--item", "SKU-2:1"}, orderapi.StatusCancelled},
	{"out of stock", []string{"--customer", "alice", "--item", "SKU-OUT:1"}, orderapi.StatusCancelled},
}

var modes = []string{"orchestration", "choreography"}

// Report is what a chaos run did and found.
type Report struct {
	Purchases     int             `json:"purchases"`
	ByMode        map[string]int  `json:"by_mode"`
	Outcomes      map[string]int  `json:"outcomes"` // final order status -> count
	Retries       int64           `json:"starter_retries"`
	Kills         map[string]int  `json:"kills"`
	LongOutages   int             `json:"long_outages"`
	Cancels       int             `json:"customer_cancels"`   // purchases a customer tried to cancel in flight
	Cancelled     int             `json:"customer_cancelled"` // of those, the ones the cancel stopped
	GaveUp        int             `json:"gave_up"`            // purchases cancelled because a step passed its deadline
	Faults        int64           `json:"faults_injected"`    // read from the processes' /metrics
	StepRetries   int64           `json:"step_retries"`       // tries of a step that failed and were retried, from /metrics
	Unexpected    []string        `json:"unexpected"`         // orders that did not end as their scenario must
	Stuck         []string        `json:"stuck"`              // orders not settled within Settle
	Audit         []starter.Check `json:"audit"`
	AuditPassed   bool            `json:"audit_passed"`
	Duration      time.Duration   `json:"duration_ns"`
	SettleElapsed time.Duration   `json:"settle_ns"`
}

// Passed is true when every purchase ended as it must and the audit holds.
func (r Report) Passed() bool {
	return r.AuditPassed && len(r.Unexpected) == 0 && len(r.Stuck) == 0
}

type purchaseRun struct {
	id       string
	mode     string
	scenario scenario
	cancel   bool // a customer cancels it in flight
}

// Validate tells what in cfg a run cannot start with.
func (cfg Config) Validate() error {
	if cfg.Purchases <= 0 || cfg.Concurrency <= 0 || cfg.KillEvery < 0 || cfg.Down < 0 || cfg.MaxKills < 0 || cfg.LongDown < 0 || cfg.LongEvery < 0 ||
		cfg.CancelShare < 0 || cfg.CancelShare > 1 {
		return fmt.Errorf("%w: purchases and concurrency must be positive; kill interval, downtimes and kill limit not negative; the cancel share from 0 to 1", fault.ErrInvalid)
	}
	return nil
}

// Run makes the chaos on a running stack and reports. It counts the faults
// the services injected and the steps' failed tries from their /metrics,
// read twice a second so that a kill loses little.
func Run(ctx context.Context, s *stack.Stack, cfg Config) (Report, error) {
	if err := cfg.Validate(); err != nil {
		return Report{}, err
	}
	faults := scrape.NewCounter(s.MetricsURLs(), "saga_faults_injected_total")
	stepRetries := scrape.NewCounter(s.MetricsURLs(), "saga_step_duration_seconds_count", `saga_outcome="failed"`)
	scrapeCtx, stopScraping := context.WithCancel(ctx)
	defer stopScraping()
	go faults.Follow(scrapeCtx, 500*time.Millisecond)
	go stepRetries.Follow(scrapeCtx, 500*time.Millisecond)
	if len(cfg.Victims) == 0 {
		cfg.Victims = s.Victims()
	}
	if len(cfg.Modes) == 0 {
		cfg.Modes = modes
	}
	if cfg.Settle <= 0 {
		cfg.Settle = 3 * time.Minute
	}
	started := time.Now()
	rep := Report{Purchases: cfg.Purchases, ByMode: map[string]int{}, Outcomes: map[string]int{}, Kills: map[string]int{}}
	runs := make([]purchaseRun, cfg.Purchases)
	for i := range runs {
		runs[i] = purchaseRun{id: input.NewOrderID(), mode: cfg.Modes[i%len(cfg.Modes)], scenario: scenarios[(i/len(cfg.Modes))%len(scenarios)],
			cancel: rand.Float64() < cfg.CancelShare}
		rep.ByMode[runs[i].mode]++
		if runs[i].cancel {
			rep.Cancels++
		}
	}

	var finished atomic.Int64
	var retries atomic.Int64
	var killsMu sync.Mutex
	chaosCtx, stopChaos := context.WithCancel(ctx)
	var killer sync.WaitGroup
	var killErr error
	if cfg.KillEvery > 0 {
		killer.Go(func() {
			killErr = kill(chaosCtx, s, cfg, func(name string, long bool) {
				killsMu.Lock()
				rep.Kills[name]++
				if long {
					rep.LongOutages++
				}
				killsMu.Unlock()
			})
		})
	}
	bar := progress.Start(ctx, cfg.Progress, "chaos", "purchases", cfg.Purchases, func() int { return int(finished.Load()) }, func() string {
		killsMu.Lock()
		kills := total(rep.Kills)
		killsMu.Unlock()
		return fmt.Sprintf("kills %d  faults %d", kills, faults.Total())
	})
	defer bar.Stop()

	work := make(chan purchaseRun)
	var starters sync.WaitGroup
	var startErr error
	var startErrOnce sync.Once
	for range cfg.Concurrency {
		starters.Go(func() {
			for r := range work {
				if err := launch(ctx, s, r, &retries); err != nil {
					startErrOnce.Do(func() { startErr = err })
				}
				finished.Add(1)
			}
		})
	}
	for _, r := range runs {
		work <- r
	}
	close(work)
	starters.Wait()
	stopChaos()
	killer.Wait()
	if startErr != nil || killErr != nil {
		return rep, errors.Join(startErr, killErr)
	}

	// Every process is up again; wait until no order of this run is pending.
	settleStart := time.Now()
	final, err := settle(ctx, s, runs, cfg.Settle)
	rep.SettleElapsed = time.Since(settleStart)
	bar.Stop()
	if err != nil {
		return rep, err
	}
	for _, r := range runs {
		o, ok := final[r.id]
		switch {
		case !ok || o.Status == orderapi.StatusPending:
			rep.Stuck = append(rep.Stuck, r.id)
		case !expected(r, o):
			rep.Unexpected = append(rep.Unexpected, fmt.Sprintf("%s (%s, %s, cancel %v): %s %q", r.id, r.mode, r.scenario.name, r.cancel, o.Status, o.Reason))
		case r.scenario.expect == orderapi.StatusApproved && o.Status == orderapi.StatusCancelled && !r.cancel:
			rep.GaveUp++
		}
		if ok && r.cancel && strings.Contains(o.Reason, "cancelled by the customer") {
			rep.Cancelled++
		}
		if ok {
			rep.Outcomes[string(o.Status)]++
		}
	}
	// Choreographed compensations trail the order's cancel by the events
	// between them: audit once the system is quiet, within a minute.
	quiet := time.Now().Add(time.Minute)
	for {
		rep.Audit, rep.AuditPassed, err = audit(ctx, s)
		if err != nil || rep.AuditPassed || time.Now().After(quiet) || !process.Sleep(ctx, time.Second) {
			break
		}
	}
	rep.Retries = retries.Load()
	faults.Read(ctx)
	stepRetries.Read(ctx)
	rep.Faults, rep.StepRetries = faults.Total(), stepRetries.Total()
	rep.Duration = time.Since(started)
	return rep, err
}

// gaveUp tells whether a cancellation reason says a step or the saga ran
// past its deadline (a long outage), which cancels even a purchase that
// would have been approved.
func gaveUp(reason string) bool {
	for _, w := range []string{"timed out", "kept failing", "deadline", "saga step failed"} {
		if strings.Contains(reason, w) {
			return true
		}
	}
	return false
}

// expected tells whether a settled order ended as its run allows: refused
// scenarios always CANCELLED; an approvable one APPROVED, or CANCELLED by
// its customer (a cancel after the pivot is refused, so APPROVED is fine
// then too) or because a long outage outlasted a deadline.
func expected(r purchaseRun, o orderapi.OrderResponse) bool {
	if r.scenario.expect == orderapi.StatusCancelled {
		return o.Status == orderapi.StatusCancelled
	}
	switch o.Status {
	case orderapi.StatusApproved:
		return true
	case orderapi.StatusCancelled:
		return r.cancel || gaveUp(o.Reason)
	}
	return false
}

// launch runs one purchase to its end as a user would, with "starter
// purchase --wait", and, for a run with a cancel, has its customer cancel
// it a moment after the start ("starter cancel", in either mode). When the
// starter gives up because what it needs is down, the same command runs
// again with the same order ID: it attaches to the saga already under way
// instead of starting a second one.
func launch(ctx context.Context, s *stack.Stack, r purchaseRun, retries *atomic.Int64) error {
	if r.cancel {
		var canceller sync.WaitGroup
		defer canceller.Wait()
		canceller.Go(func() {
			if !process.Sleep(ctx, time.Duration(rand.Int64N(int64(300*time.Millisecond)))) {
				return
			}
			// Until the saga exists there is nothing to cancel: try again a
			// few times, as a customer would; a refusal after the pivot is
			// an answer too.
			for range 10 {
				var stdout, stderr bytes.Buffer
				if code := s.Starter(&stdout, &stderr).Run(ctx, []string{"cancel", r.id, "--reason", "chaos"}); code == starter.ExitOK || strings.Contains(stderr.String(), "can no longer be cancelled") ||
					strings.Contains(stderr.String(), "refused") || !process.Sleep(ctx, 200*time.Millisecond) {
					return
				}
			}
		})
	}
	args := append([]string{"purchase", "--order-id", r.id, "--mode", r.mode, "--wait", "--json"}, r.scenario.args...)
	// A purchase that has not ended in two minutes is stuck, not slow.
	runCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for {
		var stdout, stderr bytes.Buffer
		code := s.Starter(&stdout, &stderr).Run(runCtx, args)
		if code == starter.ExitOK {
			return nil
		}
		if code == starter.ExitUsage || runCtx.Err() != nil {
			return fmt.Errorf("start %s: exit %d: %s", r.id, code, strings.TrimSpace(stderr.String()))
		}
		retries.Add(1)
		if !process.Sleep(runCtx, 200*time.Millisecond) {
			return runCtx.Err()
		}
	}
}

// kill kills a random victim at random moments (the first within 500 ms,
// while the first purchases are in flight, then gaps uniform in
// [0, 2*KillEvery)), keeps it
// down for Down, and restarts it; one at a time, so the run measures
// recovery rather than a total outage.
func kill(ctx context.Context, s *stack.Stack, cfg Config, killed func(name string, long bool)) error {
	gap := time.Duration(rand.Int64N(int64(500 * time.Millisecond)))
	for kills := 0; cfg.MaxKills == 0 || kills < cfg.MaxKills; kills, gap = kills+1, time.Duration(rand.Int64N(2*int64(cfg.KillEvery))) {
		if !process.Sleep(ctx, gap) {
			return nil
		}
		victim := cfg.Victims[rand.IntN(len(cfg.Victims))]
		if err := s.Kill(victim); err != nil {
			return fmt.Errorf("kill %s: %w", victim, err)
		}
		down, long := cfg.Down, cfg.LongDown > 0 && cfg.LongEvery > 0 && (kills+1)%cfg.LongEvery == 0
		if long {
			down = cfg.LongDown
		}
		killed(victim, long)
		// Down is part of the chaos, not a wait for a state: the process
		// is gone for that long whatever the others do.
		process.Sleep(context.WithoutCancel(ctx), down)
		restartCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		err := s.Restart(restartCtx, victim)
		cancel()
		if err != nil {
			return fmt.Errorf("restart %s: %w", victim, err)
		}
	}
	return nil
}

// settle polls the order service until no order of the run is pending (or
// unknown yet: an orchestrated order is created by its workflow) or limit
// has passed, and returns each order.
func settle(ctx context.Context, s *stack.Stack, runs []purchaseRun, limit time.Duration) (map[string]orderapi.OrderResponse, error) {
	orders := orderapi.NewClient(s.OrderURL(), nil, "")
	deadline := time.Now().Add(limit)
	for {
		list, err := orders.List(ctx, "")
		if err == nil {
			final := map[string]orderapi.OrderResponse{}
			for _, o := range list.Orders {
				final[o.OrderID] = o
			}
			pending := slices.ContainsFunc(runs, func(r purchaseRun) bool {
				o, ok := final[r.id]
				return !ok || o.Status == orderapi.StatusPending
			})
			if !pending || time.Now().After(deadline) {
				return final, nil
			}
		} else if time.Now().After(deadline) {
			return nil, fmt.Errorf("read orders: %w", err)
		}
		if !process.Sleep(ctx, 200*time.Millisecond) {
			return nil, ctx.Err()
		}
	}
}

// audit runs the starter's audit against the stack.
func audit(ctx context.Context, s *stack.Stack) ([]starter.Check, bool, error) {
	checks, _, err := starter.Audit(ctx, s.Endpoints(), 2*time.Minute)
	return checks, starter.Passed(checks), err
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// Print writes the report as a table.
func (r Report) Print(w io.Writer) {
	fmt.Fprintf(w, "\n== chaos ==\n")
	fmt.Fprintf(w, "purchases     %d (orchestration %d, choreography %d) in %s; quiet %s after the last\n",
		r.Purchases, r.ByMode["orchestration"], r.ByMode["choreography"], r.Duration.Round(100*time.Millisecond), r.SettleElapsed.Round(100*time.Millisecond))
	fmt.Fprintf(w, "outcomes      %s\n", pairs(r.Outcomes))
	fmt.Fprintf(w, "kills         %d (%s), %d of them down past the step deadline\n", total(r.Kills), pairs(r.Kills), r.LongOutages)
	fmt.Fprintf(w, "cancels       %d purchases their customer cancelled in flight, %d of them before the pivot; %d approvable ones cancelled at a deadline\n", r.Cancels, r.Cancelled, r.GaveUp)
	fmt.Fprintf(w, "faults        %d injected by the services; %d failed tries of a step were tried again\n", r.Faults, r.StepRetries)
	fmt.Fprintf(w, "retries       %d starter runs repeated with the same order ID while a service was down\n", r.Retries)
	fmt.Fprintf(w, "unexpected    %d %s\n", len(r.Unexpected), strings.Join(r.Unexpected[:min(5, len(r.Unexpected))], "; "))
	fmt.Fprintf(w, "stuck         %d %s\n", len(r.Stuck), strings.Join(r.Stuck[:min(5, len(r.Stuck))], ", "))
	fmt.Fprintln(w)
	starter.PrintChecks(w, r.Audit)
	verdict := progress.Verdict(w, r.Passed())
	if r.Passed() {
		verdict += ": every purchase ended as it must and the three databases agree"
	}
	fmt.Fprintf(w, "\n%s\n", verdict)
}

func pairs(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
