package starter

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/platform/telemetry"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/workers/purchases"
)

// itemFlags collects repeated --item SKU:QTY flags.
type itemFlags []input.Item

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
	*f = append(*f, input.Item{SKU: sku, Quantity: qty})
	return nil
}

// Report is what purchase, status and cancel print; -o json prints it as is.
type Report = purchases.Report

var tracer = telemetry.Tracer("starter")

// newPurchaseCmd is the purchase command.
func newPurchaseCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{Use: "purchase --customer ID --item SKU:QTY [--item SKU:QTY ...]", Short: "start a purchase saga, in either mode", Args: noArgs,
		Example: "  starter purchase --customer alice --item SKU-1:2 --item SKU-2:1 --wait\n  starter purchase --mode choreography --customer bob --item SKU-2:1 --wait   # declined: compensated\n  starter purchase --api http://127.0.0.1:8080 --customer alice --item SKU-1:1"}
	f := cmd.Flags()
	customer := f.String("customer", "", "customer ID (alice, bob)")
	orderID := f.String("order-id", "", "order ID; a new one by default. Reusing one attaches to its saga")
	wait := f.Bool("wait", false, "wait for the outcome")
	mode := f.String("mode", "orchestration", "orchestration (a Temporal workflow) or choreography (services react to events)")
	waitFor := f.Duration("wait-timeout", 5*time.Minute, "with --wait, give up waiting after this long (the saga goes on)")
	var items itemFlags
	f.Var(&items, "item", "SKU:QTY, repeatable")
	_ = cmd.RegisterFlagCompletionFunc("item", completeItems(env))
	_ = cmd.RegisterFlagCompletionFunc("customer", completeCustomers(env))
	_ = cmd.RegisterFlagCompletionFunc("mode", cobra.FixedCompletions([]string{"orchestration", "choreography"}, noFiles))
	return WithOutput(cmd, func(ctx context.Context, args []string, format string) error {
		switch {
		case strings.TrimSpace(*customer) == "":
			return Usagef("--customer is required")
		case len(items) == 0:
			return Usagef("at least one --item SKU:QTY is required")
		case *waitFor <= 0:
			return Usagef("--wait-timeout must be a positive duration such as 5m, got %s", *waitFor)
		}
		if *orderID == "" {
			*orderID = input.NewOrderID()
		}
		in := saga.Input{OrderID: *orderID, CustomerID: *customer, Items: items}
		if err := in.Validate(); err != nil {
			return Usagef("%s", strings.TrimPrefix(err.Error(), "invalid request: "))
		}
		m := saga.Mode(*mode)
		if m != saga.Orchestration && m != saga.Choreography {
			return Usagef("--mode must be orchestration or choreography, got %q", *mode)
		}
		// The purchase's trace starts here, in both modes.
		ctx, span := tracer.Start(ctx, "purchase", trace.WithAttributes(
			attribute.String("saga.order_id", in.OrderID), attribute.String("saga.mode", *mode)))
		defer span.End()
		api, done, err := env.purchaseAPI(ctx, m == saga.Orchestration)
		if err != nil {
			return err
		}
		defer done()
		rep, err := retry(ctx, func() (Report, error) { return api.Purchase(ctx, purchases.Request{Input: in, Mode: m}, 0) })
		if err != nil {
			return env.refusal(err, "; use another --order-id")
		}
		if *wait {
			if rep, err = follow(ctx, env, api, rep, *waitFor); err != nil {
				return err
			}
		}
		if sc := span.SpanContext(); sc.IsSampled() {
			rep.TraceID = sc.TraceID().String()
		}
		span.SetAttributes(attribute.String("saga.status", string(rep.Status)))
		if err := printReport(env, rep, format); err != nil {
			return err
		}
		if rep.Status == saga.Failed {
			return verdictf("the saga failed: %s", rep.Reason)
		}
		return nil
	})
}

// follow waits up to wait for a purchase to settle, asking the API again
// every few seconds and saying on stderr where it stands meanwhile.
func follow(ctx context.Context, env *Env, api purchases.API, rep Report, wait time.Duration) (Report, error) {
	started, deadline := time.Now(), time.Now().Add(wait)
	for !rep.Settled() {
		left := time.Until(deadline)
		if left <= 0 {
			return Report{}, fmt.Errorf("order %s is still %s after %s, %s; it goes on (starter status %s)",
				rep.OrderID, rep.Status, wait, where(rep), rep.OrderID)
		}
		next, err := retry(ctx, func() (Report, error) { return api.Get(ctx, rep.OrderID, min(left, 10*time.Second)) })
		if err != nil {
			return Report{}, env.refusal(err, "")
		}
		rep = next
		if !rep.Settled() {
			fmt.Fprintf(env.Stderr, "order %s %s for %s, %s\n", rep.OrderID, rep.Status, time.Since(started).Round(time.Second), where(rep))
		}
	}
	return rep, nil
}

// where says what a purchase in flight is doing.
func where(rep Report) string {
	if rep.CurrentStep == "" {
		return "between steps"
	}
	return rep.CurrentStep
}

func printReport(env *Env, rep Report, format string) error {
	if machine(format) {
		return WriteJSON(env.Stdout, rep)
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
	if !rep.Settled() {
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
