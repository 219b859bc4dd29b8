package purchases

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"

	"github.com/sagaforge/saga/internal/messaging/chain"
	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/messaging/kafkaio"
	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/platform/money"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/internal/services/order/orderapi"
)

// Timeline is a purchase's steps and compensations on one time axis, with
// who did each, when, for how long, and why the purchase was undone: for
// an orchestrated purchase from its workflow's history, for a
// choreographed one from its events on Kafka and the services' inboxes.
type Timeline struct {
	OrderID    string      `json:"order_id"`
	Mode       saga.Mode   `json:"mode"`
	CustomerID string      `json:"customer_id,omitempty"`
	Cart       string      `json:"cart,omitempty"`
	Status     saga.Status `json:"status"`
	Reason     string      `json:"reason,omitempty"`
	TotalCents money.Cents `json:"total_cents"`
	// Start is when the purchase began; End the last thing seen of it,
	// its end once Settled.
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Settled bool      `json:"settled"`
	Spans   []Span    `json:"spans"`
	// Hops are a choreographed purchase's events, each from its commit to
	// its publication to its consumers.
	Hops  []Hop `json:"hops,omitempty"`
	Links Links `json:"links"`
}

// Span kinds.
const (
	KindStep         = "step"
	KindCompensation = "compensation"
	KindRequest      = "request" // a customer's cancel reaching the saga
)

// Span outcomes.
const (
	OutcomeDone    = "done"
	OutcomeRefused = "refused"
	OutcomeFailed  = "failed"
	OutcomeRunning = "running"
)

// Span is one step, compensation or request on the timeline.
type Span struct {
	Name    string     `json:"name"`
	Kind    string     `json:"kind"`
	Class   saga.Class `json:"class,omitempty"`
	Service string     `json:"service"`
	// By is who ran it: the worker (its Temporal identity) or the
	// service's consumer group.
	By       string    `json:"by,omitempty"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"` // zero while it runs
	Attempts int       `json:"attempts,omitempty"`
	Outcome  string    `json:"outcome"`
	Detail   string    `json:"detail,omitempty"`
}

// Took is how long the span lasted (so far).
func (s Span) Took(now time.Time) time.Duration {
	if s.End.IsZero() {
		return now.Sub(s.Start)
	}
	return s.End.Sub(s.Start)
}

// Hop is one event of a choreographed purchase on its way.
type Hop struct {
	EventID   string        `json:"event_id"`
	Type      string        `json:"type"`
	Service   string        `json:"service"` // its publisher
	Detail    string        `json:"detail"`
	Committed time.Time     `json:"committed"` // its transaction, into the outbox
	Published time.Time     `json:"published"` // its relay, onto the topic
	Consumed  []Consumption `json:"consumed"`
	Topic     string        `json:"topic"`
	Partition int           `json:"partition"`
	Offset    int64         `json:"offset"`
}

// Consumption is one consumer group's take of an event.
type Consumption struct {
	Consumer string    `json:"consumer"`
	At       time.Time `json:"at"`
}

// Links lead from a purchase to where else it can be seen.
type Links struct {
	WebUI   string `json:"web_ui,omitempty"` // its workflow in the Temporal Web UI
	TraceID string `json:"trace_id,omitempty"`
	Trace   string `json:"trace,omitempty"` // its trace, when tracing is on
	Events  string `json:"events"`          // its raw events, as JSON
}

// Timeline tells a purchase's story on one time axis. An order no saga
// knows is fault.ErrNotFound.
func (s *Service) Timeline(ctx context.Context, orderID string) (Timeline, error) {
	if err := input.ValidateOrderID(orderID); err != nil {
		return Timeline{}, err
	}
	o, known, err := s.orderOf(ctx, orderID)
	if err != nil && s.Temporal == nil {
		return Timeline{}, err
	}
	var t Timeline
	if known && o.Mode == saga.Choreography {
		t, err = s.choreographed(ctx, o)
	} else {
		t, err = s.orchestratedTimeline(ctx, orderID, o, known)
	}
	if err != nil {
		return Timeline{}, err
	}
	t.Links.Events = purchasePath(orderID, "/events")
	if t.Links.TraceID != "" && s.TraceUI != "" {
		t.Links.Trace = strings.TrimRight(s.TraceUI, "/") + "/trace/" + t.Links.TraceID
	}
	return t, nil
}

// fromOrder is what the order says of its purchase.
func fromOrder(t *Timeline, o orderapi.OrderResponse) {
	t.CustomerID, t.TotalCents, t.Start = o.CustomerID, o.TotalCents, o.CreatedAt
	items := make([]input.Item, len(o.Lines))
	for i, l := range o.Lines {
		items[i] = input.Item{SKU: l.SKU, Quantity: l.Quantity}
	}
	t.Cart = input.Describe(items)
}

// orchestratedTimeline reads the saga's workflow history: each activity
// as it was scheduled, started (by which worker, on which attempt) and
// closed; each local activity from its marker, which records when it
// ended, the steps of one workflow task running one after the other.
func (s *Service) orchestratedTimeline(ctx context.Context, orderID string, o orderapi.OrderResponse, known bool) (Timeline, error) {
	rep, err := s.orchestrated(ctx, orderID, 0)
	if err != nil {
		return Timeline{}, err
	}
	t := Timeline{OrderID: orderID, Mode: saga.Orchestration, Status: rep.Status, Reason: rep.Reason,
		TotalCents: rep.TotalCents, Settled: rep.Settled(), Links: Links{WebUI: rep.UIURL}}
	if known {
		fromOrder(&t, o)
	}
	it := s.Temporal.GetWorkflowHistory(ctx, rep.WorkflowID, rep.RunID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var (
		taskStarted, cursor time.Time
		identity            string
		scheduled           = map[int64]int{} // an activity's scheduled event: its span
		started             = map[int64]*historypb.ActivityTaskStartedEventAttributes{}
	)
	for it.HasNext() {
		ev, err := it.Next()
		var notFound *serviceerror.NotFound
		if errors.As(err, &notFound) {
			return Timeline{}, fmt.Errorf("%w: no purchase saga for order %s", fault.ErrNotFound, orderID)
		}
		if err != nil {
			return Timeline{}, fmt.Errorf("read the history of %s: %w", rep.WorkflowID, err)
		}
		at := ev.GetEventTime().AsTime()
		t.End = at
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
			t.Start = at
			var in saga.Input
			if p := ev.GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads(); len(p) > 0 && decode(p[0], &in) == nil {
				t.CustomerID, t.Cart = in.CustomerID, input.Describe(in.Items)
			}
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED:
			taskStarted, cursor = at, at
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			identity = ev.GetWorkflowTaskCompletedEventAttributes().GetIdentity()
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			a := ev.GetMarkerRecordedEventAttributes()
			var data struct {
				ActivityType string
				ReplayTime   time.Time
				Attempt      int
			}
			if a.GetMarkerName() != "LocalActivity" || len(a.GetDetails()["data"].GetPayloads()) == 0 ||
				decode(a.GetDetails()["data"].GetPayloads()[0], &data) != nil {
				continue
			}
			sp := spanOf(data.ActivityType)
			sp.By, sp.Attempts = identity, data.Attempt
			sp.Start, sp.End = cursor, data.ReplayTime
			if sp.Start.IsZero() || sp.End.Before(sp.Start) {
				sp.Start = taskStarted
			}
			cursor = sp.End
			sp.Outcome, sp.Detail = outcomeOf(a.GetFailure().GetMessage(), a.GetFailure().GetApplicationFailureInfo().GetNonRetryable(), a.GetFailure() != nil)
			t.Spans = append(t.Spans, sp)
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			sp := spanOf(ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName())
			sp.Start, sp.Outcome = at, OutcomeRunning
			scheduled[ev.GetEventId()] = len(t.Spans)
			t.Spans = append(t.Spans, sp)
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			a := ev.GetActivityTaskStartedEventAttributes()
			started[a.GetScheduledEventId()] = a
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
			closeSpan(&t, scheduled, started, ev.GetActivityTaskCompletedEventAttributes().GetScheduledEventId(), at, "", false, false)
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED:
			a := ev.GetActivityTaskFailedEventAttributes()
			closeSpan(&t, scheduled, started, a.GetScheduledEventId(), at, a.GetFailure().GetMessage(), a.GetFailure().GetApplicationFailureInfo().GetNonRetryable(), true)
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
			a := ev.GetActivityTaskTimedOutEventAttributes()
			closeSpan(&t, scheduled, started, a.GetScheduledEventId(), at, "timed out: "+a.GetFailure().GetMessage(), false, true)
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
			closeSpan(&t, scheduled, started, ev.GetActivityTaskCanceledEventAttributes().GetScheduledEventId(), at, "cancelled", false, true)
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
			var req saga.CancelRequest
			if p := ev.GetWorkflowExecutionUpdateAcceptedEventAttributes().GetAcceptedRequest().GetInput().GetArgs().GetPayloads(); len(p) > 0 {
				_ = decode(p[0], &req)
			}
			t.Spans = append(t.Spans, Span{Name: "cancel requested", Kind: KindRequest, Service: "customer",
				Start: at, End: at, Outcome: OutcomeDone, Detail: req.Reason})
		}
	}
	if !t.Settled {
		t.End = time.Now()
	}
	if s.TraceUI != "" && s.Brokers.Addrs != nil {
		t.Links.TraceID, _ = kafkaio.TraceOf(ctx, s.Brokers, orderID, t.Start) // no trace is no link
	}
	return t, nil
}

// closeSpan ends the span of the activity scheduled as event id.
func closeSpan(t *Timeline, scheduled map[int64]int, started map[int64]*historypb.ActivityTaskStartedEventAttributes, id int64, at time.Time, failure string, nonRetryable, failed bool) {
	i, ok := scheduled[id]
	if !ok {
		return
	}
	sp := &t.Spans[i]
	sp.End = at
	if a, ok := started[id]; ok {
		sp.By, sp.Attempts = a.GetIdentity(), int(a.GetAttempt())
	}
	sp.Outcome, sp.Detail = outcomeOf(failure, nonRetryable, failed)
}

// outcomeOf names how an activity ended: a non-retryable failure is the
// service's refusal (out of stock, declined), anything else a failure.
func outcomeOf(failure string, nonRetryable, failed bool) (string, string) {
	switch {
	case !failed:
		return OutcomeDone, ""
	case nonRetryable:
		return OutcomeRefused, failure
	}
	return OutcomeFailed, failure
}

// spanOf is the span of one of the saga's activities, named as the saga
// names its step or compensation (saga.Definition.StepOf).
func spanOf(activity string) Span {
	name := saga.Purchase.StepOf(activity)
	if name == "status" { // the pivot's question
		p := saga.Purchase.Pivot()
		return Span{Name: p.Name + " (asked)", Kind: KindStep, Class: p.Class, Service: p.Service}
	}
	st, ok := saga.Purchase.Step(name)
	switch {
	case !ok:
		return Span{Name: activity, Kind: KindStep}
	case st.Name == name:
		return Span{Name: name, Kind: KindStep, Class: st.Class, Service: st.Service}
	}
	return Span{Name: name, Kind: KindCompensation, Service: st.Service}
}

// untilSlack is how long after its order last changed a choreographed
// purchase's events are looked for: the undos that follow a cancel and the
// steps after the pivot trail it by a hop or two, or by a service's
// outage.
const untilSlack = 2 * time.Minute

// choreographed reads a choreographed purchase's events, from its
// creation to a little after its order last changed, and when each
// service's consumers took them.
func (s *Service) choreographed(ctx context.Context, o orderapi.OrderResponse) (Timeline, error) {
	t := Timeline{OrderID: o.OrderID, Mode: saga.Choreography, Status: purchaseStatus(o.Status), Reason: o.Reason}
	fromOrder(&t, o)
	recs, err := s.records(ctx, o)
	if err != nil {
		return Timeline{}, err
	}
	ids := make([]string, len(recs))
	envs := make([]events.Envelope, len(recs))
	for i, r := range recs {
		ids[i], envs[i] = r.ID, r.Envelope
	}
	takes := s.consumedBy(ctx, ids)
	sum := chain.Summarize(envs)
	t.Settled = sum.Settled && o.Status != orderapi.StatusPending
	if o.Status == orderapi.StatusPending && len(sum.Compensations) > 0 {
		t.Status = saga.Compensating
	}
	t.End = o.UpdatedAt
	for _, r := range recs {
		if t.Links.TraceID == "" {
			t.Links.TraceID = r.TraceID
		}
		h := Hop{EventID: r.ID, Type: string(r.Type), Service: r.Service(), Detail: r.Describe(), Committed: r.Time,
			Published: r.Published, Consumed: takes[r.ID], Topic: r.Topic(), Partition: r.Partition, Offset: r.Offset}
		if h.Consumed == nil {
			h.Consumed = []Consumption{}
		}
		t.Hops = append(t.Hops, h)
		for _, c := range h.Consumed {
			t.End = later(t.End, c.At)
		}
		t.End = later(t.End, r.Published)
		if sp, ok := stepOfEvent(r.Envelope, recs, takes); ok {
			t.Spans = append(t.Spans, sp)
		}
	}
	if !t.Settled {
		t.End = time.Now()
	}
	return t, nil
}

// stepOfEvent is the span of the step or compensation e records: from
// when the service's consumer took the event it reacted to, to e's commit.
func stepOfEvent(e events.Envelope, recs []kafkaio.Record, takes map[string][]Consumption) (Span, bool) {
	var sp Span
	var reacts []string
	for _, st := range saga.Purchase.Steps {
		switch string(e.Type) {
		case st.Done, st.Refused:
			sp = Span{Name: st.Name, Kind: KindStep, Class: st.Class, Service: st.Service, Outcome: OutcomeDone}
			if string(e.Type) == st.Refused {
				sp.Outcome = OutcomeRefused
			}
			if st.Reacts != "" {
				reacts = []string{st.Reacts}
			}
		}
		if st.Undo != nil && string(e.Type) == st.Undo.Done {
			sp = Span{Name: st.Undo.Name, Kind: KindCompensation, Service: st.Service, Outcome: OutcomeDone}
			reacts = st.Undo.Reacts
		}
	}
	if sp.Name == "" {
		return sp, false
	}
	sp.Start, sp.End, sp.By, sp.Detail = e.Time, e.Time, e.Service(), e.Describe()
	// Where the step began: the latest take, by this service's consumer,
	// of an event it reacts to, before e.
	var began *Consumption
	for _, r := range recs {
		if !slices.Contains(reacts, string(r.Type)) {
			continue
		}
		for _, c := range takes[r.ID] {
			if strings.HasPrefix(c.Consumer, sp.Service+".") && !c.At.After(e.Time) && (began == nil || c.At.After(began.At)) {
				began = &c
			}
		}
	}
	if began != nil {
		sp.Start, sp.By = began.At, began.Consumer
	}
	return sp, true
}

// consumedBy asks each service's inbox when its consumers took the
// events; a service that does not answer leaves its takes out.
func (s *Service) consumedBy(ctx context.Context, ids []string) map[string][]Consumption {
	out := map[string][]Consumption{}
	if len(ids) == 0 {
		return out
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, in := range s.Inboxes {
		wg.Go(func() {
			recs, err := in.Of(ctx, ids)
			if err != nil {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, r := range recs {
				out[r.EventID] = append(out[r.EventID], Consumption{Consumer: r.Consumer, At: r.At})
			}
		})
	}
	wg.Wait()
	for _, cs := range out {
		slices.SortFunc(cs, func(a, b Consumption) int { return a.At.Compare(b.At) })
	}
	return out
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Event is one of a purchase's events as it is on Kafka: the CloudEvent,
// with when its relay published it and where it is.
type Event struct {
	Event     events.Envelope `json:"event"`
	Published time.Time       `json:"published"`
	Topic     string          `json:"topic"`
	Partition int             `json:"partition"`
	Offset    int64           `json:"offset"`
	TraceID   string          `json:"trace_id,omitempty"`
}

// Events returns a purchase's events as they are on Kafka: a
// choreographed purchase's, and an orchestrated one's (which its services
// publish for other consumers).
func (s *Service) Events(ctx context.Context, orderID string) ([]Event, error) {
	if err := input.ValidateOrderID(orderID); err != nil {
		return nil, err
	}
	o, err := s.Orders.Get(ctx, orderID)
	if err != nil {
		return nil, err
	}
	recs, err := s.records(ctx, o)
	out := make([]Event, len(recs))
	for i, r := range recs {
		out[i] = Event{Event: r.Envelope, Published: r.Published, Topic: r.Topic(), Partition: r.Partition, Offset: r.Offset, TraceID: r.TraceID}
	}
	return out, err
}

// records reads an order's events from Kafka: from its creation to a
// little after it last changed, so that an old order's read costs its
// own events, not the topic's since.
func (s *Service) records(ctx context.Context, o orderapi.OrderResponse) ([]kafkaio.Record, error) {
	var until time.Time
	if o.Status != orderapi.StatusPending && time.Since(o.UpdatedAt) > untilSlack {
		until = o.UpdatedAt.Add(untilSlack)
	}
	recs, err := kafkaio.ReadOrderRecords(ctx, s.Brokers, o.OrderID, o.CreatedAt, until)
	if err != nil {
		return nil, fmt.Errorf("%w: read the events of order %s from Kafka at %v: %w", fault.ErrUnavailable, o.OrderID, s.Brokers, err)
	}
	return recs, nil
}
