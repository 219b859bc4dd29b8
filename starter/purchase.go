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

	"github.com/sagaforge/saga/messaging/events"
	"github.com/sagaforge/saga/platform/fault"
	"github.com/sagaforge/saga/platform/input"
	"github.com/sagaforge/saga/platform/process"
	"github.com/sagaforge/saga/platform/telemetry"
	"github.com/sagaforge/saga/platform/web"
	"github.com/sagaforge/saga/saga/purchase"
	"github.com/sagaforge/saga/services/order/orderapi"
	"github.com/sagaforge/saga/workers/purchases"
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

// Report is what purchase, status and cancel print; -o json prints it as is.
type Report = purchases.Report

var tracer = telemetry.Tracer("starter")

// newPurchaseCmd is the purchase command.
func newPurchaseCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{Use: "purchase --customer ID --item SKU:QTY [--item SKU:QTY ...]", Short: "start a purchase saga, in either mode", Args: noArgs}
	f := cmd.Flags()
	customer := f.String("customer", "", "customer ID (alice, bob)")
	orderID := f.String("order-id", "", "order ID; a new one by default. Reusing one attaches to its saga")
	wait := f.Bool("wait", false, "wait for the outcome")
	mode := f.String("mode", "orchestration", "orchestration (a Temporal workflow) or choreography (services react to events)")
	waitFor := f.Duration("wait-timeout", 5*time.Minute, "with --wait, give up waiting after this long (the saga goes on)")
	api := f.String("api", process.Env("SAGA_API_URL", ""), "buy through the worker's purchase API at this URL, e.g. http://127.0.0.1:8080 (env SAGA_API_URL), instead of from here")
	var items itemFlags
	f.Var(&items, "item", "SKU:QTY, repeatable")
	_ = cmd.RegisterFlagCompletionFunc("item", completeItems(env))
	_ = cmd.RegisterFlagCompletionFunc("customer", completeCustomers(env))
	_ = cmd.RegisterFlagCompletionFunc("mode", cobra.FixedCompletions([]string{"orchestration", "choreography"}, noFiles))
	return withOutput(cmd, func(ctx context.Context, args []string, format string) error {
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
		if err := sameMode(ctx, env.Services.Clients(nil).Orders, in.OrderID, events.Mode(*mode)); err != nil {
			return err
		}
		// The purchase's trace starts here, in both modes.
		ctx, span := tracer.Start(ctx, "purchase", trace.WithAttributes(
			attribute.String("saga.order_id", in.OrderID), attribute.String("saga.mode", *mode)))
		defer span.End()
		var waitUpTo time.Duration // none: answer once started
		if *wait {
			waitUpTo = *waitFor
		}
		var rep Report
		switch {
		case *api != "":
			r, err := purchaseThroughAPI(ctx, env, *api, purchases.Request{Input: in, Mode: events.Mode(*mode)}, waitUpTo)
			if err != nil {
				return err
			}
			rep = r
		case *mode == "orchestration":
			r, err := purchaseOrchestrated(ctx, env, in, *wait)
			if err != nil {
				return err
			}
			rep = r
		case *mode == "choreography":
			r, err := purchaseChoreographed(ctx, env, in, waitUpTo)
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
	})
}

// purchaseThroughAPI buys through the worker's purchase API and follows it
// there until it settles or wait runs out (0: not at all).
func purchaseThroughAPI(ctx context.Context, env *Env, url string, req purchases.Request, wait time.Duration) (Report, error) {
	api := purchases.NewClient(url, nil, env.Services.Token)
	rep, err := retry(ctx, func() (Report, error) { return api.Start(ctx, req) })
	var p *web.Problem
	switch {
	case errors.As(err, &p) && (errors.Is(err, fault.ErrInvalid) || errors.Is(err, fault.ErrIdempotencyConflict)):
		return Report{}, usagef("%s", p.Detail)
	case err != nil:
		return Report{}, fmt.Errorf("purchase API at %s: %w", url, err)
	}
	for deadline := time.Now().Add(wait); wait > 0 && !rep.Settled(); {
		left := time.Until(deadline)
		if left <= 0 {
			return Report{}, fmt.Errorf("order %s is still %s after %s; it goes on (starter status %s)", rep.OrderID, rep.Status, wait, rep.OrderID)
		}
		if rep, err = retry(ctx, func() (Report, error) { return api.Get(ctx, req.OrderID, left) }); err != nil {
			return Report{}, fmt.Errorf("purchase API at %s: %w", url, err)
		}
	}
	return rep, nil
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
	svc := &purchases.Service{Temporal: c, Links: env.Temporal}
	run, err := svc.StartWorkflow(ctx, in)
	if errors.Is(err, fault.ErrIdempotencyConflict) {
		return Report{}, usagef("%s; use another --order-id", strings.TrimPrefix(err.Error(), fault.ErrIdempotencyConflict.Error()+": "))
	}
	if err != nil {
		return Report{}, err
	}
	rep := Report{OrderID: in.OrderID, Mode: "orchestration", WorkflowID: run.GetID(), RunID: run.GetRunID(),
		UIURL: env.Temporal.WorkflowURL(run.GetID(), run.GetRunID()), Status: "RUNNING", Progress: purchase.Begun()}
	if wait {
		if err := purchases.Outcome(ctx, run, &rep); err != nil {
			return Report{}, err
		}
	}
	return rep, nil
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
