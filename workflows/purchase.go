// Package workflows holds the purchase saga as a Temporal workflow. It is
// deterministic: every side effect is an activity, and it imports nothing
// that reads a clock, randomness, the network or a database.
package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/sagaforge/saga/purchase"
)

// Policy is how hard the saga tries. Steps retry transient failures with
// backoff until StepDeadline, then the saga gives up and compensates.
// Compensations retry until CompensationDeadline, because an undo that is
// given up on leaves the databases disagreeing.
type Policy struct {
	// LocalSteps runs the forward steps as local activities: inside the
	// workflow task, recorded as markers, with no server round trip per
	// step. A saga then costs ~2 workflow tasks instead of ~10 hand-offs,
	// which on a small node is most of its latency. Compensations always run
	// as regular activities: they may retry for a day and deserve full
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
// purchase.WorkflowType.
type Purchase struct {
	Policy Policy
	// skipVersionGuard upserts search attributes whatever the history says,
	// as the change would look without GetVersion. Only the test that shows
	// why the guard is needed sets it.
	skipVersionGuard bool
}

// Typed search attributes (see purchase.Search*).
var (
	searchOrderID    = temporal.NewSearchAttributeKeyKeyword(purchase.SearchOrderID)
	searchCustomerID = temporal.NewSearchAttributeKeyKeyword(purchase.SearchCustomerID)
	searchOrderTotal = temporal.NewSearchAttributeKeyInt64(purchase.SearchOrderTotal)
	searchSagaStatus = temporal.NewSearchAttributeKeyKeyword(purchase.SearchSagaStatus)
)

// searchAttributesVersion guards the search attribute upserts: histories
// recorded before them (testdata/v0) have no such commands.
const searchAttributesVersion = "search-attributes"

// Run creates the order (PENDING), reserves stock, charges the payment and
// approves the order. A step registers its compensation before it is called,
// so a step that timed out after the service did its work is still undone. On
// failure, or when the customer cancels (update "cancel"), the compensations
// run in reverse order and the saga ends CANCELLED with the reason; if a
// compensation cannot be done, the workflow fails with
// ErrTypeCompensationFailed. Query "state" tells where it is.
func (p Purchase) Run(ctx workflow.Context, in purchase.Input) (purchase.Result, error) {
	stepsCtx, cancelSteps := workflow.WithCancel(ctx)
	s := &saga{
		ctx:    workflow.WithLocalActivityOptions(workflow.WithActivityOptions(stepsCtx, p.stepOptions()), p.localStepOptions()),
		policy: p.Policy,
		log:    log.With(workflow.GetLogger(ctx), "order_id", in.OrderID),
		result: purchase.Result{OrderID: in.OrderID, Steps: []string{}, Compensations: []string{}},
		state:  purchase.State{OrderID: in.OrderID, Status: purchase.SagaRunning, Steps: []string{}, Compensations: []string{}},
	}
	s.searchAttributes = p.skipVersionGuard || workflow.GetVersion(ctx, searchAttributesVersion, workflow.DefaultVersion, 1) >= 1
	if err := s.handle(ctx, cancelSteps); err != nil {
		return s.result, err
	}
	s.upsert(ctx, searchOrderID.ValueSet(in.OrderID), searchCustomerID.ValueSet(in.CustomerID), searchSagaStatus.ValueSet(string(purchase.SagaRunning)))

	result, err := s.run(ctx, in)
	s.done = true
	// Let a cancel update that is waiting for the outcome return it.
	_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	return result, err
}

func (s *saga) run(ctx workflow.Context, in purchase.Input) (purchase.Result, error) {
	var created purchase.CreateOrderOutput
	err := s.step(purchase.StepCreateOrder, "Create order "+in.OrderID+" for "+in.CustomerID+": "+items(in.Items),
		purchase.ActivityCreateOrder, purchase.CreateOrderInput{OrderID: in.OrderID, CustomerID: in.CustomerID, Items: in.Items}, &created,
		purchase.CompensationCancelOrder, func(ctx workflow.Context) error {
			return execute(ctx, "Cancel order "+in.OrderID+": "+s.result.Reason, purchase.ActivityCancelOrder,
				purchase.CancelOrderInput{OrderID: in.OrderID, Reason: s.result.Reason})
		})
	if err != nil {
		return s.abort(ctx, err)
	}
	s.result.TotalCents = created.TotalCents
	s.upsert(ctx, searchOrderTotal.ValueSet(int64(created.TotalCents)))

	err = s.step(purchase.StepReserveStock, "Reserve "+items(in.Items),
		purchase.ActivityReserveStock, purchase.ReserveStockInput{OrderID: in.OrderID, Items: in.Items}, nil,
		purchase.CompensationReleaseStock, func(ctx workflow.Context) error {
			return execute(ctx, "Release "+items(in.Items), purchase.ActivityReleaseStock,
				purchase.ReleaseStockInput{OrderID: in.OrderID, Reason: s.result.Reason})
		})
	if err != nil {
		return s.abort(ctx, err)
	}

	err = s.step(purchase.StepChargePayment, "Charge "+created.TotalCents.String()+" to "+in.CustomerID,
		purchase.ActivityChargePayment, purchase.ChargePaymentInput{OrderID: in.OrderID, CustomerID: in.CustomerID, AmountCents: created.TotalCents}, nil,
		purchase.CompensationRefundPayment, func(ctx workflow.Context) error {
			return execute(ctx, "Refund "+created.TotalCents.String()+" to "+in.CustomerID, purchase.ActivityRefundPayment,
				purchase.OrderRef{OrderID: in.OrderID})
		})
	if err != nil {
		return s.abort(ctx, err)
	}

	err = s.step(purchase.StepApproveOrder, "Approve order "+in.OrderID, purchase.ActivityApproveOrder, purchase.OrderRef{OrderID: in.OrderID}, nil, "", nil)
	if err != nil {
		return s.abort(ctx, err)
	}
	s.result.Status = purchase.StatusApproved
	s.setStatus(ctx, purchase.SagaApproved)
	s.log.Info("purchase approved", "total_cents", int64(s.result.TotalCents))
	return s.result, nil
}

// handle registers the state query and the cancel update.
func (s *saga) handle(ctx workflow.Context, cancelSteps workflow.CancelFunc) error {
	if err := workflow.SetQueryHandler(ctx, purchase.QueryState, func() (purchase.State, error) {
		return s.state, nil
	}); err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, purchase.UpdateCancel,
		func(ctx workflow.Context, req purchase.CancelRequest) (purchase.Result, error) {
			s.cancelReason = "cancelled by the customer"
			if req.Reason != "" {
				s.cancelReason += ": " + req.Reason
			}
			cancelSteps()
			if err := workflow.Await(ctx, func() bool { return s.done }); err != nil {
				return purchase.Result{}, err
			}
			return s.result, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, req purchase.CancelRequest) error {
			switch {
			case s.state.Status == purchase.SagaApproved || s.state.CurrentStep == purchase.StepApproveOrder:
				return fmt.Errorf("order %s is approved (or being approved) and can no longer be cancelled", s.state.OrderID)
			case s.state.Status != purchase.SagaRunning || s.cancelReason != "":
				return fmt.Errorf("order %s can no longer be cancelled: the saga is %s", s.state.OrderID, s.state.Status)
			case len(req.Reason) > 200:
				return fmt.Errorf("a cancellation reason holds at most 200 characters")
			}
			return nil
		}})
}

func (p Purchase) stepOptions() workflow.ActivityOptions {
	retry := p.Policy.StepRetry
	return workflow.ActivityOptions{
		StartToCloseTimeout:    p.Policy.StepTimeout,
		ScheduleToCloseTimeout: p.Policy.StepDeadline,
		RetryPolicy:            &retry,
	}
}

func (p Purchase) localStepOptions() workflow.LocalActivityOptions {
	retry := p.Policy.StepRetry
	return workflow.LocalActivityOptions{
		StartToCloseTimeout:    p.Policy.StepTimeout,
		ScheduleToCloseTimeout: p.Policy.StepDeadline,
		RetryPolicy:            &retry,
	}
}

func (p Purchase) compensationOptions() workflow.ActivityOptions {
	retry := p.Policy.CompensationRetry
	return workflow.ActivityOptions{
		StartToCloseTimeout:    p.Policy.CompensationTimeout,
		ScheduleToCloseTimeout: p.Policy.CompensationDeadline,
		RetryPolicy:            &retry,
	}
}

// compensation is one undo in the deferred list.
type compensation struct {
	name string
	run  func(ctx workflow.Context) error
}

// saga is the state of one run: the deferred compensations, the result and
// what the state query reports.
type saga struct {
	ctx              workflow.Context
	policy           Policy
	log              log.Logger
	result           purchase.Result
	state            purchase.State
	compensations    []compensation
	searchAttributes bool   // this run upserts search attributes (version >= 1)
	cancelReason     string // set by the cancel update
	done             bool
}

func (s *saga) upsert(ctx workflow.Context, updates ...temporal.SearchAttributeUpdate) {
	if !s.searchAttributes {
		return
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		s.log.Warn("search attributes not updated", "error", err)
	}
}

func (s *saga) setStatus(ctx workflow.Context, status purchase.SagaStatus) {
	s.state.Status, s.state.CurrentStep = status, ""
	s.upsert(ctx, searchSagaStatus.ValueSet(string(status)))
}

// step registers the step's compensation (if any), then runs the step. A
// business refusal is the service's definite answer that it did nothing, so
// its compensation is dropped again; any other failure keeps it, because
// the service may have done the work before the failure reached us.
func (s *saga) step(name, summary, activity string, in, out any, compName string, undo func(workflow.Context) error) error {
	if undo != nil {
		s.compensations = append(s.compensations, compensation{name: compName, run: undo})
	}
	s.state.CurrentStep = name
	var step workflow.Future
	if s.policy.LocalSteps {
		opts := Purchase{Policy: s.policy}.localStepOptions()
		opts.Summary = summary
		step = workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(s.ctx, opts), activity, in)
	} else {
		opts := Purchase{Policy: s.policy}.stepOptions()
		opts.Summary = summary
		step = workflow.ExecuteActivity(workflow.WithActivityOptions(s.ctx, opts), activity, in)
	}
	err := step.Get(s.ctx, out)
	if err != nil {
		if undo != nil && refusedWithoutEffect(err) {
			s.compensations = s.compensations[:len(s.compensations)-1]
		}
		s.log.Info("step failed", "step", name, "error", err)
		return fmt.Errorf("%s: %w", name, err)
	}
	s.result.Steps = append(s.result.Steps, name)
	s.state.Steps = append(s.state.Steps, name)
	return nil
}

// abort records why the saga stopped and runs the compensations in reverse
// order on a disconnected context, so that cancelling the workflow cannot
// stop the undo half-way.
func (s *saga) abort(ctx workflow.Context, cause error) (purchase.Result, error) {
	s.result.Reason = reason(cause)
	if s.cancelReason != "" && errors.As(cause, new(*temporal.CanceledError)) {
		s.result.Reason = s.cancelReason
	}
	s.state.Reason = s.result.Reason
	s.setStatus(ctx, purchase.SagaCompensating)
	undoCtx, _ := workflow.NewDisconnectedContext(ctx)
	undoCtx = workflow.WithActivityOptions(undoCtx, Purchase{Policy: s.policy}.compensationOptions())
	var failed []error
	for i := len(s.compensations) - 1; i >= 0; i-- {
		c := s.compensations[i]
		s.state.CurrentStep = c.name
		if err := c.run(undoCtx); err != nil {
			s.log.Error("compensation failed", "compensation", c.name, "error", err)
			failed = append(failed, fmt.Errorf("%s: %w", c.name, err))
			continue
		}
		s.result.Compensations = append(s.result.Compensations, c.name)
		s.state.Compensations = append(s.state.Compensations, c.name)
	}
	if len(failed) > 0 {
		s.result.Status = purchase.StatusFailed
		s.setStatus(undoCtx, purchase.SagaFailed)
		err := errors.Join(failed...)
		return s.result, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("order %s: compensation failed after %q, the services may disagree and need manual repair: %v",
				s.result.OrderID, s.result.Reason, err),
			purchase.ErrTypeCompensationFailed, err, s.result)
	}
	s.result.Status = purchase.StatusCancelled
	s.setStatus(undoCtx, purchase.SagaCancelled)
	s.log.Info("purchase cancelled", "reason", s.result.Reason, "compensations", s.result.Compensations)
	return s.result, nil
}

// execute runs a compensation activity with its summary.
func execute(ctx workflow.Context, summary, activity string, in any) error {
	opts := workflow.GetActivityOptions(ctx)
	opts.Summary = summary
	ctx = workflow.WithActivityOptions(ctx, opts)
	return workflow.ExecuteActivity(ctx, activity, in).Get(ctx, nil)
}

// items describes a cart for summaries: "2 x SKU-1, 1 x SKU-2".
func items(its []purchase.Item) string {
	parts := make([]string, len(its))
	for i, it := range its {
		parts[i] = fmt.Sprintf("%d x %s", it.Quantity, it.SKU)
	}
	return strings.Join(parts, ", ")
}

// refusedWithoutEffect tells whether err is a refusal after which the service
// holds nothing to undo: bad input writes nothing, and a stock or payment
// refusal is recorded as REJECTED or DECLINED, never as a reservation or a
// capture.
func refusedWithoutEffect(err error) bool {
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		return false
	}
	switch appErr.Type() {
	case purchase.ErrTypeInvalidOrder, purchase.ErrTypeOutOfStock, purchase.ErrTypePaymentDeclined:
		return true
	}
	return false
}

// reason is the cancellation reason a person reads: the service's words for a
// refusal, or which step failed and how.
func reason(err error) string {
	var appErr *temporal.ApplicationError
	var timeout *temporal.TimeoutError
	var canceled *temporal.CanceledError
	switch {
	case errors.As(err, &canceled):
		return "cancelled by request"
	case errors.As(err, &appErr) && appErr.NonRetryable():
		return appErr.Message()
	case errors.As(err, &timeout):
		return fmt.Sprintf("%s timed out (%s)", stepOf(err), timeout.TimeoutType())
	case errors.As(err, &appErr):
		return fmt.Sprintf("%s kept failing: %s", stepOf(err), appErr.Message())
	}
	return err.Error()
}

// stepOf returns the step name that step() put in front of the error.
func stepOf(err error) string {
	for _, name := range []string{purchase.StepCreateOrder, purchase.StepReserveStock, purchase.StepChargePayment, purchase.StepApproveOrder} {
		if len(err.Error()) >= len(name) && err.Error()[:len(name)] == name {
			return name
		}
	}
	return "a step"
}
