package starter

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/sagaforge/saga/messaging/events"
	"github.com/sagaforge/saga/platform/input"
	"github.com/sagaforge/saga/platform/money"
	"github.com/sagaforge/saga/platform/telemetry"
	"github.com/sagaforge/saga/saga/purchase"
	"github.com/sagaforge/saga/services/order/orderapi"
	"github.com/spf13/cobra"
)

// itemFlags collects repeated --item SKU:QTY flags.
type itemFlags []purchase.Item

func (f *itemFlags) String() string {
	if len(*f) == 0 {
		return ""
	}
	return fmt.Sprint(*f)
}

// Type names the flag's value in help.
func (f *itemFlags) Type() string { return "SKU:QTY" }

func (f *itemFlags) Set(v string) error {
	sku, qtyText, ok := strings.Cut(v, ":")
	sku = strings.TrimSpace(sku)
	if !ok || sku == "" {
		return fmt.Errorf("want SKU:QTY, e.g. SKU-1:2")
	}
	qty, err := strconv.Atoi(strings.TrimSpace(qtyText))
	if err != nil || qty <= 0 || qty > 10_000 {
		return fmt.Errorf("quantity of %s must be a whole number from 1 to 10000, got %q", sku, qtyText)
	}
	*f = append(*f, purchase.Item{SKU: sku, Quantity: qty})
	return nil
}

// Report is what purchase and status print; --json prints it as is.
type Report struct {
	OrderID       string      `json:"order_id"`
	Mode          string      `json:"mode"`
	CurrentStep   string      `json:"current_step,omitempty"`
	WorkflowID    string      `json:"workflow_id"`
	RunID         string      `json:"run_id,omitempty"`
	UIURL         string      `json:"ui_url"`
	Status        string      `json:"status"`
	Reason        string      `json:"reason"`
	TotalCents    money.Cents `json:"total_cents"`
	Steps         []string    `json:"steps"`
	Compensations []string    `json:"compensations"`
	TraceID       string      `json:"trace_id,omitempty"` // when spans are exported
}

var tracer = telemetry.Tracer("starter")

// newPurchaseCmd is the purchase command.
func newPurchaseCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{Use: "purchase --customer ID --item SKU:QTY [--item SKU:QTY ...]", Short: "start a purchase saga, in either mode", Args: noArgs}
	f := cmd.Flags()
	customer := f.String("customer", "", "customer ID (alice, bob)")
	orderID := f.String("order-id", "", "order ID; a new one by default. Reusing one attaches to its saga")
	wait := f.Bool("wait", false, "wait for the outcome")
	mode := f.String("mode", "orchestration", "orchestration (a Temporal workflow) or choreography (services react to events)")
	out := addOutput(cmd)
	waitFor := f.Duration("wait-timeout", 5*time.Minute, "with --wait, give up waiting after this long (the saga goes on)")
	var items itemFlags
	f.Var(&items, "item", "SKU:QTY, repeatable")
	_ = cmd.RegisterFlagCompletionFunc("item", completeItems(env))
	_ = cmd.RegisterFlagCompletionFunc("customer", completeCustomers(env))
	_ = cmd.RegisterFlagCompletionFunc("mode", cobra.FixedCompletions([]string{"orchestration", "choreography"}, noFiles))
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		format, err := out.Format()
		if err != nil {
			return err
		}
		switch {
		case strings.TrimSpace(*customer) == "":
			return usagef("--customer is required")
		case len(items) == 0:
			return usagef("at least one --item SKU:QTY is required")
		case *waitFor <= 0:
			return usagef("--wait-timeout must be a positive duration such as 5m, got %s", *waitFor)
		}
		if *orderID == "" {
			*orderID = input.NewOrderID()
		}
		in := purchase.Input{OrderID: *orderID, CustomerID: *customer, Items: items}
		if err := in.Validate(); err != nil {
			return usagef("%s", strings.TrimPrefix(err.Error(), "invalid request: "))
		}
		if *mode != "orchestration" && *mode != "choreography" {
			return usagef("--mode must be orchestration or choreography, got %q", *mode)
		}
		orders := env.Services.Clients(nil).Orders
		if err := sameMode(ctx, orders, in.OrderID, events.Mode(*mode)); err != nil {
			return err
		}
		// The purchase's trace starts here, in both modes.
		ctx, span := tracer.Start(ctx, "purchase", trace.WithAttributes(
			attribute.String("saga.order_id", in.OrderID), attribute.String("saga.mode", *mode)))
		defer span.End()
		var rep Report
		switch *mode {
		case "orchestration":
			r, err := purchaseOrchestrated(ctx, env, in, *wait)
			if err != nil {
				return err
			}
			rep = r
		case "choreography":
			r, err := purchaseChoreographed(ctx, env, in, orders, strings.Split(env.Brokers, ","), *wait, *waitFor)
			if err != nil {
				return err
			}
			rep = r
		default:
			return usagef("--mode must be orchestration or choreography, got %q", *mode)
		}
		if sc := span.SpanContext(); sc.IsSampled() {
			rep.TraceID = sc.TraceID().String()
		}
		span.SetAttributes(attribute.String("saga.status", rep.Status))
		if err := printReport(env, rep, format); err != nil {
			return err
		}
		if rep.Status == string(purchase.StatusFailed) {
			return verdictf("the saga failed: %s", rep.Reason)
		}
		return nil
	}
	return cmd
}

// sameMode refuses, as bad input, an order ID that the order service holds
// for a purchase of the other mode: attaching to it would run a second saga
// over another saga's order.
func sameMode(ctx context.Context, orders orderapi.Client, id string, mode events.Mode) error {
	o, err := orders.Get(ctx, id)
	if err != nil || o.Mode == mode || o.Mode == "" {
		return nil // unknown here: the saga's own create decides
	}
	return usagef("order %s exists as a %s purchase; use --mode %s to follow it, or another --order-id", id, o.Mode, o.Mode)
}

func purchaseOrchestrated(ctx context.Context, env *Env, in purchase.Input, wait bool) (Report, error) {

	c, err := dial(ctx, env)
	if err != nil {
		return Report{}, err
	}
	defer c.Close()
	run, err := start(ctx, c, in)
	if err != nil {
		return Report{}, err
	}
	rep := Report{OrderID: in.OrderID, Mode: "orchestration", WorkflowID: run.GetID(), RunID: run.GetRunID(),
		UIURL: env.Temporal.WorkflowURL(run.GetID(), run.GetRunID()), Status: "RUNNING", Steps: []string{}, Compensations: []string{}}
	if wait {
		if err := outcome(ctx, run, &rep); err != nil {
			return Report{}, err
		}
	}
	return rep, nil
}

// start starts the order's saga, or attaches to the one that exists: the
// workflow ID is derived from the order ID, so one order has one saga.
func start(ctx context.Context, c client.Client, in purchase.Input) (client.WorkflowRun, error) {
	opts := client.StartWorkflowOptions{
		ID:                       purchase.WorkflowID(in.OrderID),
		TaskQueue:                purchase.TaskQueue,
		StaticSummary:            Summary(in),
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}
	run, err := c.ExecuteWorkflow(ctx, opts, purchase.WorkflowType, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return c.GetWorkflow(ctx, opts.ID, ""), nil
	}
	if err != nil {
		return nil, fmt.Errorf("start saga for order %s: %w", in.OrderID, err)
	}
	return run, nil
}

// Summary is the workflow's one-line summary in the Web UI.
func Summary(in purchase.Input) string {
	parts := make([]string, len(in.Items))
	for i, it := range in.Items {
		parts[i] = fmt.Sprintf("%d x %s", it.Quantity, it.SKU)
	}
	return fmt.Sprintf("%s buys %s (order %s)", in.CustomerID, strings.Join(parts, ", "), in.OrderID)
}

// outcome waits for the run and fills in its result.
func outcome(ctx context.Context, run client.WorkflowRun, rep *Report) error {
	var res purchase.Result
	err := run.Get(ctx, &res)
	var appErr *temporal.ApplicationError
	switch {
	case err == nil:
	case errors.As(err, &appErr) && appErr.Type() == purchase.ErrTypeCompensationFailed:
		_ = appErr.Details(&res)
		res.Status, res.Reason = purchase.StatusFailed, appErr.Message()
	case errors.As(err, new(*temporal.TerminatedError)):
		res.Status, res.Reason = "TERMINATED", "the workflow was terminated"
	default:
		return fmt.Errorf("wait for order %s: %w", rep.OrderID, err)
	}
	rep.Status, rep.Reason, rep.TotalCents = string(res.Status), res.Reason, res.TotalCents
	if res.Steps != nil {
		rep.Steps = res.Steps
	}
	if res.Compensations != nil {
		rep.Compensations = res.Compensations
	}
	return nil
}

func printReport(env *Env, rep Report, format string) error {
	if machine(format) {
		return writeOne(env.Stdout, rep)
	}
	w := env.Stdout
	fmt.Fprintf(w, "order     %s\n", rep.OrderID)
	if rep.WorkflowID != "" {
		fmt.Fprintf(w, "workflow  %s\n", rep.WorkflowID)
		fmt.Fprintf(w, "web ui    %s\n", rep.UIURL)
	} else {
		fmt.Fprintf(w, "saga      %s: no coordinator; follow it with: starter events --order %s\n", rep.Mode, rep.OrderID)
	}
	fmt.Fprintf(w, "status    %s\n", rep.Status)
	if rep.TraceID != "" {
		fmt.Fprintf(w, "trace     %s\n", rep.TraceID)
	}
	if rep.CurrentStep != "" {
		fmt.Fprintf(w, "now       %s\n", rep.CurrentStep)
	}
	if rep.Status == "RUNNING" || rep.Status == string(purchase.SagaCompensating) {
		if len(rep.Steps) > 0 {
			fmt.Fprintf(w, "done      %s\n", listOrNone(rep.Steps))
		}
		if len(rep.Compensations) > 0 {
			fmt.Fprintf(w, "undone    %s\n", listOrNone(rep.Compensations))
		}
		return nil
	}
	if rep.TotalCents > 0 {
		fmt.Fprintf(w, "total     %s\n", rep.TotalCents)
	}
	if rep.Reason != "" {
		fmt.Fprintf(w, "reason    %s\n", rep.Reason)
	}
	fmt.Fprintf(w, "steps     %s\n", listOrNone(rep.Steps))
	fmt.Fprintf(w, "undone    %s\n", listOrNone(rep.Compensations))
	return nil
}

func listOrNone(xs []string) string {
	if len(xs) == 0 {
		return "(none)"
	}
	return strings.Join(xs, " -> ")
}
