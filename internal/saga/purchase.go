// Package purchase is the contract of the purchase saga: the names, inputs,
// results and failure types that the workflow, the activities, the worker and
// the starter share. It holds data only, so deterministic workflow code may
// import it.
package saga

import (
	"github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/platform/money"
)

const (
	// TaskQueue is where the worker polls for purchase workflows and activities.
	TaskQueue = "purchase-saga"
	// WorkflowType is the registered name of the purchase workflow.
	WorkflowType = "PurchaseWorkflow"
)

// Mode says which saga drives a purchase: a Temporal workflow, or the
// services reacting to each other's events.
type Mode string

const (
	Orchestration Mode = "orchestration"
	Choreography  Mode = "choreography"
	// Direct is a benchmark's baseline, not a saga: the steps called in
	// sequence from one process with no durability. Only a worker started
	// with --bench-direct takes it (purchases.Direct).
	Direct Mode = "direct"
)

// WorkflowID is the ID of an order's saga. Deriving it from the order ID is
// what makes a second start of the same order find the first saga instead of
// creating another.
func WorkflowID(orderID string) string { return "purchase-" + orderID }

// ErrTypeCompensationFailed fails the workflow when an undo could not be
// done: the databases may disagree and a person has to look. The services'
// refusals are typed by fault.Meanings.
const ErrTypeCompensationFailed = "CompensationFailed"

// Search attributes the workflow keeps current, for the Web UI and
// "starter list". The dev server registers them at start; see README for
// other clusters.
const (
	SearchOrderID    = "OrderId"    // Keyword
	SearchCustomerID = "CustomerId" // Keyword
	SearchOrderTotal = "OrderTotal" // Int, cents
	SearchSagaStatus = "SagaStatus" // Keyword: a Status
)

// Status is where a saga is, as the SagaStatus search attribute, the
// state query and a finished saga's Result report it.
type Status string

// Settled reports whether a saga in status s has its outcome.
func (s Status) Settled() bool { return s != "" && s != Running && s != Compensating }

const (
	Running      Status = "RUNNING"
	Compensating Status = "COMPENSATING"
	Approved     Status = "APPROVED"
	Cancelled    Status = "CANCELLED"
	Failed       Status = "FAILED"
	// Terminated is a run someone ended by hand (temporal workflow
	// terminate): no outcome of the saga's own.
	Terminated Status = "TERMINATED"
)

// The saga's metrics, the same in both modes (OpenTelemetry names; on
// /metrics they read saga_purchases_total and saga_step_duration_seconds).
// Their attributes: MetricMode (orchestration or choreography),
// MetricOutcome (a Status; for a step ok, refused or failed) and
// MetricStep (a step or compensation of Purchase, or "status" for the pivot's
// question). MetricDefects counts refusals of retriable steps, which no
// correct run meets: each is a defect to look into.
const (
	MetricPurchases    = "saga.purchases"
	MetricStepDuration = "saga.step.duration"
	MetricMode         = "saga.mode"
	MetricOutcome      = "saga.outcome"
	MetricStep         = "saga.step"
	MetricDefects      = "saga.step.defects"
)

// QueryState is the query that returns a State.
const QueryState = "state"

// UpdateCancel is the update a customer sends to cancel a purchase in flight.
const UpdateCancel = "cancel"

// State is what the state query returns.
type State struct {
	OrderID     string `json:"order_id"`
	Status      Status `json:"status"`
	CurrentStep string `json:"current_step,omitempty"`
	Progress
	Reason string `json:"reason,omitempty"`
}

// CancelRequest is the argument of the cancel update.
type CancelRequest struct {
	Reason string `json:"reason"`
}

// OrderReason is the reason a customer's cancel gives the order, in
// either mode.
func (r CancelRequest) OrderReason() string {
	if r.Reason == "" {
		return "cancelled by the customer"
	}
	return "cancelled by the customer: " + r.Reason
}

// Progress is what a saga has done, in either mode: the steps that
// succeeded and the compensations that ran, in order, named as Purchase names
// them.
type Progress struct {
	Steps         []string `json:"steps"`
	Compensations []string `json:"compensations"`
}

// Begun is the progress of a saga that has done nothing yet; its lists
// encode as [] rather than null.
func Begun() Progress { return Progress{Steps: []string{}, Compensations: []string{}} }

// Done records a step that succeeded.
func (p *Progress) Done(step string) { p.Steps = append(p.Steps, step) }

// Undone records a compensation that ran.
func (p *Progress) Undone(compensation string) {
	p.Compensations = append(p.Compensations, compensation)
}

// Input starts a purchase saga; the CreateOrder activity takes it as it
// is.
type Input struct {
	OrderID    string       `json:"order_id"`
	CustomerID string       `json:"customer_id"`
	Items      []input.Item `json:"items"`
}

// Result is what a finished saga reports.
type Result struct {
	OrderID    string      `json:"order_id"`
	Status     Status      `json:"status"`
	Reason     string      `json:"reason,omitempty"`
	TotalCents money.Cents `json:"total_cents"`
	Progress
}

// CreateOrderOutput is what CreateOrder learns from the order service.
type CreateOrderOutput struct {
	TotalCents money.Cents `json:"total_cents"`
}

// CancelOrderInput is the input of the CancelOrder compensation. The
// customer and items, when set, name the purchase the cancel undoes: the
// order service refuses it (fault.ErrIdempotencyConflict) and changes
// nothing when another purchase holds the order ID, so a saga only ever
// undoes what it did.
type CancelOrderInput struct {
	OrderID    string       `json:"order_id"`
	Reason     string       `json:"reason"`
	CustomerID string       `json:"customer_id,omitempty"`
	Items      []input.Item `json:"items,omitempty"`
}

// ReserveStockInput is the input of the ReserveStock activity.
type ReserveStockInput struct {
	OrderID string       `json:"order_id"`
	Items   []input.Item `json:"items"`
}

// ChargePaymentInput is the input of the ChargePayment activity.
type ChargePaymentInput struct {
	OrderID     string      `json:"order_id"`
	CustomerID  string      `json:"customer_id"`
	AmountCents money.Cents `json:"amount_cents"`
}

// ReleaseStockInput is the input of the ReleaseStock compensation.
type ReleaseStockInput struct {
	OrderID string `json:"order_id"`
	Reason  string `json:"reason,omitempty"`
}

// OrderRef names the order an activity acts on (approve, refund).
type OrderRef struct {
	OrderID string `json:"order_id"`
}

// Validate checks a purchase's shape before anything is started, so that
// malformed input is refused at once instead of becoming a saga that the
// services cancel.
func (in Input) Validate() error {
	if err := input.ValidateOrderID(in.OrderID); err != nil {
		return err
	}
	if err := input.ValidateName("customer ID", in.CustomerID); err != nil {
		return err
	}
	return input.ValidateItems("a purchase", in.Items)
}
