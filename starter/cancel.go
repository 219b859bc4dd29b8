package starter

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/workers/purchases"
)

// newCancelCmd is the cancel command: it asks a purchase in flight to stop
// and undo what it did, and waits for the compensations. An orchestrated
// saga is asked through its cancel update; a choreographed one through the
// order service, whose OrderCancelled makes inventory and payment
// compensate. After approval both refuse (exit 3).
func newCancelCmd(env *Env) *cobra.Command {
	var reason string
	var wait time.Duration
	cmd := orderCommand(env, "cancel", "cancel a purchase in flight, in either mode", func(ctx context.Context, id, format string) error {
		if len(reason) > 200 {
			return Usagef("--reason holds at most 200 characters")
		}
		if wait <= 0 {
			return Usagef("--wait-timeout must be a positive duration such as 1m, got %s", wait)
		}
		// A repeat of this very cancel answers as the first did, so a lost
		// answer is safe to ask again.
		rep, err := onPurchase(ctx, env, id, func(api purchases.API) (Report, error) { return api.Cancel(ctx, id, reason, wait) })
		switch {
		case errors.Is(err, fault.ErrIllegalTransition):
			return verdictf("cancel refused: %s", strings.TrimPrefix(err.Error(), fault.ErrIllegalTransition.Error()+": "))
		case errors.Is(err, fault.ErrNotFound):
			return fmt.Errorf("%s", strings.TrimPrefix(err.Error(), fault.ErrNotFound.Error()+": "))
		case errors.As(err, new(*usageError)):
			return err
		case err != nil:
			return fmt.Errorf("cancel refused: %w", err)
		}
		return printReport(env, rep, format)
	})
	cmd.Flags().StringVar(&reason, "reason", "", "why the customer cancels (shown in the order's reason)")
	cmd.Flags().DurationVar(&wait, "wait-timeout", time.Minute, "wait this long for the compensations; after it, the saga as it stands (COMPENSATING), and the cancel goes on")
	return cmd
}
