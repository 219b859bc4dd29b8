package cli

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/sagaforge/saga/database/dbtest"
	"github.com/sagaforge/saga/inventory"
	"github.com/sagaforge/saga/money"
	"github.com/sagaforge/saga/order"
	"github.com/sagaforge/saga/outbox"
	"github.com/sagaforge/saga/payment"
)

// scaleOrders is how many orders the audit must get right: more than one
// response of any list holds, and ten times the orders list's old limit.
const scaleOrders = 100_000

// TestAuditAtScale fills the three services' real databases with
// scaleOrders settled orders (every tenth cancelled), serves them over their
// real HTTP APIs, and audits: every check passes, every order is counted,
// and a single inconsistent order among them is found.
func TestAuditAtScale(t *testing.T) {
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	orderDB, invDB, payDB := dbtest.Open(t, "order"), dbtest.Open(t, "inventory"), dbtest.Open(t, "payment")
	orders, stock, payments := order.NewStore(orderDB, outbox.New(orderDB)), inventory.NewStore(invDB, outbox.New(invDB)), payment.NewStore(payDB, outbox.New(payDB))
	for _, m := range []interface {
		Migrate(context.Context, string) error
	}{orders, stock, payments} {
		if err := m.Migrate(ctx, "demo"); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	fill(t, orderDB, invDB, payDB, scaleOrders)
	t.Logf("%d orders written in %s", scaleOrders, time.Since(start).Round(time.Millisecond))

	urls := make([]string, 3)
	for i, srv := range []*httptest.Server{
		httptest.NewServer(order.NewHandler(orders, quiet, "")),
		httptest.NewServer(inventory.NewHandler(stock, quiet, "")),
		httptest.NewServer(payment.NewHandler(payments, quiet, "")),
	} {
		t.Cleanup(srv.Close)
		urls[i] = srv.URL
	}
	audit := func() (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := Run(ctx, []string{"audit", "--order-url", urls[0], "--inventory-url", urls[1], "--payment-url", urls[2]}, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	start = time.Now()
	code, stdout, stderr := audit()
	t.Logf("audit of %d orders took %s", scaleOrders, time.Since(start).Round(time.Millisecond))
	if code != ExitOK || strings.Count(stdout, " pass ") != 6 || !strings.Contains(stdout, fmt.Sprintf("%d orders audited", scaleOrders)) {
		t.Fatalf("audit of a consistent stack: exit %d\n%s%s", code, stdout, stderr)
	}

	// One approved order deep in the list loses its payment.
	victim := fmt.Sprintf("scale-%06d", scaleOrders-7)
	if err := payDB.Model(&payment.Payment{}).Where("order_id = ?", victim).Update("status", payment.Refunded).Error; err != nil {
		t.Fatal(err)
	}
	if err := payDB.Model(&payment.Account{}).Where("customer_id = ?", "alice").Update("balance", gorm.Expr("balance + 4990")).Error; err != nil {
		t.Fatal(err)
	}
	code, stdout, _ = audit()
	if code != ExitFailure || !strings.Contains(stdout, "FAIL   "+victim) {
		t.Fatalf("audit with %s unpaid: exit %d\n%s", victim, code, stdout)
	}
}

// fill writes n settled orders as the sagas would have left them: approved
// ones hold one SKU-1 and 49.90 of alice's money, cancelled ones hold
// nothing. Stock and balances are seeded to match.
func fill(t *testing.T, orderDB, invDB, payDB *gorm.DB, n int) {
	t.Helper()
	const batch = 2000
	now := time.Now().Add(-time.Hour)
	approved := 0
	for from := 0; from < n; from += batch {
		var os []order.Order
		var rs []inventory.Reservation
		var ps []payment.Payment
		for i := from; i < min(from+batch, n); i++ {
			id := fmt.Sprintf("scale-%06d", i)
			st, rst, pst := order.StatusApproved, inventory.Reserved, payment.Captured
			if i%10 == 9 {
				st, rst, pst = order.StatusCancelled, inventory.Released, payment.Refunded
			} else {
				approved++
			}
			os = append(os, order.Order{ID: id, CustomerID: "alice", Status: st, Mode: order.ModeOrchestration, Total: 4990,
				Lines: []order.Line{{OrderID: id, SKU: "SKU-1", Quantity: 1, UnitPrice: 4990}}, CreatedAt: now, UpdatedAt: now})
			rs = append(rs, inventory.Reservation{OrderID: id, Status: rst, Lines: []inventory.ReservationLine{{OrderID: id, SKU: "SKU-1", Quantity: 1}}, CreatedAt: now, UpdatedAt: now})
			ps = append(ps, payment.Payment{OrderID: id, CustomerID: "alice", Amount: 4990, Status: pst, CreatedAt: now, UpdatedAt: now})
		}
		for _, err := range []error{orderDB.Create(&os).Error, invDB.Create(&rs).Error, payDB.Create(&ps).Error} {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	const initialStock, initialBalance = 10_000_000, money.Cents(1_000_000_000)
	if err := invDB.Model(&inventory.Stock{}).Where("sku = ?", "SKU-1").
		Updates(map[string]any{"initial": initialStock, "available": initialStock - approved, "reserved": approved}).Error; err != nil {
		t.Fatal(err)
	}
	if err := payDB.Model(&payment.Account{}).Where("customer_id = ?", "alice").
		Updates(map[string]any{"initial": initialBalance, "balance": initialBalance - money.Cents(approved)*4990}).Error; err != nil {
		t.Fatal(err)
	}
}
