package integration

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/sagaforge/saga/internal/platform/database"
	"github.com/sagaforge/saga/internal/platform/money"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/internal/services/inventory"
	"github.com/sagaforge/saga/internal/services/inventory/inventoryapi"
	"github.com/sagaforge/saga/internal/services/order"
	"github.com/sagaforge/saga/internal/services/order/orderapi"
	"github.com/sagaforge/saga/internal/services/payment"
	"github.com/sagaforge/saga/internal/services/payment/paymentapi"
	"github.com/sagaforge/saga/lab/stack"
	"github.com/sagaforge/saga/starter"
)

// scaleOrders is how many orders the audit must get right: more than one
// response of any list holds, and ten times the orders list's old limit.
const scaleOrders = 100_000

// TestAuditOnAStackWith100000Orders fills the running stack's three
// databases with scaleOrders settled orders (every tenth cancelled) and runs
// "starter audit" against the services: every check passes and every order
// is counted; then a single inconsistent order among them is named.
func TestAuditOnAStackWith100000Orders(t *testing.T) {
	ctx := context.Background()
	var dataDir string
	s, _ := startStackWithConfig(t, func(cfg *stack.Config) { dataDir = cfg.DataDir })
	open := func(name string) *gorm.DB {
		db, err := database.Open(ctx, filepath.Join(dataDir, name+".db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = database.Close(db) })
		return db
	}
	orderDB, invDB, payDB := open("order"), open("inventory"), open("payment")
	start := time.Now()
	fill(t, orderDB, invDB, payDB, scaleOrders)
	t.Logf("%d orders written in %s", scaleOrders, time.Since(start).Round(time.Millisecond))

	start = time.Now()
	code, stdout, stderr := runStarter(t, s, "audit")
	t.Logf("audit of %d orders took %s", scaleOrders, time.Since(start).Round(time.Millisecond))
	if code != 0 || strings.Count(stdout, " pass ") != 8 || !strings.Contains(stdout, fmt.Sprintf("%d orders audited", scaleOrders)) {
		t.Fatalf("audit of a consistent stack: exit %d\n%s%s", code, stdout, stderr)
	}

	// One approved order deep in the list loses its payment.
	victim := fmt.Sprintf("scale-%06d", scaleOrders-7)
	if err := payDB.Model(&payment.Payment{}).Where("order_id = ?", victim).Update("status", paymentapi.Refunded).Error; err != nil {
		t.Fatal(err)
	}
	if err := payDB.Model(&payment.Account{}).Where("customer_id = ?", "alice").Update("balance", gorm.Expr("balance + 4990")).Error; err != nil {
		t.Fatal(err)
	}
	code, stdout, _ = runStarter(t, s, "audit")
	if code != starter.ExitNo || !regexp.MustCompile(`FAIL +`+victim).MatchString(stdout) {
		t.Fatalf("audit with %s unpaid: exit %d\n%s", victim, code, stdout)
	}
}

// fill writes n settled orders as the sagas would have left them: approved
// ones shipped one SKU-1 and hold 49.90 of alice's money, cancelled ones
// hold nothing. Stock and balances are seeded to match.
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
			st, rst, pst := orderapi.StatusApproved, inventoryapi.Shipped, paymentapi.Captured
			if i%10 == 9 {
				st, rst, pst = orderapi.StatusCancelled, inventoryapi.Released, paymentapi.Refunded
			} else {
				approved++
			}
			os = append(os, order.Order{ID: id, CustomerID: "alice", Status: st, Mode: saga.Orchestration, Total: 4990,
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
		Updates(map[string]any{"initial": initialStock, "available": initialStock - approved, "shipped": approved}).Error; err != nil {
		t.Fatal(err)
	}
	if err := payDB.Model(&payment.Account{}).Where("customer_id = ?", "alice").
		Updates(map[string]any{"initial": initialBalance, "balance": initialBalance - money.Cents(approved)*4990}).Error; err != nil {
		t.Fatal(err)
	}
}
