package matrix

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/platform/web"
	"github.com/sagaforge/saga/internal/services/endpoints"
	"github.com/sagaforge/saga/internal/services/order/orderapi"
)

// A cell's check holds only on what the services answered: a lookup that
// failed (a 503, a refused connection) is not "holds nothing".
func TestCheckFailsOnALookupThatFailed(t *testing.T) {
	order := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		web.WriteJSON(w, http.StatusOK, orderapi.OrderResponse{OrderID: "mx-1", Status: orderapi.StatusCancelled})
	}))
	defer order.Close()
	missing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		web.WriteProblem(w, r, web.ProblemFrom(fault.ErrNotFound))
	}))
	defer missing.Close()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		web.WriteProblem(w, r, web.ProblemFrom(fault.ErrUnavailable))
	}))
	defer down.Close()
	ctx := context.Background()

	at := endpoints.Endpoints{Order: order.URL, Inventory: missing.URL, Payment: missing.URL}
	if status, ok, held := check(ctx, at.Clients(nil), "mx-1"); status != "CANCELLED" || !ok {
		t.Fatalf("cancelled, nothing held anywhere: %s %v (%s), want CANCELLED and consistent", status, ok, held)
	}
	at.Inventory = down.URL
	if status, ok, held := check(ctx, at.Clients(nil), "mx-1"); ok {
		t.Fatalf("inventory unavailable: %s %v (%s), want not consistent: the lookup failed", status, ok, held)
	}
}
