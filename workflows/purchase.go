// Package workflows holds the purchase saga as a Temporal workflow. It is
// deterministic: every side effect is an activity, and it imports nothing
// that reads a clock, randomness, the network or a database.
package workflows

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/saga"
)

// Policy is how hard the saga tries. Steps retry transient failures with
// backoff until StepDeadline, then the saga gives up and compensates.
// Compensations retry until CompensationDeadline, because an undo that is
// given up on leaves the databases disagreeing.
type Policy struct {
	// LocalSteps runs the forward steps as local activities: inside the
	// workflow task, recorded as markers, with no server round trip per
	// step. A saga then costs one workflow task instead of ~10 hand-offs,
	// which on a small node is most of its latency. A compensation's first
	// try is local too; when it does not succeed at once, it runs as a
	// regular activity, which may retry for a day and deserves full
	// visibility. Changing this for running workflows breaks their replay.
	LocalSteps           bool
	StepTimeout          time.Duration // one attempt of a step
	StepDeadline         time.Duration // all attempts of a step
	StepRetry            temporal.RetryPolicy
	CompensationTimeout  time.Duration
	CompensationDeadline time.Duration
	CompensationRetry    temporal.RetryPolicy
}

// DefaultPolicy gives a step 10 s per attempt and a minute in all (long
// enough to ride out a service restart), and keeps retrying a compensation
// for a day.
func DefaultPolicy() Policy {
	return Policy{
		LocalSteps:   true,
		StepTimeout:  10 * time.Second,
		StepDeadline: time.Minute,
		StepRetry: temporal.RetryPolicy{
			InitialInterval:    100 * time.Millisecond,
			BackoffCoefficient: 2,
			MaximumInterval:    5 * time.Second,
		},
		CompensationTimeout:  10 * time.Second,
		CompensationDeadline: 24 * time.Hour,
		CompensationRetry: temporal.RetryPolicy{
			InitialInterval:    200 * time.Millisecond,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
	}
}

// Purchase is the purchase saga. Register its Run method under
// saga.WorkflowType.
type Purchase struct {
	Policy Policy
	// skipVersionGuard upserts search attributes whatever the history says,
	// as the change would look without GetVersion. Only the test that shows
	// why the guard is needed sets it.
	skipVersionGuard bool
}

// Typed search attributes (see saga.Search*).
var (
	searchOrderID    = temporal.NewSearchAttributeKeyKeyword(saga.SearchOrderID)
	searchCustomerID = temporal.NewSearchAttributeKeyKeyword(saga.SearchCustomerID)
	searchOrderTotal = temporal.NewSearchAttributeKeyInt64(saga.SearchOrderTotal)
	searchSagaStatus = temporal.NewSearchAttributeKeyKeyword(saga.SearchSagaStatus)
)

// searchAttributesVersion guards the search attribute upserts: histories
// recorded before them (testdata/v0) have no such commands.
const searchAttributesVersion = "search-attributes"

// currentVersion marks a run that started on this code: every change the
// other versions guard is in it, and their markers are not recorded. A
// saga writes one marker and one TemporalChangeVersion upsert, where each
// guarded change wrote its own; histories recorded before it (testdata/v0
// to v4) replay through the guards one by one. It also carries the total
// on the status upserts instead of an upsert of its own.
const currentVersion = "purchase-current"

// Run runs saga.Purchase's steps in order (docs/failures.md): the
// compensatable ones, each registering its compensation before it is
// called, so a step that timed out after the service did its work is still
// undone; then the pivot, after which the saga only goes forward; then the
// retriable steps, which retry until they succeed. On a failure before the
// pivot, or when the customer cancels (update "cancel"), the compensations
// run in reverse order and the saga ends CANCELLED with the reason; if a
// compensation cannot be done, the workflow fails with
// ErrTypeCompensationFailed. Query "state" tells where it is.
func (p Purchase) Run(ctx workflow.Context, in saga.Input) (saga.Result, error) {
	stepsCtx, cancelSteps := workflow.WithCancel(ctx)
	s := &execution{
		ctx:    stepsCtx,
		policy: p.Policy,
		log:    log.With(workflow.GetLogger(ctx), "order_id", in.OrderID),
		facts:  saga.Facts{Input: in},
		result: saga.Result{OrderID: in.OrderID, Progress: saga.Begun()},
		state:  saga.State{OrderID: in.OrderID, Status: saga.Running},
	}
	s.current = workflow.GetVersion(ctx, currentVersion, workflow.DefaultVersion, 1) >= 1
	s.searchAttributes = p.skipVersionGuard || s.has(ctx, searchAttributesVersion)
	if err := s.handle(ctx, cancelSteps); err != nil {
		return s.result, err
	}
	s.upsert(ctx, searchOrderID.ValueSet(in.OrderID), searchCustomerID.ValueSet(in.CustomerID), searchSagaStatus.ValueSet(string(saga.Running)))

	result, err := s.run(ctx)
	s.done = true
	// The SDK's metrics handler counts once, not again on replay.
	workflow.GetMetricsHandler(ctx).WithTags(map[string]string{saga.MetricMode: string(saga.Orchestration), saga.MetricOutcome: string(result.Status)}).
		Counter(saga.MetricPurchases).Inc(1)
	// Let a cancel update that is waiting for the outcome return it.
	_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	return result, err
}

// run takes the saga through its steps by their class. The first step
// creates the order, so its total is known once it is done.
func (s *execution) run(ctx workflow.Context) (saga.Result, error) {
	for i, st := range saga.Purchase.Steps {
		var err error
		switch st.Class {
		case saga.Compensatable:
			err = s.compensatable(st)
		case saga.Pivot:
			err = s.pivot(ctx, st)
		case saga.Retriable:
			continue // after the approval, below
		}
		if err != nil {
			result, err := s.abort(ctx, err)
			if result.Status != saga.Approved {
				return result, err
			}
			break // approved by an earlier, lost attempt: forward it goes
		}
		if i == 0 {
			s.result.TotalCents = s.facts.TotalCents
			if !s.current {
				s.upsert(ctx, searchOrderTotal.ValueSet(int64(s.facts.TotalCents)))
			}
		}
	}
	if s.result.Status != saga.Approved {
		s.result.Status = saga.Approved
		s.setStatus(ctx, saga.Approved)
		s.log.Info("purchase approved", "total_cents", int64(s.result.TotalCents))
	}
	s.forward(ctx)
	return s.result, nil
}

// handle registers the state query and the cancel update.
func (s *execution) handle(ctx workflow.Context, cancelSteps workflow.CancelFunc) error {
	if err := workflow.SetQueryHandler(ctx, saga.QueryState, func() (saga.State, error) {
		st := s.state
		st.Progress, st.Reason = s.result.Progress, s.result.Reason
		return st, nil
	}); err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, saga.UpdateCancel,
		func(ctx workflow.Context, req saga.CancelRequest) (saga.Result, error) {
			if s.cancelReason == "" { // else a repeat of the cancel under way
				s.cancelReason = req.OrderReason()
				cancelSteps()
			}
			if err := workflow.Await(ctx, func() bool { return s.done }); err != nil {
				return saga.Result{}, err
			}
			if s.result.Status == saga.Approved {
				// An earlier, lost attempt had approved the order: the
				// cancel did not cancel, and says so.
				return s.result, temporal.NewNonRetryableApplicationError(
					fmt.Sprintf("order %s went through: it was approved before the cancel could take effect", s.result.OrderID),
					fault.TypeOf(fault.ErrIllegalTransition), nil, s.result)
			}
			return s.result, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, req saga.CancelRequest) error {
			switch {
			case s.state.Status == saga.Approved || s.forwardOnly || s.state.CurrentStep == saga.Purchase.Pivot().Name:
				return fmt.Errorf("order %s is approved (or being approved) and can no longer be cancelled", s.state.OrderID)
			case s.cancelReason != "" && s.cancelReason == req.OrderReason():
				return nil // the cancel under way, asked again (its answer lost): it answers when done
			case s.state.Status != saga.Running || s.cancelReason != "":
				return fmt.Errorf("order %s can no longer be cancelled: the saga is %s", s.state.OrderID, s.state.Status)
			case len(req.Reason) > 200:
				return fmt.Errorf("a cancellation reason holds at most 200 characters")
			}
			return nil
		}})
}

// stepOptions bound each attempt of a forward step and the step as a whole,
// and retry it by the policy's rule.
func (p Policy) stepOptions(summary string) workflow.ActivityOptions {
	retry := p.StepRetry
	return workflow.ActivityOptions{
		StartToCloseTimeout:    p.StepTimeout,
		ScheduleToCloseTimeout: p.StepDeadline,
		RetryPolicy:            &retry,
		Summary:                summary,
	}
}

// localStepOptions are stepOptions for a step run as a local activity.
func (p Policy) localStepOptions(summary string) workflow.LocalActivityOptions {
	o := p.stepOptions(summary)
	return workflow.LocalActivityOptions{StartToCloseTimeout: o.StartToCloseTimeout,
		ScheduleToCloseTimeout: o.ScheduleToCloseTimeout, RetryPolicy: o.RetryPolicy, Summary: o.Summary}
}

// pivotOptions retry the question that settles the pivot until it is
// answered, with no deadline and no limit on attempts: once the pivot may
// have committed, giving up is not an option.
func (p Policy) pivotOptions() workflow.ActivityOptions {
	retry := p.StepRetry
	retry.MaximumAttempts = 0
	return workflow.ActivityOptions{StartToCloseTimeout: p.StepTimeout, RetryPolicy: &retry}
}

// retriableOptions retry a retriable step until it succeeds: no deadline,
// no limit on attempts, the step's capped backoff.
func (p Policy) retriableOptions(summary string) workflow.ActivityOptions {
	o := p.pivotOptions()
	o.Summary = summary
	return o
}

// localUndoOptions give a compensation's local first try one attempt,
// bounded as any try of it.
func (p Policy) localUndoOptions(summary string) workflow.LocalActivityOptions {
	return workflow.LocalActivityOptions{StartToCloseTimeout: p.CompensationTimeout, ScheduleToCloseTimeout: p.CompensationTimeout,
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 1}, Summary: summary}
}

func (p Policy) compensationOptions() workflow.ActivityOptions {
	retry := p.CompensationRetry
	return workflow.ActivityOptions{
		StartToCloseTimeout:    p.CompensationTimeout,
		ScheduleToCloseTimeout: p.CompensationDeadline,
		RetryPolicy:            &retry,
	}
}

// stepError is a step's failure, with the step's name.
type stepError struct {
	step string
	err  error
}

func (e *stepError) Error() string { return e.step + ": " + e.err.Error() }
func (e *stepError) Unwrap() error { return e.err }

// execution is the state of one run: the deferred compensations, the result and
// what the state query reports.
type execution struct {
	ctx              workflow.Context // cancelled by the cancel update
	policy           Policy
	log              log.Logger
	result           saga.Result
	state            saga.State
	facts            saga.Facts
	compensations    []*saga.Undo
	searchAttributes bool   // this run upserts search attributes (version >= 1)
	current          bool   // this run started on this code (currentVersion)
	cancelReason     string // set by the cancel update
	forwardOnly      bool   // the pivot has started: no cancel is taken
	done             bool
}

func (s *execution) upsert(ctx workflow.Context, updates ...temporal.SearchAttributeUpdate) {
	if !s.searchAttributes {
		return
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		s.log.Warn("search attributes not updated", "error", err)
	}
}

func (s *execution) setStatus(ctx workflow.Context, status saga.Status) {
	s.state.Status, s.state.CurrentStep = status, ""
	updates := []temporal.SearchAttributeUpdate{searchSagaStatus.ValueSet(string(status))}
	if s.current && s.facts.TotalCents != 0 {
		updates = append(updates, searchOrderTotal.ValueSet(int64(s.facts.TotalCents)))
	}
	s.upsert(ctx, updates...)
}

// has tells whether this run has the change a version guards: a current
// run has them all, an older one as its history says.
func (s *execution) has(ctx workflow.Context, change string) bool {
	return s.current || workflow.GetVersion(ctx, change, workflow.DefaultVersion, 1) >= 1
}

// compensatable registers the step's compensation, then runs the step. A
// refusal that leaves no effect (fault.Meanings) is the service's definite
// answer that it did nothing, so the compensation is dropped again; any other
// failure keeps it, because the service may have done the work before the
// failure reached us.
func (s *execution) compensatable(st saga.Step) error {
	s.compensations = append(s.compensations, st.Undo)
	err := s.execute(s.ctx, st)
	if err != nil && leftNoEffect(err) {
		s.compensations = s.compensations[:len(s.compensations)-1]
	}
	return err
}

// pivotVersion guards the forward-only pivot: histories recorded before it
// ran the approval like any other step.
const pivotVersion = "pivot-forward-only"

// pivot runs the step after which the saga only goes forward. It is not
// started once a cancel has arrived; once started, no cancel interrupts it
// and no deadline gives up on it. When its answer is lost past the step
// deadline, the step's Ask question is put to its service: APPROVED means
// the pivot happened, CANCELLED that it never will (compensating is then
// right), PENDING that it is tried again. Compensating an approval whose
// outcome is unknown would refund a customer who keeps the goods.
func (s *execution) pivot(ctx workflow.Context, st saga.Step) error {
	if !s.has(ctx, pivotVersion) {
		return s.execute(s.ctx, st)
	}
	if err := s.ctx.Err(); err != nil {
		return &stepError{step: st.Name, err: err}
	}
	s.forwardOnly = true
	forward, _ := workflow.NewDisconnectedContext(ctx)
	for {
		err := s.execute(forward, st)
		if err == nil || definite(err) {
			return err
		}
		s.log.Warn("pivot outcome unknown; asking its service", "step", st.Name, "error", err)
		opts := s.policy.pivotOptions()
		opts.Summary = "Ask where order " + s.result.OrderID + " is (the " + st.Name + " step's answer was lost)"
		var status string
		if err := workflow.ExecuteActivity(workflow.WithActivityOptions(forward, opts), st.Ask.Name,
			saga.OrderRef{OrderID: s.result.OrderID}).Get(forward, &status); err != nil {
			return &stepError{step: st.Name, err: err} // a refusal: the order is gone
		}
		switch status {
		case string(saga.Approved):
			s.result.Done(st.Name)
			return nil
		case string(saga.Cancelled):
			return &stepError{step: st.Name, err: temporal.NewNonRetryableApplicationError(
				"order "+s.result.OrderID+" was cancelled before it could be approved", fault.TypeOf(fault.ErrIllegalTransition), nil)}
		}
	}
}

// retriableVersion guards the retriable steps after the pivot: histories
// recorded before them ended at the approval.
const retriableVersion = "retriable-steps"

// forward runs the retriable steps after the pivot. Each is tried as a step
// first, then, if its outcome is still open, until it succeeds, with no
// deadline. No cancel stops it. A refusal is a defect, never a reason to
// undo: it is logged as an error and counted, and the saga stays approved.
func (s *execution) forward(ctx workflow.Context) {
	if !s.has(ctx, retriableVersion) {
		return
	}
	forward, _ := workflow.NewDisconnectedContext(ctx)
	for _, st := range saga.Purchase.Steps {
		if st.Class != saga.Retriable {
			continue
		}
		err := s.execute(forward, st)
		if err != nil && !definite(err) {
			err = s.call(forward, st, workflow.WithActivityOptions(forward, s.policy.retriableOptions(st.Summary(s.facts))), false)
		}
		if err != nil {
			s.log.Error("a step after the pivot was refused: a defect, the saga stays approved", "step", st.Name, "error", err)
			workflow.GetMetricsHandler(ctx).WithTags(map[string]string{saga.MetricStep: st.Name, saga.MetricMode: string(saga.Orchestration)}).
				Counter(saga.MetricDefects).Inc(1)
		}
	}
	s.state.CurrentStep = ""
}

// execute runs one forward step, as a local activity or a regular one as the
// policy says, and records it as done.
func (s *execution) execute(ctx workflow.Context, st saga.Step) error {
	summary := st.Summary(s.facts)
	if s.policy.LocalSteps {
		return s.call(ctx, st, workflow.WithLocalActivityOptions(ctx, s.policy.localStepOptions(summary)), true)
	}
	return s.call(ctx, st, workflow.WithActivityOptions(ctx, s.policy.stepOptions(summary)), false)
}

// call runs the step's activity in actx, as a local activity or not, and
// records the step as done.
func (s *execution) call(ctx workflow.Context, st saga.Step, actx workflow.Context, local bool) error {
	s.state.CurrentStep = st.Name
	err := st.Call.Run(&s.facts, func(activity string, in, out any) error {
		if local {
			return workflow.ExecuteLocalActivity(actx, activity, in).Get(ctx, out)
		}
		return workflow.ExecuteActivity(actx, activity, in).Get(ctx, out)
	})
	if err != nil {
		s.log.Info("step failed", "step", st.Name, "error", err)
		return &stepError{step: st.Name, err: err}
	}
	s.result.Done(st.Name)
	return nil
}

// fenceVersion guards the fenced abort: histories recorded before it ran
// only the compensations their execution had registered, in reverse order.
const fenceVersion = "fenced-abort"

// abort records why the saga stopped and runs the compensations on a
// disconnected context, so that cancelling the workflow cannot stop the undo
// half-way.
//
// With local steps, a workflow task that ran steps and was then lost (its
// worker or the server killed before it completed) left their effects, but
// no record: its retry may take another path (a cancel arrived meanwhile,
// or a step now times out) and never register their compensations, and the
// lost task may even have approved the order. So unless the cause is a
// refusal, which every retry meets again at the same step, the abort is
// fenced: the first step is undone first (once the order is cancelled it
// can never be approved; found approved, the saga was approved and goes
// forward), then every other compensatable step, reached or not, since an
// undo of what never happened only leaves a tombstone.
func (s *execution) abort(ctx workflow.Context, cause error) (saga.Result, error) {
	s.result.Reason = reason(cause)
	if s.cancelReason != "" && errors.As(cause, new(*temporal.CanceledError)) {
		s.result.Reason = s.cancelReason
	}
	s.facts.Reason = s.result.Reason
	s.setStatus(ctx, saga.Compensating)
	undoCtx, _ := workflow.NewDisconnectedContext(ctx)
	var undos []*saga.Undo
	for i := len(s.compensations) - 1; i >= 0; i-- {
		undos = append(undos, s.compensations[i])
	}
	fenced := s.policy.LocalSteps && !definite(cause) && s.has(ctx, fenceVersion)
	if fenced {
		undos = []*saga.Undo{saga.Purchase.Steps[0].Undo} // the fence
		for _, st := range slices.Backward(saga.Purchase.Steps[1:]) {
			if st.Undo != nil {
				undos = append(undos, st.Undo)
			}
		}
	}
	localFirst := s.policy.LocalSteps && s.has(ctx, localUndoVersion)
	var failed []error
	for i, c := range undos {
		s.state.CurrentStep = c.Name
		err := s.undo(undoCtx, c, localFirst)
		if fenced && i == 0 && refusedAsApproved(err) {
			return s.approvedEarlier(undoCtx)
		}
		if c == saga.Purchase.Steps[0].Undo && heldByAnother(err) {
			// The order ID is another purchase's: this saga's create
			// never took effect, so no later step did either, and every
			// other undo would reach that purchase.
			return s.leftAlone(undoCtx, err)
		}
		if err != nil {
			s.log.Error("compensation failed", "compensation", c.Name, "error", err)
			failed = append(failed, fmt.Errorf("%s: %w", c.Name, err))
			continue
		}
		s.result.Undone(c.Name)
	}
	if len(failed) > 0 {
		s.result.Status = saga.Failed
		s.setStatus(undoCtx, saga.Failed)
		err := errors.Join(failed...)
		return s.result, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("order %s: compensation failed after %q, the services may disagree and need manual repair: %v",
				s.result.OrderID, s.result.Reason, err),
			saga.ErrTypeCompensationFailed, err, s.result)
	}
	s.result.Status = saga.Cancelled
	s.setStatus(undoCtx, saga.Cancelled)
	s.log.Info("purchase cancelled", "reason", s.result.Reason, "compensations", s.result.Compensations)
	return s.result, nil
}

// localUndoVersion guards the compensations' local first try: histories
// recorded before it ran every compensation as a regular activity.
const localUndoVersion = "local-undo"

// undo runs one compensation: with localFirst, one try as a local activity
// in this workflow task, which is how nearly every undo ends; a refusal is
// final there too. Anything else, or without localFirst, runs it as a
// regular activity under the compensation policy: retried for up to a
// day, each try in the history and the Web UI.
func (s *execution) undo(ctx workflow.Context, c *saga.Undo, localFirst bool) error {
	summary := c.Summary(s.facts)
	if localFirst {
		err := c.Call.Run(&s.facts, func(activity string, in, out any) error {
			return workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, s.policy.localUndoOptions(summary)), activity, in).Get(ctx, out)
		})
		if err == nil || definite(err) {
			return err
		}
		s.log.Info("compensation's local try failed; retrying it as an activity", "compensation", c.Name, "error", err)
	}
	opts := s.policy.compensationOptions()
	opts.Summary = summary
	return c.Call.Run(&s.facts, func(activity string, in, out any) error {
		return workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, opts), activity, in).Get(ctx, out)
	})
}

// refusedAsApproved tells whether a cancel of the order was refused because
// the order is approved.
func refusedAsApproved(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == fault.TypeOf(fault.ErrIllegalTransition)
}

// heldByAnother tells whether the order refused an undo because another
// purchase created it.
func heldByAnother(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == fault.TypeOf(fault.ErrIdempotencyConflict)
}

// leftAlone ends a saga whose order ID another purchase holds: it did
// nothing, so it undoes nothing, and it ends CANCELLED saying why.
func (s *execution) leftAlone(ctx workflow.Context, err error) (saga.Result, error) {
	s.log.Warn("the order belongs to another purchase; nothing is undone", "error", err)
	s.result.Reason = fmt.Sprintf("%s; order %s belongs to another purchase, which is left alone", s.result.Reason, s.result.OrderID)
	s.result.Status = saga.Cancelled
	s.setStatus(ctx, saga.Cancelled)
	return s.result, nil
}

// totalVersion guards the read of the total when a fenced abort finds the
// order approved: histories recorded before it went forward at once.
const totalVersion = "approved-total"

// approvedEarlier ends the saga's way back: a fenced abort found the order
// approved by an earlier, lost attempt of this saga's workflow task, so
// every step up to the pivot was done and the purchase stands. When this
// run had not learnt the total yet, the create step, which is idempotent,
// is asked again for it.
func (s *execution) approvedEarlier(ctx workflow.Context) (saga.Result, error) {
	s.log.Warn("order found approved by an earlier attempt; the saga goes forward", "reason", s.result.Reason)
	s.result.Status, s.result.Reason, s.result.Progress = saga.Approved, "", saga.Purchase.Completed()
	s.facts.Reason = ""
	if s.facts.TotalCents == 0 && s.has(ctx, totalVersion) {
		create := saga.Purchase.Steps[0]
		opts := s.policy.retriableOptions("Read back order " + s.result.OrderID + "'s total (approved by an earlier attempt)")
		if err := create.Call.Run(&s.facts, func(activity string, in, out any) error {
			return workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, opts), activity, in).Get(ctx, out)
		}); err != nil {
			s.log.Error("the approved order's total could not be read", "error", err)
		}
		s.result.TotalCents = s.facts.TotalCents
		if !s.current {
			s.upsert(ctx, searchOrderTotal.ValueSet(int64(s.facts.TotalCents)))
		}
	}
	s.setStatus(ctx, saga.Approved)
	return s.result, nil
}

// leftNoEffect tells whether err is a refusal after which the service holds
// nothing to undo (fault.Meanings).
func leftNoEffect(err error) bool {
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		return false
	}
	m, ok := fault.ByType(appErr.Type())
	return ok && m.NoEffect
}

// definite tells whether err is the service's final answer: a refusal, not a
// timeout or a transient failure whose work may or may not have been done.
func definite(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.NonRetryable()
}

// reason is the cancellation reason a person reads: the service's words for a
// refusal, or which step failed and how.
func reason(err error) string {
	var appErr *temporal.ApplicationError
	var timeout *temporal.TimeoutError
	var canceled *temporal.CanceledError
	var se *stepError
	name := "a step"
	if errors.As(err, &se) {
		name = se.step
	}
	switch {
	case errors.As(err, &canceled):
		return "cancelled by request"
	case errors.As(err, &appErr) && appErr.NonRetryable():
		return appErr.Message()
	case errors.As(err, &timeout):
		return fmt.Sprintf("%s timed out (%s)", name, timeout.TimeoutType())
	case errors.As(err, &appErr):
		return fmt.Sprintf("%s kept failing: %s", name, appErr.Message())
	}
	return err.Error()
}
