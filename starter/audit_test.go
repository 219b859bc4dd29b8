package starter

import (
	"strings"
	"testing"
	"time"

	"github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/services/inventory/inventoryapi"
	"github.com/sagaforge/saga/internal/services/order/orderapi"
	"github.com/sagaforge/saga/internal/services/payment/paymentapi"
)

// consistent is alice's approved and shipped order and bob's declined one.
func consistent(now time.Time) snapshot {
	return snapshot{
		orders: []orderapi.OrderResponse{
			{OrderID: "a", CustomerID: "alice", Status: orderapi.StatusApproved, TotalCents: 9980, Lines: []orderapi.LineResponse{{SKU: "SKU-1", Quantity: 2}}, UpdatedAt: now},
			{OrderID: "b", CustomerID: "bob", Status: orderapi.StatusCancelled, TotalCents: 19900, Lines: []orderapi.LineResponse{{SKU: "SKU-2", Quantity: 1}}, UpdatedAt: now},
		},
		reservations: map[string]inventoryapi.ReservationResponse{
			"a": {OrderID: "a", Status: inventoryapi.Shipped, Items: []input.Item{{SKU: "SKU-1", Quantity: 2}}},
			"b": {OrderID: "b", Status: inventoryapi.Released, Items: []input.Item{{SKU: "SKU-2", Quantity: 1}}},
		},
		stock: []inventoryapi.StockResponse{{SKU: "SKU-1", Available: 998, Shipped: 2, Initial: 1000}, {SKU: "SKU-2", Available: 100, Initial: 100}},
		payments: map[string]paymentapi.PaymentResponse{
			"a": {OrderID: "a", CustomerID: "alice", AmountCents: 9980, Status: paymentapi.Captured},
			"b": {OrderID: "b", CustomerID: "bob", AmountCents: 19900, Status: paymentapi.Declined},
		},
		accounts: []paymentapi.AccountResponse{{CustomerID: "alice", BalanceCents: 1_000_000 - 9980, InitialCents: 1_000_000}, {CustomerID: "bob", BalanceCents: 5000, InitialCents: 5000}},
	}
}

func failing(checks []Check) map[string][]string {
	out := map[string][]string{}
	for _, c := range checks {
		if !c.Pass {
			out[c.Name] = c.Offenders
		}
	}
	return out
}

func TestAuditPassesAConsistentSystem(t *testing.T) {
	now := time.Now()
	if f := failing(audit(consistent(now), now, time.Minute)); len(f) != 0 {
		t.Fatalf("a consistent snapshot failed: %v", f)
	}
}

func TestAuditNamesEachBrokenInvariant(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		name      string
		breakIt   func(s *snapshot)
		invariant string
		offender  string
	}{
		{"approved without payment", func(s *snapshot) { delete(s.payments, "a") }, "APPROVED", "a"},
		{"approved, charged the wrong amount", func(s *snapshot) {
			p := s.payments["a"]
			p.AmountCents = 1
			s.payments["a"] = p
		}, "APPROVED", "a"},
		{"cancelled but stock still held", func(s *snapshot) {
			r := s.reservations["b"]
			r.Status = inventoryapi.Reserved
			s.reservations["b"] = r
		}, "CANCELLED", "b"},
		{"stock lost", func(s *snapshot) { s.stock[0].Available = 990 }, "stock is conserved", "SKU-1"},
		{"shipped stock not counted as shipped", func(s *snapshot) { s.stock[0].Shipped, s.stock[0].Reserved = 0, 2 }, "stock is conserved", "SKU-1"},
		{"approved long ago and never shipped", func(s *snapshot) {
			r := s.reservations["a"]
			r.Status = inventoryapi.Reserved
			s.reservations["a"] = r
			s.stock[0].Shipped, s.stock[0].Reserved = 0, 2
			s.orders[0].UpdatedAt = now.Add(-time.Hour)
		}, "ends SHIPPED", "a"},
		{"shipped for a cancelled order", func(s *snapshot) {
			r := s.reservations["b"]
			r.Status = inventoryapi.Shipped
			s.reservations["b"] = r
			s.stock[1].Available, s.stock[1].Shipped = 99, 1
		}, "nothing is shipped", "b"},
		{"money created", func(s *snapshot) { s.accounts[1].BalanceCents = 6000 }, "money is conserved", "bob"},
		{"stuck pending", func(s *snapshot) {
			s.orders = append(s.orders, orderapi.OrderResponse{OrderID: "c", Status: orderapi.StatusPending, UpdatedAt: now.Add(-time.Hour)})
		}, "PENDING", "c"},
		{"payment without order", func(s *snapshot) {
			s.payments["ghost"] = paymentapi.PaymentResponse{OrderID: "ghost", Status: paymentapi.Voided}
		}, "without its order", "payment ghost"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := consistent(now)
			tc.breakIt(&s)
			f := failing(audit(s, now, time.Minute))
			if len(f) == 0 {
				t.Fatal("the audit passed a broken system")
			}
			for name, offenders := range f {
				if strings.Contains(name, tc.invariant) && len(offenders) > 0 && strings.HasPrefix(offenders[0], tc.offender) {
					return
				}
			}
			t.Fatalf("want %q to fail naming %q; failed: %v", tc.invariant, tc.offender, f)
		})
	}
}
