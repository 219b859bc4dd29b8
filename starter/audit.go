package starter

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/platform/keyset"
	"github.com/sagaforge/saga/internal/platform/money"
	"github.com/sagaforge/saga/internal/platform/web"
	"github.com/sagaforge/saga/internal/services/endpoints"
	"github.com/sagaforge/saga/internal/services/inventory/inventoryapi"
	"github.com/sagaforge/saga/internal/services/order/orderapi"
	"github.com/sagaforge/saga/internal/services/payment/paymentapi"
)

// Check is one invariant of the three databases and whether it holds.
type Check struct {
	Name      string   `json:"name"`
	Pass      bool     `json:"pass"`
	Offenders []string `json:"offenders"`
}

// AuditReport is what audit -o json prints.
type AuditReport struct {
	Checks []Check `json:"checks"`
	Orders int     `json:"orders"` // how many orders were read
	Pass   bool    `json:"pass"`   // every check holds
}

// snapshot is everything the audit reads from the three services.
type snapshot struct {
	orders       []orderapi.OrderResponse
	reservations map[string]inventoryapi.ReservationResponse
	stock        []inventoryapi.StockResponse
	payments     map[string]paymentapi.PaymentResponse
	accounts     []paymentapi.AccountResponse
}

// newAuditCmd is the audit command: it checks the invariants a saga exists to keep, across all three
// services, and exits 1 if any does not hold.
func newAuditCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "check the invariants across the three services", Args: noArgs,
		Example: "  starter audit\n  starter audit -o json"}
	f := cmd.Flags()
	settle := f.Duration("settle", 2*time.Minute, "an order PENDING for longer than this is stuck")
	return WithOutput(cmd, func(ctx context.Context, args []string, format string) error {
		switch {
		case *settle <= 0:
			return Usagef("--settle must be a positive duration such as 2m, got %s", *settle)
		}
		checks, orders, err := Audit(ctx, env.Services, *settle)
		if err != nil {
			return err
		}
		failed := 0
		for _, c := range checks {
			if !c.Pass {
				failed++
			}
		}
		if machine(format) {
			if err := WriteJSON(env.Stdout, AuditReport{Checks: checks, Orders: orders, Pass: failed == 0}); err != nil {
				return err
			}
		} else {
			PrintChecks(env.Stdout, checks)
			fmt.Fprintf(env.Stdout, "%d orders audited\n", orders)
		}
		if failed > 0 {
			return verdictf("%d of %d invariants do not hold", failed, len(checks))
		}
		return nil
	})
}

// Audit reads the three services and evaluates the invariants; an order
// PENDING for longer than settle counts as stuck. It returns the checks
// and how many orders it read.
func Audit(ctx context.Context, s endpoints.Endpoints, settle time.Duration) ([]Check, int, error) {
	snap, err := read(ctx, s.Clients(web.DefaultHTTPClient()))
	if err != nil {
		return nil, 0, err
	}
	return audit(snap, time.Now(), settle), len(snap.orders), nil
}

// Passed tells whether every check holds.
func Passed(checks []Check) bool {
	for _, c := range checks {
		if !c.Pass {
			return false
		}
	}
	return len(checks) > 0
}

// PrintChecks writes the audit's checks as a table, with up to five
// offenders each.
func PrintChecks(w io.Writer, checks []Check) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	defer tw.Flush()
	fmt.Fprintln(tw, "INVARIANT\tRESULT\tOFFENDERS")
	for _, c := range checks {
		result := "pass"
		if !c.Pass {
			result = "FAIL"
		}
		offenders := strings.Join(c.Offenders[:min(len(c.Offenders), 5)], ", ")
		if len(c.Offenders) > 5 {
			offenders += fmt.Sprintf(" (+%d more)", len(c.Offenders)-5)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Name, result, offenders)
	}
}

func read(ctx context.Context, c endpoints.Clients) (snapshot, error) {
	var snap snapshot
	var reservations []inventoryapi.ReservationResponse
	var payments []paymentapi.PaymentResponse
	err := all(ctx, "orders", &snap.orders, func(p keyset.Page) ([]orderapi.OrderResponse, string, error) {
		page, err := c.Orders.Page(ctx, p)
		return page.Orders, page.Next, err
	})
	if err == nil {
		err = all(ctx, "reservations", &reservations, func(p keyset.Page) ([]inventoryapi.ReservationResponse, string, error) {
			page, err := c.Inventory.Reservations(ctx, p)
			return page.Reservations, page.Next, err
		})
	}
	if err == nil {
		err = all(ctx, "payments", &payments, func(p keyset.Page) ([]paymentapi.PaymentResponse, string, error) {
			page, err := c.Payments.Payments(ctx, p)
			return page.Payments, page.Next, err
		})
	}
	if err != nil {
		return snap, err
	}
	snap.reservations = byOrder(reservations, func(r inventoryapi.ReservationResponse) string { return r.OrderID })
	snap.payments = byOrder(payments, func(p paymentapi.PaymentResponse) string { return p.OrderID })
	st, err := retry(ctx, func() (inventoryapi.ListStockResponse, error) { return c.Inventory.Stock(ctx) })
	if err != nil {
		return snap, fmt.Errorf("cannot read stock: %w", err)
	}
	as, err := retry(ctx, func() (paymentapi.ListAccountsResponse, error) { return c.Payments.Accounts(ctx) })
	if err != nil {
		return snap, fmt.Errorf("cannot read accounts: %w", err)
	}
	snap.stock, snap.accounts = st.Stock, as.Accounts
	return snap, nil
}

// all reads every page of a list into out: read gets the page after a key
// and returns its rows and the key of the next one, empty at the end. Each
// page is retried on its own, so a transient failure does not restart the
// walk; what names the list in the error.
func all[T any](ctx context.Context, what string, out *[]T, read func(keyset.Page) ([]T, string, error)) error {
	p := keyset.Page{Limit: keyset.DefaultLimit}
	for {
		next, err := retry(ctx, func() (string, error) {
			rows, next, err := read(p)
			if err == nil {
				*out = append(*out, rows...)
			}
			return next, err
		})
		if err != nil {
			return fmt.Errorf("cannot read %s: %w", what, err)
		}
		if next == "" {
			return nil
		}
		p.After = next
	}
}

// byOrder indexes rows by their order ID.
func byOrder[T any](rows []T, id func(T) string) map[string]T {
	out := make(map[string]T, len(rows))
	for _, r := range rows {
		out[id(r)] = r
	}
	return out
}

// audit evaluates the invariants on one snapshot.
func audit(s snapshot, now time.Time, settle time.Duration) []Check {
	approved := Check{Name: "every APPROVED order has its stock and payment, once"}
	shipped := Check{Name: "every APPROVED order ends SHIPPED once quiet"}
	cancelled := Check{Name: "every CANCELLED order holds no stock and no money"}
	unshipped := Check{Name: "nothing is shipped for a CANCELLED order"}
	pending := Check{Name: "no order stays PENDING once the system is quiet"}
	orphans := Check{Name: "no payment or reservation exists without its order"}
	stock := Check{Name: "stock is conserved (seed = available + reserved + shipped)"}
	moneyCheck := Check{Name: "money is conserved (seed = balance + captured)"}

	known := map[string]bool{}
	for _, o := range s.orders {
		known[o.OrderID] = true
		r, hasR := s.reservations[o.OrderID]
		p, hasP := s.payments[o.OrderID]
		quiet := now.Sub(o.UpdatedAt) > settle
		switch o.Status {
		case orderapi.StatusApproved:
			if !hasR || (r.Status != inventoryapi.Reserved && r.Status != inventoryapi.Shipped) || !sameLines(o.Lines, r.Items) ||
				!hasP || p.Status != paymentapi.Captured || p.AmountCents != o.TotalCents || p.CustomerID != o.CustomerID {
				approved.Offenders = append(approved.Offenders, o.OrderID)
			}
			if quiet && (!hasR || r.Status != inventoryapi.Shipped) {
				shipped.Offenders = append(shipped.Offenders, o.OrderID)
			}
		case orderapi.StatusCancelled:
			if (hasR && r.Status == inventoryapi.Reserved) || (hasP && p.Status == paymentapi.Captured) {
				cancelled.Offenders = append(cancelled.Offenders, o.OrderID)
			}
			if hasR && r.Status == inventoryapi.Shipped {
				unshipped.Offenders = append(unshipped.Offenders, o.OrderID)
			}
		case orderapi.StatusPending:
			if quiet {
				pending.Offenders = append(pending.Offenders, o.OrderID)
			}
		}
	}
	for id := range s.reservations {
		if !known[id] {
			orphans.Offenders = append(orphans.Offenders, "reservation "+id)
		}
	}
	for id := range s.payments {
		if !known[id] {
			orphans.Offenders = append(orphans.Offenders, "payment "+id)
		}
	}

	held, sent := map[string]int{}, map[string]int{}
	for _, r := range s.reservations {
		for _, it := range r.Items {
			switch r.Status {
			case inventoryapi.Reserved:
				held[it.SKU] += it.Quantity
			case inventoryapi.Shipped:
				sent[it.SKU] += it.Quantity
			}
		}
	}
	for _, st := range s.stock {
		if st.Available+st.Reserved+st.Shipped != st.Initial || st.Reserved != held[st.SKU] || st.Shipped != sent[st.SKU] || st.Available < 0 {
			stock.Offenders = append(stock.Offenders, fmt.Sprintf("%s (seed %d, available %d, reserved %d, shipped %d; held by reservations %d, shipped by them %d)",
				st.SKU, st.Initial, st.Available, st.Reserved, st.Shipped, held[st.SKU], sent[st.SKU]))
		}
	}
	captured := map[string]money.Cents{}
	for _, p := range s.payments {
		if p.Status == paymentapi.Captured {
			captured[p.CustomerID] += p.AmountCents
		}
	}
	for _, a := range s.accounts {
		if a.BalanceCents+captured[a.CustomerID] != a.InitialCents || a.BalanceCents < 0 {
			moneyCheck.Offenders = append(moneyCheck.Offenders, fmt.Sprintf("%s (seed %s, balance %s, captured %s)",
				a.CustomerID, a.InitialCents, a.BalanceCents, captured[a.CustomerID]))
		}
	}
	checks := []Check{approved, shipped, cancelled, unshipped, stock, moneyCheck, pending, orphans}
	for i := range checks {
		slices.Sort(checks[i].Offenders)
		checks[i].Pass = len(checks[i].Offenders) == 0
		if checks[i].Offenders == nil {
			checks[i].Offenders = []string{}
		}
	}
	return checks
}

func sameLines(lines []orderapi.LineResponse, items []input.Item) bool {
	if len(lines) != len(items) {
		return false
	}
	want := map[string]int{}
	for _, l := range lines {
		want[l.SKU] = l.Quantity
	}
	for _, it := range items {
		if want[it.SKU] != it.Quantity {
			return false
		}
	}
	return true
}
