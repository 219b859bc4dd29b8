package starter

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/workers/purchases"
)

// newStatusCmd is the status command.
func newStatusCmd(env *Env) *cobra.Command {
	return orderCommand(env, "status", "show a purchase's status, in either mode", func(ctx context.Context, id, format string) error {
		rep, err := onPurchase(ctx, env, id, func(api purchases.API) (Report, error) { return api.Get(ctx, id, 0) })
		if errors.Is(err, fault.ErrNotFound) {
			return fmt.Errorf("no purchase saga for order %s", id)
		}
		if err != nil {
			return err
		}
		return printReport(env, rep, format)
	})
}
