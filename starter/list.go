package starter

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/workers/purchases"
)

// newListCmd is the list command: purchases in both modes, newest first,
// as the saga console lists them (the purchase API's List: the order
// service, with each orchestrated saga's status from Temporal's
// visibility store).
func newListCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{Use: "list", Short: "list purchases in both modes, newest first", Args: noArgs,
		Example: "  starter list\n  starter list --mode choreography --status CANCELLED --limit 5 -o json\n  starter list --cursor <the next a page printed>"}
	f := cmd.Flags()
	status := f.String("status", "", "RUNNING, COMPENSATING, APPROVED, CANCELLED, FAILED or TERMINATED")
	mode := f.String("mode", "", "orchestration or choreography (default both)")
	customer := f.String("customer", "", "only this customer's purchases")
	limit := f.Int("limit", 50, fmt.Sprintf("at most this many (1 to %d)", purchases.MaxPageSize))
	cursor := f.String("cursor", "", "go on from where a page ended (the next it printed)")
	return WithOutput(cmd, func(ctx context.Context, args []string, format string) error {
		q := purchases.ListQuery{Status: saga.Status(strings.ToUpper(*status)), Mode: saga.Mode(strings.ToLower(*mode)),
			CustomerID: *customer, Limit: *limit, Cursor: *cursor}
		if *limit <= 0 || *limit > purchases.MaxPageSize {
			return Usagef("--limit must be from 1 to %d", purchases.MaxPageSize)
		}
		for flag, one := range map[string]purchases.ListQuery{"--status": {Status: q.Status}, "--mode": {Mode: q.Mode},
			"--customer": {CustomerID: q.CustomerID}, "--cursor": {Cursor: q.Cursor}} {
			if err := one.Validate(); err != nil {
				return Usagef("%s: %v", flag, strings.TrimPrefix(err.Error(), fault.ErrInvalid.Error()+": "))
			}
		}
		api, done, err := env.purchaseAPI(ctx, true)
		if err != nil {
			return err
		}
		defer done()
		page, err := retry(ctx, func() (purchases.Page, error) { return api.List(ctx, q) })
		if err != nil {
			return env.refusal(err, "")
		}
		if page.Partial != "" {
			fmt.Fprintln(env.Stderr, "partial:", oneLine(page.Partial))
		}
		if machine(format) {
			return writeList(env.Stdout, format, page.Purchases)
		}
		w := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(w, "ORDER\tMODE\tCUSTOMER\tTOTAL\tSTATUS\tSTARTED")
		for _, r := range page.Purchases {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", r.OrderID, r.Mode, r.CustomerID, r.TotalCents, r.Status, r.CreatedAt.Local().Format(time.DateTime))
		}
		if err := w.Flush(); err != nil {
			return err
		}
		if page.Next != "" {
			fmt.Fprintf(env.Stdout, "more: starter list --cursor %s\n", page.Next)
		}
		return nil
	})
}
