package starter

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sagaforge/saga/internal/services/inventory/inventoryapi"
	"github.com/sagaforge/saga/internal/services/order/orderapi"
	"github.com/sagaforge/saga/internal/services/payment/paymentapi"
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
	orders := completeOrderFlag(env)
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, noFiles
		}
		return orders(cmd, args, toComplete)
	}
}

// completeOrderFlag is completeOrderIDs for a flag (events --order).
func completeOrderFlag(env *Env) cobra.CompletionFunc {
	return completion(func(ctx context.Context) ([]orderapi.OrderResponse, error) {
		list, err := env.Services.Clients(nil).Orders.List(ctx, "")
		return list.Orders, err
	}, func(o orderapi.OrderResponse) (string, string) {
		return o.OrderID, fmt.Sprintf("%s %s, %s", o.Status, o.Mode, o.CustomerID)
	}, noFiles)
}

// completeItems offers "SKU:" for each SKU in stock, described by its name
// and what is available; the shell then waits for the quantity.
func completeItems(env *Env) cobra.CompletionFunc {
	return completion(func(ctx context.Context) ([]inventoryapi.StockResponse, error) {
		stock, err := env.Services.Clients(nil).Inventory.Stock(ctx)
		return stock.Stock, err
	}, func(s inventoryapi.StockResponse) (string, string) {
		return s.SKU + ":", fmt.Sprintf("%s, %d available", s.Name, s.Available)
	}, noFiles|cobra.ShellCompDirectiveNoSpace)
}

// completeCustomers offers the customers payment holds an account for,
// described by their balance.
func completeCustomers(env *Env) cobra.CompletionFunc {
	return completion(func(ctx context.Context) ([]paymentapi.AccountResponse, error) {
		accounts, err := env.Services.Clients(nil).Payments.Accounts(ctx)
		return accounts.Accounts, err
	}, func(a paymentapi.AccountResponse) (string, string) {
		return a.CustomerID, "balance " + a.BalanceCents.String()
	}, noFiles)
}

// completion offers the words that list's entries give (each with its
// description) that start with what is typed, ending with directive.
func completion[T any](list func(context.Context) ([]T, error), word func(T) (string, string), directive cobra.ShellCompDirective) cobra.CompletionFunc {
	return func(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		ctx, cancel := context.WithTimeout(cmd.Context(), completeWithin)
		defer cancel()
		all, err := list(ctx)
		if err != nil {
			return nil, noFiles
		}
		var out []cobra.Completion
		for _, e := range all {
			if w, desc := word(e); strings.HasPrefix(w, toComplete) {
				out = append(out, cobra.CompletionWithDesc(w, desc))
			}
		}
		return out, directive
	}
}
