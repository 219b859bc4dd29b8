// Package purchases is the purchase API of the orchestrator process: start
// a purchase in either mode, follow it to its outcome, cancel it. The
// worker serves it over HTTP (http.go); the starter calls it directly, or
// through the worker with --api (Client). Failures are fault sentinels, so
// each caller words them its way: a problem+json answer, or an exit code.
package purchases

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/sagaforge/saga/internal/messaging/chain"
	"github.com/sagaforge/saga/internal/messaging/consumed"
	"github.com/sagaforge/saga/internal/messaging/kafkaio"
	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/platform/money"
	"github.com/sagaforge/saga/internal/platform/temporalx"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/internal/services/order/orderapi"
)

// Report is a purchase as the API answers it and the starter prints it.
type Report struct {
	OrderID     string      `json:"order_id"`
	Mode        string      `json:"mode"`
	CurrentStep string      `json:"current_step,omitempty"`
	WorkflowID  string      `json:"workflow_id"`
	RunID       string      `json:"run_id,omitempty"`
	UIURL       string      `json:"ui_url"`
	Status      saga.Status `json:"status"`
	Reason      string      `json:"reason"`
	TotalCents  money.Cents `json:"total_cents"`
	saga.Progress
	TraceID string `json:"trace_id,omitempty"` // when spans are exported
}

// Settled reports whether the purchase has its outcome.
func (r Report) Settled() bool { return r.Status.Settled() }

// API is the purchase API, the same in this process (*Service) and over
// HTTP (Client): the starter, the bench and the worker's HTTP handlers all
// buy through it, in either mode. Every call is idempotent under retry:
// a purchase is keyed by its order ID, and a repeated cancel answers as
// the first did.
type API interface {
	// Purchase starts the purchase, or attaches to the one its order ID
	// names when that was started with the same request, then waits up
	// to wait (0: not at all) for its outcome and reports it as it stands.
	Purchase(ctx context.Context, req Request, wait time.Duration) (Report, error)
	// Get reports a purchase after waiting up to wait for its outcome.
	Get(ctx context.Context, orderID string, wait time.Duration) (Report, error)
	// Cancel cancels a purchase in flight and waits up to wait for its
	// compensations; one still undoing is reported as it stands
	// (COMPENSATING), and the cancel goes on.
	Cancel(ctx context.Context, orderID, reason string, wait time.Duration) (Report, error)
	// List reads a page of purchases in both modes, newest first.
	List(ctx context.Context, q ListQuery) (Page, error)
}

var (
	_ API = (*Service)(nil)
	_ API = Client{}
)

// Service runs purchases on Temporal (orchestration) or through the order
// service and the events on Kafka (choreography).
type Service struct {
	Temporal client.Client
	Orders   orderapi.Client
	Brokers  kafkaio.Brokers
	Links    temporalx.Config // where the Web UI is, for each run's link
	// EagerStart asks Temporal to hand the first workflow task back in the
	// start's answer (eager workflow start), to the worker this process
	// runs on the same client: one trip through matching less per saga.
	EagerStart bool
	// Pivots, when this process also runs the sagas' steps, answers a
	// waiting purchase as soon as its pivot is in (nil: when its result is).
	Pivots *Pivots
	// Direct, when set, takes purchases in mode direct, the benchmark's
	// baseline (nil: that mode is refused).
	Direct *Direct
	// Inboxes are the services' records of the events they consumed, for
	// a choreographed purchase's timeline.
	Inboxes []consumed.Client
	// TraceUI, when set, is where a purchase's trace is shown (Jaeger's
	// UI: TraceUI/trace/{id}).
	TraceUI string
}

// Request is a purchase to start.
type Request struct {
	saga.Input
	Mode saga.Mode `json:"mode,omitempty"` // orchestration when empty
}

// Purchase starts the purchase, or attaches to the one its order ID
// already names when that was started with the same request, then waits up
// to wait for its outcome and reports it as it then stands. A different
// request under the same order ID, or the same ID in the other mode, is
// fault.ErrIdempotencyConflict; bad input fault.ErrInvalid.
func (s *Service) Purchase(ctx context.Context, req Request, wait time.Duration) (Report, error) {
	if req.Mode == "" {
		req.Mode = saga.Orchestration
	}
	// An ID made here is 64 random bits: no order holds it yet, so there is
	// no other mode's purchase to ask the order service about.
	fresh := req.OrderID == ""
	if fresh {
		req.OrderID = input.NewOrderID()
	}
	switch req.Mode {
	case saga.Orchestration, saga.Choreography:
	case saga.Direct:
		if s.Direct == nil {
			return Report{}, errNoDirect
		}
	default:
		return Report{}, fmt.Errorf("%w: mode must be orchestration or choreography, got %q", fault.ErrInvalid, req.Mode)
	}
	if err := req.Input.Validate(); err != nil {
		return Report{}, err
	}
	if req.Mode == saga.Direct {
		return s.direct(ctx, req.Input, fresh)
	}
	if !fresh {
		o, known, err := s.orderOf(ctx, req.OrderID)
		switch {
		case err != nil:
			return Report{}, err
		case known && o.Mode != "" && o.Mode != req.Mode:
			return Report{}, fmt.Errorf("%w: order %s exists as a %s purchase (follow it in that mode)", fault.ErrIdempotencyConflict, req.OrderID, o.Mode)
		}
	}
	if req.Mode == saga.Choreography {
		o, rep, err := s.startChoreographed(ctx, req.Input)
		if err != nil || rep.Settled() || wait <= 0 {
			return rep, err
		}
		return s.settleChoreographed(ctx, o, wait)
	}
	var pivot *pivotWatch
	if s.Pivots != nil && wait > 0 {
		w, stop := s.Pivots.watch(req.OrderID) // before the saga can reach it
		defer stop()
		pivot = w
	}
	run, attached, err := s.startWorkflow(ctx, req.Input)
	if err != nil {
		return Report{}, err
	}
	if attached && wait <= 0 {
		return s.orchestrated(ctx, req.OrderID, 0) // a repeat: the saga as it stands, settled or not
	}
	rep := s.running(run.GetID(), run.GetRunID(), req.OrderID)
	if wait <= 0 {
		return rep, nil
	}
	return s.follow(ctx, rep, run, pivot, wait)
}

// direct runs a purchase in the direct mode; a repeat of one that has
// settled answers its outcome from the order, as the first answer said it.
func (s *Service) direct(ctx context.Context, in saga.Input, fresh bool) (Report, error) {
	if !fresh {
		o, known, err := s.orderOf(ctx, in.OrderID)
		if err != nil {
			return Report{}, err
		}
		if known && o.Status != orderapi.StatusPending {
			if o.CustomerID != in.CustomerID {
				return Report{}, fmt.Errorf("%w: order %s was bought by %s", fault.ErrIdempotencyConflict, in.OrderID, o.CustomerID)
			}
			return Report{OrderID: o.OrderID, Mode: string(saga.Direct), Status: saga.Status(o.Status), Reason: o.Reason,
				TotalCents: o.TotalCents, Progress: saga.Begun()}, nil
		}
	}
	return s.Direct.Run(ctx, in)
}

// follow waits up to wait for the saga just started or attached to: for
// its pivot, when this process runs its steps, or for its result. It asks
// neither the order service nor Temporal again what Purchase already knows.
func (s *Service) follow(ctx context.Context, rep Report, run client.WorkflowRun, pivot *pivotWatch, wait time.Duration) (Report, error) {
	waitCtx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	var approved <-chan struct{} // nil: never
	if pivot != nil {
		approved = pivot.approved
	}
	result, ended := rep, make(chan error, 1)
	go func() { ended <- Outcome(waitCtx, run, &result) }()
	select {
	case <-approved:
		return pivot.report(rep), nil
	case err := <-ended:
		switch {
		case err == nil:
			return result, nil
		case !waitEnded(waitCtx):
			return Report{}, err
		}
	}
	// Still running after the wait: say where it is.
	return s.Get(ctx, rep.OrderID, 0)
}

func (s *Service) running(workflowID, runID, orderID string) Report {
	return Report{OrderID: orderID, Mode: string(saga.Orchestration), WorkflowID: workflowID, RunID: runID,
		UIURL: s.Links.WorkflowURL(workflowID, runID), Status: saga.Running, Progress: saga.Begun()}
}

// startWorkflow starts the order's saga, or attaches to the one that exists
// (running or ended): the workflow ID is derived from the order ID, so one
// order has one saga. It attaches only when the saga was started with the
// same input, and says whether it did.
func (s *Service) startWorkflow(ctx context.Context, in saga.Input) (run client.WorkflowRun, attached bool, err error) {
	opts := client.StartWorkflowOptions{
		ID:                       saga.WorkflowID(in.OrderID),
		TaskQueue:                saga.TaskQueue,
		StaticSummary:            Summary(in),
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		// Told, not attached silently: the input decides whether to attach.
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		EnableEagerStart:                         s.EagerStart,
	}
	run, err = s.Temporal.ExecuteWorkflow(ctx, opts, saga.WorkflowType, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		first, ferr := s.input(ctx, opts.ID)
		if ferr != nil {
			return nil, false, ferr
		}
		if !sameInput(first, in) {
			return nil, false, fmt.Errorf("%w: order %s was bought by %s with other items", fault.ErrIdempotencyConflict, in.OrderID, first.CustomerID)
		}
		return s.Temporal.GetWorkflow(ctx, opts.ID, ""), true, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("start saga for order %s: %w", in.OrderID, err)
	}
	return run, false, nil
}

// input reads the input a saga was started with, from its first event.
func (s *Service) input(ctx context.Context, workflowID string) (saga.Input, error) {
	it := s.Temporal.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	if !it.HasNext() {
		return saga.Input{}, fmt.Errorf("saga %s has no history", workflowID)
	}
	ev, err := it.Next()
	if err != nil {
		return saga.Input{}, fmt.Errorf("read saga %s: %w", workflowID, err)
	}
	var in saga.Input
	payloads := ev.GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads()
	if len(payloads) == 0 || converter.GetDefaultDataConverter().FromPayload(payloads[0], &in) != nil {
		return saga.Input{}, fmt.Errorf("saga %s: unreadable input", workflowID)
	}
	return in, nil
}

// sameInput compares two purchases line by line, in any order.
func sameInput(a, b saga.Input) bool {
	key := func(in saga.Input) string {
		lines := make([]string, len(in.Items))
		for i, it := range in.Items {
			lines[i] = fmt.Sprintf("%s:%d", it.SKU, it.Quantity)
		}
		slices.Sort(lines)
		return in.OrderID + "|" + in.CustomerID + "|" + strings.Join(lines, ",")
	}
	return key(a) == key(b)
}

// Summary is the workflow's one-line summary in the Web UI.
func Summary(in saga.Input) string {
	return fmt.Sprintf("%s buys %s (order %s)", in.CustomerID, input.Describe(in.Items), in.OrderID)
}

// startChoreographed creates the order in choreography mode; from there
// the services carry the saga by reacting to each other's events.
func (s *Service) startChoreographed(ctx context.Context, in saga.Input) (orderapi.OrderResponse, Report, error) {
	o, err := s.Orders.Create(ctx, orderapi.CreateOrderRequest{OrderID: in.OrderID, CustomerID: in.CustomerID, Items: in.Items, Mode: saga.Choreography})
	if errors.Is(err, fault.ErrCompensated) {
		// A cancel overtook the create: the order was cancelled before it
		// existed, and its tombstone refused the create.
		return o, cancelledBeforeCreated(in.OrderID, saga.Choreography), nil
	}
	if err != nil {
		return o, Report{}, err
	}
	if o.Status != orderapi.StatusPending { // a repeat of a settled purchase: its outcome
		rep, err := ChoreographyReport(ctx, o, s.Brokers)
		return o, rep, err
	}
	return o, Report{OrderID: in.OrderID, Mode: string(saga.Choreography), Status: saga.Running, Progress: saga.Begun()}, nil
}

// settleChoreographed waits up to wait for a choreographed order to settle
// and tells its story.
func (s *Service) settleChoreographed(ctx context.Context, o orderapi.OrderResponse, wait time.Duration) (Report, error) {
	// The order service holds a read up to its own bound; ask again until
	// the wait asked for is spent.
	for deadline := time.Now().Add(wait); o.Status == orderapi.StatusPending && time.Until(deadline) > 0; {
		settled, err := s.Orders.AwaitSettled(ctx, o.OrderID, min(time.Until(deadline), 10*time.Second).Round(time.Millisecond))
		if err != nil {
			break // what it said last stands
		}
		o = settled
	}
	return ChoreographyReport(ctx, o, s.Brokers)
}

// Get reports the purchase, in either mode; with wait > 0 it first waits up
// to wait for its outcome. An order no saga knows is fault.ErrNotFound.
func (s *Service) Get(ctx context.Context, orderID string, wait time.Duration) (Report, error) {
	// A choreographed order has no workflow: the order service and the
	// events tell its story. Anything else is asked of Temporal.
	o, known, orderErr := s.orderOf(ctx, orderID)
	if orderErr != nil && s.Temporal == nil {
		return Report{}, orderErr
	}
	if known && o.Tombstone && s.Temporal == nil {
		return cancelledBeforeCreated(orderID, o.Mode), nil
	}
	if known && o.Mode == saga.Choreography {
		rep, err := s.settleChoreographed(ctx, o, wait)
		if err == nil && o.Status == orderapi.StatusApproved {
			rep, err = ChoreographyStory(ctx, o, s.Brokers)
		}
		return rep, err
	}
	// An orchestrated saga is Temporal's to tell, order service or not; an
	// order Temporal does not know may be a choreographed one the order
	// service could not say.
	rep, err := s.orchestrated(ctx, orderID, wait)
	switch {
	case errors.Is(err, fault.ErrNotFound) && orderErr != nil:
		return Report{}, orderErr
	case errors.Is(err, fault.ErrNotFound) && known && o.Tombstone:
		// No saga ran: a cancel came first and left the order's tombstone.
		return cancelledBeforeCreated(orderID, o.Mode), nil
	}
	return rep, err
}

// cancelledBeforeCreated is a purchase whose cancel overtook its create:
// the order service keeps a tombstone, which refused the create.
func cancelledBeforeCreated(orderID string, mode saga.Mode) Report {
	return Report{OrderID: orderID, Mode: string(mode), Status: saga.Cancelled, Reason: "cancelled before it was created",
		Progress: saga.Progress{Steps: []string{}, Compensations: []string{saga.Purchase.Steps[0].Undo.Name}}}
}

func (s *Service) orchestrated(ctx context.Context, orderID string, wait time.Duration) (Report, error) {
	wid := saga.WorkflowID(orderID)
	described, err := s.Temporal.DescribeWorkflow(ctx, wid, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return Report{}, fmt.Errorf("%w: no purchase saga for order %s", fault.ErrNotFound, orderID)
	}
	if err != nil {
		return Report{}, fmt.Errorf("describe %s: %w", wid, err)
	}
	desc := described.RawResponse
	runID := desc.GetWorkflowExecutionInfo().GetExecution().GetRunId()
	rep := s.running(wid, runID, orderID)
	run := s.Temporal.GetWorkflow(ctx, wid, runID)
	if desc.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		err := Outcome(ctx, run, &rep)
		return rep, err
	}
	if wait > 0 {
		waitCtx, cancel := context.WithTimeout(ctx, wait)
		defer cancel()
		if err := Outcome(waitCtx, run, &rep); err == nil {
			return rep, nil
		} else if !waitEnded(waitCtx) {
			return Report{}, err
		}
	}
	// Running: ask the saga itself where it is. A saga retrying a step
	// holds its workflow task, and the query waits for it; then the
	// history's word (running) is all there is to say.
	queryCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	var st saga.State
	resp, err := s.Temporal.QueryWorkflow(queryCtx, wid, runID, saga.QueryState)
	if err == nil {
		err = resp.Get(&st)
	}
	if err != nil {
		rep.CurrentStep = "busy retrying a step (see the Web UI)"
		return rep, nil
	}
	rep.Status, rep.CurrentStep, rep.Reason = st.Status, st.CurrentStep, st.Reason
	rep.Progress = st.Progress
	return rep, nil
}

// Cancel cancels a purchase in flight and reports it once its
// compensations are done, or as it stands after wait: an orchestrated one through its cancel update, a
// choreographed one at the order service, whose OrderCancelled makes
// inventory and payment compensate. After the approval began it is
// fault.ErrIllegalTransition; an unknown order fault.ErrNotFound.
func (s *Service) Cancel(ctx context.Context, orderID, why string, wait time.Duration) (Report, error) {
	if len(why) > 200 {
		return Report{}, fmt.Errorf("%w: a reason holds at most 200 characters", fault.ErrInvalid)
	}
	o, known, err := s.orderOf(ctx, orderID)
	if err != nil {
		return Report{}, err // the mode decides the way: ask again
	}
	if known && o.Mode == saga.Choreography {
		return s.cancelChoreographed(ctx, o, why)
	}
	wid := saga.WorkflowID(orderID)
	handle, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: wid, UpdateName: saga.UpdateCancel,
		Args: []any{saga.CancelRequest{Reason: why}}, WaitForStage: client.WorkflowUpdateStageAccepted,
	})
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &notFound):
		// The saga has ended (or never was): say which.
		var res saga.Result
		if gerr := s.Temporal.GetWorkflow(ctx, wid, "").Get(ctx, &res); gerr == nil {
			if res.Status == saga.Cancelled && input.CleanReason(res.Reason) == orderReason(why) {
				// This very cancel, repeated: its answer again.
				rep := s.running(wid, "", orderID)
				fill(&rep, res)
				return rep, nil
			}
			return Report{}, fmt.Errorf("%w: order %s is already %s and can no longer be cancelled", fault.ErrIllegalTransition, orderID, res.Status)
		}
		return Report{}, fmt.Errorf("%w: no running purchase saga for order %s", fault.ErrNotFound, orderID)
	case err != nil:
		return Report{}, cancelRefused(err)
	}
	var res saga.Result
	waitCtx, stop := context.WithTimeout(ctx, wait)
	defer stop()
	if err := handle.Get(waitCtx, &res); err != nil {
		if waitEnded(waitCtx) && ctx.Err() == nil {
			// Accepted, still undoing (a service it must undo at is down):
			// the saga as it stands; the cancel goes on.
			return s.orchestrated(ctx, orderID, 0)
		}
		return Report{}, cancelRefused(err)
	}
	rep := s.running(wid, "", orderID)
	fill(&rep, res)
	return rep, nil
}

// orderOf reads a purchase's order: known is false when the order service
// has none; err when it could not say.
func (s *Service) orderOf(ctx context.Context, orderID string) (o orderapi.OrderResponse, known bool, err error) {
	o, err = s.Orders.Get(ctx, orderID)
	switch {
	case err == nil:
		return o, true, nil
	case errors.Is(err, fault.ErrNotFound):
		return o, false, nil
	}
	return o, false, fmt.Errorf("read order %s: %w", orderID, err)
}

// cancelRefused is the saga's refusal of a cancel: too late, once the
// approval began.
func cancelRefused(err error) error {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return fmt.Errorf("%w: %s", fault.ErrIllegalTransition, appErr.Message())
	}
	return fmt.Errorf("cancel refused: %w", err)
}

// orderReason is the reason a customer's cancel gives the order, cleaned
// as the order service stores it, so that a repeat compares equal.
func orderReason(why string) string {
	return input.CleanReason(saga.CancelRequest{Reason: why}.OrderReason())
}

func (s *Service) cancelChoreographed(ctx context.Context, o orderapi.OrderResponse, why string) (Report, error) {
	if o.Status == orderapi.StatusCancelled && o.Reason == orderReason(why) {
		return ChoreographyReport(ctx, o, s.Brokers) // this very cancel, repeated
	}
	if o.Status != orderapi.StatusPending {
		return Report{}, fmt.Errorf("%w: order %s is already %s and can no longer be cancelled", fault.ErrIllegalTransition, o.OrderID, o.Status)
	}
	id := o.OrderID
	o, err := s.Orders.Cancel(ctx, id, orderapi.CancelOrderRequest{Reason: orderReason(why)})
	if errors.Is(err, fault.ErrIllegalTransition) {
		return Report{}, fmt.Errorf("%w: order %s was approved meanwhile", fault.ErrIllegalTransition, id)
	}
	if err != nil {
		return Report{}, err
	}
	return ChoreographyReport(ctx, o, s.Brokers)
}

// waitEnded tells whether the wait that waitCtx bounds has run out. Temporal
// answers a long poll cut by that deadline with an error of its own, which
// can arrive a moment before the context itself notices its deadline: so
// the clock decides, not only the context's error.
func waitEnded(waitCtx context.Context) bool {
	if waitCtx.Err() != nil {
		return true
	}
	deadline, ok := waitCtx.Deadline()
	return ok && !time.Now().Before(deadline)
}

// Outcome waits for the run and fills in its result.
func Outcome(ctx context.Context, run client.WorkflowRun, rep *Report) error {
	var res saga.Result
	err := run.Get(ctx, &res)
	var appErr *temporal.ApplicationError
	switch {
	case err == nil:
	case errors.As(err, &appErr) && appErr.Type() == saga.ErrTypeCompensationFailed:
		_ = appErr.Details(&res)
		res.Status, res.Reason = saga.Failed, appErr.Message()
	case errors.As(err, new(*temporal.TerminatedError)):
		res.Status, res.Reason = saga.Status(saga.Terminated), "the workflow was terminated"
	default:
		return fmt.Errorf("wait for order %s: %w", rep.OrderID, err)
	}
	fill(rep, res)
	return nil
}

// fill puts a saga's result into its report.
func fill(rep *Report, res saga.Result) {
	rep.Status, rep.Reason, rep.TotalCents = saga.Status(res.Status), res.Reason, res.TotalCents
	if res.Steps != nil {
		rep.Steps = res.Steps
	}
	if res.Compensations != nil {
		rep.Compensations = res.Compensations
	}
}

// ChoreographyReport tells a choreographed order's story from its events,
// the only record the saga has; an approved order's as it stands at the
// pivot, without reading them (ChoreographyStory reads on).
func ChoreographyReport(ctx context.Context, o orderapi.OrderResponse, brokers kafkaio.Brokers) (Report, error) {
	return choreographyReport(ctx, o, brokers, false)
}

// ChoreographyStory is ChoreographyReport with an approved order's steps
// after the pivot too, read off its events.
func ChoreographyStory(ctx context.Context, o orderapi.OrderResponse, brokers kafkaio.Brokers) (Report, error) {
	return choreographyReport(ctx, o, brokers, true)
}

func choreographyReport(ctx context.Context, o orderapi.OrderResponse, brokers kafkaio.Brokers, whole bool) (Report, error) {
	rep := Report{OrderID: o.OrderID, Mode: string(saga.Choreography), Status: saga.Status(o.Status), Reason: o.Reason,
		TotalCents: o.TotalCents, Progress: saga.Begun()}
	switch o.Status {
	case orderapi.StatusPending:
		rep.Status = saga.Running
	case orderapi.StatusApproved:
		// The chain approves an order only on its pivot's event, which
		// follows every compensatable step, and nothing is undone after
		// the approval: its story up to the pivot needs no reading.
		rep.Progress = saga.Purchase.Completed()
		if !whole {
			rep.CurrentStep = saga.Purchase.Next(rep.Progress) // after the pivot: it only goes forward
			return rep, nil
		}
	}
	// The final event trails the order's commit by its relay's latency, and
	// an undo after the cancel by a hop or two: read again soon, then less
	// often.
	deadline, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for pause := 2 * time.Millisecond; ; pause = min(2*pause, 20*time.Millisecond) {
		evs, err := kafkaio.ReadOrderSince(deadline, brokers, o.OrderID, o.CreatedAt)
		if err != nil {
			return Report{}, fmt.Errorf("cannot read events from Kafka at %v: %w", brokers, err)
		}
		sum := chain.Summarize(evs)
		rep.Progress = sum.Progress
		if o.Status == orderapi.StatusPending {
			rep.CurrentStep = waitingFor(sum)
		}
		if sum.Settled || o.Status == orderapi.StatusPending {
			return rep, nil
		}
		select {
		case <-deadline.Done():
			return rep, nil // the order service's word stands; the steps may be short
		case <-time.After(pause):
		}
	}
}

// waitingFor says which step a choreographed saga waits for, from the
// summary of its events.
func waitingFor(sum chain.Summary) string {
	if len(sum.Compensations) > 0 {
		return fmt.Sprintf("compensating (done: %s)", strings.Join(sum.Compensations, ", "))
	}
	if next := saga.Purchase.Next(sum.Progress); next != "" {
		return "waiting for " + next
	}
	return "waiting for its last event"
}
