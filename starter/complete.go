package starter

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sagaforge/saga/services/endpoints"
)

// Shell completion asks the running services: order IDs from the order
// service, SKUs from inventory, customers from payment. A service that does
// not answer within a second completes nothing rather than hanging the
// shell.

const completeWithin = time.Second

// noFiles ends a completion: what the services offer, never file names.
const noFiles = cobra.ShellCompDirectiveNoFileComp

// completeOrderIDs offers the newest orders, each described by its mode and
// status; ValidArgsFunction of the commands that take one ORDER_ID.
func completeOrderIDs(env *Env) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, noFiles
		}
		return orderIDs(cmd.Context(), env.Services, toComplete), noFiles
	}
}

// completeOrderFlag is completeOrderIDs for a flag (events --order).
func completeOrderFlag(env *Env) cobra.CompletionFunc {
	return func(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return orderIDs(cmd.Context(), env.Services, toComplete), noFiles
	}
}

func orderIDs(ctx context.Context, s endpoints.Endpoints, prefix string) []cobra.Completion {
	ctx, cancel := context.WithTimeout(ctx, completeWithin)
	defer cancel()
	list, err := s.Clients(nil).Orders.List(ctx, "")
	if err != nil {
		return nil
	}
	var out []cobra.Completion
	for _, o := range list.Orders {
		if strings.HasPrefix(o.OrderID, prefix) {
			out = append(out, cobra.CompletionWithDesc(o.OrderID, fmt.Sprintf("%s %s, %s", o.Status, o.Mode, o.CustomerID)))
		}
	}
	return out
}

// completeItems offers "SKU:" for each SKU in stock, described by its name
// and what is available; the shell then waits for the quantity.
func completeItems(env *Env) cobra.CompletionFunc {
	return func(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		ctx, cancel := context.WithTimeout(cmd.Context(), completeWithin)
		defer cancel()
		stock, err := env.Services.Clients(nil).Inventory.Stock(ctx)
		if err != nil {
			return nil, noFiles
		}
		var out []cobra.Completion
		for _, s := range stock.Stock {
			if strings.HasPrefix(s.SKU+":", toComplete) {
				out = append(out, cobra.CompletionWithDesc(s.SKU+":", fmt.Sprintf("%s, %d available", s.Name, s.Available)))
			}
		}
		return out, noFiles | cobra.ShellCompDirectiveNoSpace
	}
}

// completeCustomers offers the customers payment holds an account for,
// described by their balance.
func completeCustomers(env *Env) cobra.CompletionFunc {
	return func(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		ctx, cancel := context.WithTimeout(cmd.Context(), completeWithin)
		defer cancel()
		accounts, err := env.Services.Clients(nil).Payments.Accounts(ctx)
		if err != nil {
			return nil, noFiles
		}
		var out []cobra.Completion
		for _, a := range accounts.Accounts {
			if strings.HasPrefix(a.CustomerID, toComplete) {
				out = append(out, cobra.CompletionWithDesc(a.CustomerID, "balance "+a.BalanceCents.String()))
			}
		}
		return out, noFiles
	}
}
