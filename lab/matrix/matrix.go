// Package matrix runs the failure matrix: every step and every compensation
// of the purchase saga against every kind of fault, in both modes, on the
// real stack, then the audit. A cell passes when its purchase ends APPROVED
// with the stock shipped and the payment captured once, or CANCELLED (or
// never created) holding neither; never FAILED, never PENDING.
package matrix

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/platform/process"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/internal/services/endpoints"
	"github.com/sagaforge/saga/internal/services/inventory/inventoryapi"
	"github.com/sagaforge/saga/internal/services/order/orderapi"
	"github.com/sagaforge/saga/internal/services/payment/paymentapi"
	"github.com/sagaforge/saga/lab/faults"
	"github.com/sagaforge/saga/lab/progress"
	"github.com/sagaforge/saga/lab/scrape"
	"github.com/sagaforge/saga/lab/stack"
	"github.com/sagaforge/saga/starter"
)

// The faults, as the columns of the table.
const (
	Refused      = "refused"
	LostAfter    = "answer lost after"
	LostBefore   = "answer lost before"
	DownPast     = "down past deadline"
	CancelBefore = "cancel just before"
	CancelAfter  = "cancel just after"
	Killed       = "killed at the step"
)

// Faults are the columns, in order.
var Faults = []string{Refused, LostAfter, LostBefore, DownPast, CancelBefore, CancelAfter, Killed}

// Modes are the saga modes.
var Modes = []string{"orchestration", "choreography"}

// Timing is what the stack must run with for the cells to mean what they
// say: a short step deadline, so that "down past the deadline" is quick to
// reach, and a choreography deadline well past every hold.
type Timing struct {
	StepDeadline time.Duration
	SagaDeadline time.Duration
	Hold         time.Duration // how long a step is held while the driver acts
	// CancelHold is how long a step is held for a customer's cancel to
	// land. The orchestrator runs its steps as local activities inside one
	// workflow task, and sees an update only when that task completes or
	// heartbeats (at 80% of its 10 s timeout): held shorter, the saga would
	// be past its pivot before the cancel is seen.
	CancelHold time.Duration
	Down       time.Duration // how long a "down" step fails: past StepDeadline
}

// DefaultTiming fits the whole matrix in a few minutes. The step deadline
// outlasts CancelHold, which must not time the step out. The choreography
// deadline outlasts what the cells' held and failing events add up to on a
// partition they share: a consumer handles a partition in order, so the
// sagas behind a held event wait for it.
var DefaultTiming = Timing{StepDeadline: 12 * time.Second, SagaDeadline: 3 * time.Minute,
	Hold: 1500 * time.Millisecond, CancelHold: 9 * time.Second, Down: 14 * time.Second}

// Env is what the stack's processes need for the cells: the timing and the
// fault plan of every cell.
func Env(cells []*Cell, t Timing) []string {
	var plan []string
	for _, c := range cells {
		plan = append(plan, c.plan...)
	}
	return []string{
		"SAGA_STEP_DEADLINE=" + t.StepDeadline.String(),
		"SAGA_DEADLINE=" + t.SagaDeadline.String(),
		"SAGA_FAULT_PLAN=" + strings.Join(plan, ","),
	}
}

// action is what the driver does when a held step of the cell's order
// begins its hold.
type action struct {
	op   string // the held operation
	do   string // "cancel" (the customer), "operator-cancel" (POST /orders/{id}/cancel), "kill"
	kill string // the process to kill
}

// Cell is one case of the matrix and, after Run, its outcome.
type Cell struct {
	Mode    string `json:"mode"`
	Op      string `json:"op"`
	Fault   string `json:"fault"`
	OrderID string `json:"order_id"`
	// NA says why the case cannot happen; such a cell is not run.
	NA string `json:"na,omitempty"`

	Status     string `json:"status"` // APPROVED, CANCELLED, NONE (never created), or what went wrong
	Consistent bool   `json:"consistent"`
	Detail     string `json:"detail,omitempty"`
	// Acted lists what the driver did while the cell's steps were held
	// (cancel, operator-cancel, kill NAME), so a cell that never got to
	// its fault shows it.
	Acted []string `json:"acted,omitempty"`

	args    []string
	plan    []string
	actions []action
}

// Reached tells whether the driver did everything the cell asks of it.
func (c *Cell) Reached() bool { return len(c.Acted) == len(c.actions) }

// Pass tells whether the cell ended in a consistent final state.
func (c *Cell) Pass() bool {
	return c.NA != "" || (c.Consistent && (c.Status == "APPROVED" || c.Status == "CANCELLED" || c.Status == "NONE"))
}

func (c *Cell) serial() bool {
	for _, a := range c.actions {
		if a.do == "kill" {
			return true
		}
	}
	return false
}

// Cells builds the matrix for modes, ops and faults (nil for all).
func Cells(modes, ops, faults []string, t Timing) []*Cell {
	if modes == nil {
		modes = Modes
	}
	if ops == nil {
		ops = saga.Purchase.Ops()
	}
	if faults == nil {
		faults = Faults
	}
	var out []*Cell
	for _, m := range modes {
		for _, op := range ops {
			for _, f := range faults {
				out = append(out, cell(m, op, f, t))
			}
		}
	}
	return out
}

// Check refuses cells that name an unknown mode, step or fault (Cells
// builds whatever it is given).
func Check(cells []*Cell) error {
	for _, c := range cells {
		switch {
		case !slices.Contains(Modes, c.Mode):
			return fmt.Errorf("unknown mode %q: want %s", c.Mode, strings.Join(Modes, ", "))
		case !slices.Contains(saga.Purchase.Ops(), c.Op):
			return fmt.Errorf("unknown step %q: want %s", c.Op, strings.Join(saga.Purchase.Ops(), ", "))
		case !slices.Contains(Faults, c.Fault):
			return fmt.Errorf("unknown fault %q: want %s", c.Fault, strings.Join(Faults, ", "))
		}
	}
	return nil
}

// owner is the process that performs op in a mode: the worker drives every
// orchestrated call; in choreography each service handles its own step.
func owner(mode, op string) string {
	if mode == "orchestration" {
		return "worker"
	}
	o, _ := saga.Purchase.OpNamed(op)
	return o.Service
}

// refusedBy are the purchases a compensatable step refuses; a step not
// here has no Refused cell.
var refusedBy = map[string][]string{
	"create":  {"--customer", "alice", "--item", "SKU-404:1"}, // the catalog has no such SKU
	"reserve": {"--customer", "alice", "--item", "SKU-OUT:1"},
	"charge":  {"--customer", "bob", "--item", "SKU-2:1"},
}

// refusal makes c's purchase meet a refusal of step st: a purchase it
// refuses, or, for the pivot, an operator's cancel while it is held. It
// says why not when st cannot be refused.
func (c *Cell) refusal(st saga.Step, t Timing) string {
	switch st.Class {
	case saga.Pivot:
		c.plan = append(c.plan, st.Name+"@"+c.OrderID+"=hold:"+t.Hold.String())
		c.actions = append(c.actions, action{op: st.Name, do: "operator-cancel"})
		return ""
	case saga.Retriable:
		return "a step after the pivot is never refused in a correct run: a refusal is a defect, never a path"
	}
	args, ok := refusedBy[st.Name]
	if !ok {
		return "no purchase is known that " + st.Name + " refuses"
	}
	c.args = args
	return ""
}

func cell(mode, op, f string, t Timing) *Cell {
	short := map[string]string{Refused: "ref", LostAfter: "after", LostBefore: "before", DownPast: "down", CancelBefore: "cb", CancelAfter: "ca", Killed: "kill"}[f]
	c := &Cell{Mode: mode, Op: op, Fault: f, OrderID: fmt.Sprintf("mx-%s-%s-%s", mode[:4], op, short),
		args: []string{"--customer", "alice", "--item", "SKU-1:1"}}
	rule := func(kind string, d time.Duration) string {
		r := op + "@" + c.OrderID + "=" + kind
		if d > 0 {
			r += ":" + d.String()
		}
		return r
	}
	st, _ := saga.Purchase.Step(op)
	if o, _ := saga.Purchase.OpNamed(op); o.Undo {
		// A compensation runs when the step after its own is refused.
		i := slices.IndexFunc(saga.Purchase.Steps, func(s saga.Step) bool { return s.Name == st.Name })
		if na := c.refusal(saga.Purchase.Steps[i+1], t); na != "" {
			c.NA = na
		}
		if f == Refused {
			c.NA = "a compensation accepts every state it can meet (a tombstone for what was never done); only an approved order refuses, and no compensation runs after the pivot"
		}
	} else if f == Refused {
		c.NA = c.refusal(st, t)
	}
	switch f {
	case LostAfter:
		c.plan = append(c.plan, rule(faults.After, 0))
	case LostBefore:
		c.plan = append(c.plan, rule(faults.Before, 0))
	case DownPast:
		c.plan = append(c.plan, rule(faults.Down, t.Down))
	case CancelBefore:
		c.plan = append(c.plan, rule(faults.Hold, t.CancelHold))
		c.actions = append(c.actions, action{op: op, do: "cancel"})
	case CancelAfter:
		c.plan = append(c.plan, rule(faults.HoldAfter, t.CancelHold))
		c.actions = append(c.actions, action{op: op, do: "cancel"})
	case Killed:
		c.plan = append(c.plan, rule(faults.Hold, t.Hold))
		c.actions = append(c.actions, action{op: op, do: "kill", kill: owner(mode, op)})
	}
	return c
}

// Watcher reads the stack's log and tells the driver when a held step
// begins. Give it as (part of) the stack's Output.
type Watcher struct {
	next io.Writer
	mu   sync.Mutex
	buf  []byte
	subs map[string]chan struct{} // op@order -> closed when its hold begins
}

// NewWatcher passes everything on to next.
func NewWatcher(next io.Writer) *Watcher {
	return &Watcher{next: next, subs: map[string]chan struct{}{}}
}

var holdLine = regexp.MustCompile(`fault_plan=(?:hold|holdafter) op=(\w+) order_id=(\S+)`)

func (w *Watcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		if m := holdLine.FindSubmatch(w.buf[:i]); m != nil {
			w.signal(string(m[1]) + "@" + string(m[2]))
		}
		w.buf = w.buf[i+1:]
	}
	w.mu.Unlock()
	return w.next.Write(p)
}

func (w *Watcher) signal(key string) {
	ch, ok := w.subs[key]
	if !ok {
		ch = make(chan struct{})
		w.subs[key] = ch
	}
	select {
	case <-ch:
	default:
		close(ch)
	}
}

// held returns a channel closed once op's hold for orderID has begun.
func (w *Watcher) held(op, orderID string) <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	key := op + "@" + orderID
	ch, ok := w.subs[key]
	if !ok {
		ch = make(chan struct{})
		w.subs[key] = ch
	}
	return ch
}

// Report is a run of the matrix.
type Report struct {
	Cells       []*Cell         `json:"cells"`
	Audit       []starter.Check `json:"audit"`
	AuditPassed bool            `json:"audit_passed"`
	Duration    time.Duration   `json:"duration_ns"`
	// Batched is how many events the consumers handled in a transaction
	// shared with others (batch mode; the faulted events go alone).
	Batched int64 `json:"batched_events"`
}

// Passed is true when every cell passed and the audit holds.
func (r Report) Passed() bool {
	for _, c := range r.Cells {
		if !c.Pass() {
			return false
		}
	}
	return r.AuditPassed
}

// Run runs cells on s, which must have been started with Env(cells, t) and
// w in its Output: the cells without a kill in parallel (parallel at a
// time), then the ones with a kill one by one, then the audit. status,
// if not nil, gets a line per cell.
func Run(ctx context.Context, s *stack.Stack, w *Watcher, cells []*Cell, parallel int, status io.Writer) (Report, error) {
	started := time.Now()
	rep := Report{Cells: cells}
	batched := scrape.NewCounter(s.MetricsURLs(), "saga_consumer_batched_total")
	followCtx, stopFollowing := context.WithCancel(ctx)
	var following sync.WaitGroup
	following.Go(func() { batched.Follow(followCtx, time.Second) })
	defer func() { stopFollowing(); following.Wait() }()
	var mu sync.Mutex
	done := 0
	total := 0
	for _, c := range cells {
		if c.NA == "" {
			total++
		}
	}
	// On a terminal one bar is redrawn, and only a failing cell gets a
	// line; otherwise (CI) every cell gets one.
	var bar *progress.Bar
	if progress.IsTerminal(status) {
		bar = progress.Start(ctx, status, "matrix", "cells", total, func() int {
			mu.Lock()
			defer mu.Unlock()
			return done
		}, nil)
		defer bar.Stop()
	}
	note := func(c *Cell) {
		mu.Lock()
		done++
		verdict := "ok"
		if !c.Pass() {
			verdict = progress.Verdict(status, false) + " " + c.Detail
		}
		line := fmt.Sprintf("matrix | %-28s  %-13s %-8s %-19s %-10s %s", progress.Line(done, total, time.Since(started)),
			c.Mode, c.Op, c.Fault, c.Status, verdict)
		mu.Unlock()
		switch {
		case bar != nil && !c.Pass():
			bar.Println(line)
		case bar == nil && status != nil:
			fmt.Fprintln(status, line)
		}
	}
	sem := make(chan struct{}, max(1, parallel))
	var wg sync.WaitGroup
	for _, c := range cells {
		if c.NA != "" || c.serial() {
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			runCell(ctx, s, w, c)
			note(c)
		})
	}
	wg.Wait()
	for _, c := range cells {
		if c.NA == "" && c.serial() {
			runCell(ctx, s, w, c)
			note(c)
		}
	}
	if ctx.Err() != nil {
		return rep, ctx.Err()
	}
	if bar != nil {
		bar.Stop()
	}
	batched.Read(ctx)
	rep.Batched = batched.Total()
	var err error
	rep.Audit, rep.AuditPassed, err = audit(ctx, s)
	rep.Duration = time.Since(started)
	return rep, err
}

// runCell runs the cell's purchase as a user would ("starter purchase
// --wait", repeated with the same order ID while something it needs is
// down), acts when its held steps begin, and records the end state.
func runCell(ctx context.Context, s *stack.Stack, w *Watcher, c *Cell) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	var (
		acting   sync.WaitGroup
		actedMu  sync.Mutex
		acted    []string
		actErrs  []string
		actCtx   context.Context
		stopActs context.CancelFunc
	)
	actCtx, stopActs = context.WithCancel(ctx)
	for _, a := range c.actions {
		held := w.held(a.op, c.OrderID)
		acting.Go(func() {
			select {
			case <-held:
				err := act(actCtx, s, c, a)
				actedMu.Lock()
				defer actedMu.Unlock()
				acted = append(acted, strings.TrimSpace(a.do+" "+a.kill))
				if err != nil {
					actErrs = append(actErrs, err.Error())
				}
			case <-actCtx.Done():
			}
		})
	}
	// A held compensation may begin after the starter has its answer (a
	// choreographed cancel is reported before the refund it sets off): the
	// driver keeps watching until the order is settled.
	defer func() {
		stopActs()
		acting.Wait()
		c.Acted = acted
		if len(actErrs) > 0 {
			c.Detail = strings.TrimSpace(strings.Join(actErrs, "; ") + "; " + c.Detail)
		}
	}()
	code, out, errText := launch(ctx, s, c)
	switch {
	case code == starter.ExitUsage && c.Op == saga.Purchase.Steps[0].Name && c.Fault == Refused:
		// The choreographed create is the starter's own call: the order
		// service refused it, and nothing was created.
	case code != starter.ExitOK:
		c.Status, c.Detail = "ERROR", fmt.Sprintf("starter exit %d: %s", code, strings.TrimSpace(errText))
		return
	default:
		var r starter.Report
		if err := json.Unmarshal([]byte(out), &r); err == nil && r.Status == "FAILED" {
			c.Status, c.Detail = "FAILED", r.Reason
			return
		}
	}
	c.Status, c.Consistent, c.Detail = settle(ctx, s, c.OrderID)
}

// act does what an action says, once its hold has begun.
func act(ctx context.Context, s *stack.Stack, c *Cell, a action) error {
	switch a.do {
	case "cancel":
		if c.Mode == "choreography" {
			// The order service's cancel is what "starter cancel" calls
			// for a choreographed order; called directly it also covers an
			// order whose create is still held (a tombstone refuses it).
			_, err := orderapi.NewClient(s.OrderURL(), nil, "").Cancel(ctx, c.OrderID, orderapi.CancelOrderRequest{Reason: "cancelled by the customer: matrix"})
			if err != nil && !errors.Is(err, fault.ErrIllegalTransition) {
				return fmt.Errorf("cancel: %w", err)
			}
			return nil
		}
		var stdout, stderr bytes.Buffer
		// A refusal (the pivot has begun) is an answer too.
		s.Starter(&stdout, &stderr).Run(ctx, []string{"cancel", c.OrderID, "--reason", "matrix", "--json"})
		return nil
	case "operator-cancel":
		_, err := orderapi.NewClient(s.OrderURL(), nil, "").Cancel(ctx, c.OrderID, orderapi.CancelOrderRequest{Reason: "cancelled by an operator"})
		if err != nil && !errors.Is(err, fault.ErrIllegalTransition) {
			return fmt.Errorf("operator cancel: %w", err)
		}
		return nil
	case "kill":
		if err := s.Kill(a.kill); err != nil {
			return err
		}
		restartCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		return s.Restart(restartCtx, a.kill)
	}
	return fmt.Errorf("unknown action %q", a.do)
}

// launch runs "starter purchase --wait --json" for the cell until it
// answers: exit 1 means something it needs was down, and the same command
// with the same order ID attaches to the saga under way.
func launch(ctx context.Context, s *stack.Stack, c *Cell) (code int, stdout, stderr string) {
	args := append([]string{"purchase", "--order-id", c.OrderID, "--mode", c.Mode, "--wait", "--json"}, c.args...)
	for {
		var out, errb bytes.Buffer
		code := s.Starter(&out, &errb).Run(ctx, args)
		if code != starter.ExitFailure || ctx.Err() != nil {
			return code, out.String(), errb.String()
		}
		if !process.Sleep(ctx, 200*time.Millisecond) {
			return code, out.String(), errb.String()
		}
	}
}

// settle waits until what the services hold for the order is consistent
// with its status (compensations may trail a choreographed cancel), and
// returns the status and whether it is.
func settle(ctx context.Context, s *stack.Stack, id string) (status string, consistent bool, detail string) {
	c := s.Endpoints().Clients(nil)
	deadline := time.Now().Add(60 * time.Second)
	for {
		status, consistent, detail = check(ctx, c, id)
		if consistent || time.Now().After(deadline) || !process.Sleep(ctx, 100*time.Millisecond) {
			return status, consistent, detail
		}
	}
}

func check(ctx context.Context, c endpoints.Clients, id string) (string, bool, string) {
	o, err := c.Orders.Get(ctx, id)
	status := string(o.Status)
	switch {
	case errors.Is(err, fault.ErrNotFound):
		status = "NONE"
	case err != nil:
		return "UNKNOWN", false, err.Error()
	case o.Tombstone:
		status = "NONE"
	}
	r, rerr := c.Inventory.Reservation(ctx, id)
	p, perr := c.Payments.Payment(ctx, id)
	for _, err := range []error{rerr, perr} {
		if err != nil && !errors.Is(err, fault.ErrNotFound) {
			// A lookup that failed says nothing of what is held.
			return status, false, "lookup failed: " + err.Error()
		}
	}
	reserved := rerr == nil && r.Status == inventoryapi.Reserved
	shipped := rerr == nil && r.Status == inventoryapi.Shipped
	captured := perr == nil && p.Status == paymentapi.Captured
	held := fmt.Sprintf("reservation %s, payment %s", orNone(string(r.Status), rerr), orNone(string(p.Status), perr))
	switch status {
	case "APPROVED":
		// Settled means past the retriable steps too: the stock shipped.
		return status, shipped && captured && p.AmountCents == o.TotalCents, held
	case "CANCELLED", "NONE":
		return status, !reserved && !shipped && !captured, held
	}
	return status, false, held
}

func orNone(s string, err error) string {
	if err != nil {
		return "none"
	}
	return s
}

// audit runs the starter's audit against the stack.
func audit(ctx context.Context, s *stack.Stack) ([]starter.Check, bool, error) {
	checks, _, err := starter.Audit(ctx, s.Endpoints(), 2*time.Minute)
	return checks, starter.Passed(checks), err
}

// Print writes one table per mode: a row per step and compensation, a
// column per fault, each cell its end state (✓ consistent, ✗ not).
func (r Report) Print(w io.Writer) {
	byMode := map[string][]*Cell{}
	var modes []string
	for _, c := range r.Cells {
		if _, ok := byMode[c.Mode]; !ok {
			modes = append(modes, c.Mode)
		}
		byMode[c.Mode] = append(byMode[c.Mode], c)
	}
	for _, m := range modes {
		fmt.Fprintf(w, "\n%s\n\n", m)
		var faults, ops []string
		cellAt := map[[2]string]*Cell{}
		for _, c := range byMode[m] {
			if !slices.Contains(faults, c.Fault) {
				faults = append(faults, c.Fault)
			}
			if !slices.Contains(ops, c.Op) {
				ops = append(ops, c.Op)
			}
			cellAt[[2]string{c.Op, c.Fault}] = c
		}
		fmt.Fprintf(w, "| %-8s |", "step")
		for _, f := range faults {
			fmt.Fprintf(w, " %-19s |", f)
		}
		fmt.Fprintf(w, "\n|%s|", strings.Repeat("-", 10))
		for range faults {
			fmt.Fprintf(w, "%s|", strings.Repeat("-", 21))
		}
		fmt.Fprintln(w)
		for _, op := range ops {
			fmt.Fprintf(w, "| %-8s |", op)
			for _, f := range faults {
				fmt.Fprintf(w, " %-19s |", cellText(cellAt[[2]string{op, f}]))
			}
			fmt.Fprintln(w)
		}
	}
	fmt.Fprintln(w)
	var failed []string
	for _, c := range r.Cells {
		if !c.Pass() {
			failed = append(failed, fmt.Sprintf("%s %s %s (%s): %s %s", c.Mode, c.Op, c.Fault, c.OrderID, c.Status, c.Detail))
		}
	}
	for _, f := range failed {
		fmt.Fprintln(w, progress.Verdict(w, false), f)
	}
	fmt.Fprintf(w, "consumers handled %d events in batches (shared transactions); each faulted event alone\n", r.Batched)
	if len(r.Audit) > 0 {
		starter.PrintChecks(w, r.Audit)
	}
	verdict := progress.Verdict(w, r.Passed())
	if r.Passed() {
		verdict += ": every cell ended APPROVED and shipped with the payment held, or CANCELLED with nothing held, and the audit holds"
	}
	fmt.Fprintf(w, "\n%s (%s)\n", verdict, r.Duration.Round(time.Second))
}

func cellText(c *Cell) string {
	switch {
	case c == nil:
		return ""
	case c.NA != "":
		return "n/a"
	case c.Pass() && !c.Reached():
		return c.Status + " ✓ (not reached)"
	case c.Pass():
		return c.Status + " ✓"
	}
	return c.Status + " ✗"
}
