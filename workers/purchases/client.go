package purchases

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/sagaforge/saga/platform/web"
)

// Client calls the purchase API of a worker.
type Client struct{ *web.Client }

// NewClient returns a client for the purchase API at baseURL; token, when
// set, is sent as a bearer token.
var NewClient = web.ClientFor[Client]

func purchasePath(orderID, then string) string { return "/purchases/" + url.PathEscape(orderID) + then }

// Start starts (or attaches to) a purchase and returns it as it stands.
func (c Client) Start(ctx context.Context, req Request) (Report, error) {
	return web.Call[Report](ctx, c.Client, http.MethodPost, "/purchases", req)
}

// Get reads a purchase, after waiting up to wait (at most MaxWait) for its
// outcome.
func (c Client) Get(ctx context.Context, orderID string, wait time.Duration) (Report, error) {
	q := ""
	if wait > 0 {
		q = "?wait=" + min(wait, MaxWait).Round(time.Millisecond).String()
	}
	return web.Call[Report](ctx, c.Client, http.MethodGet, purchasePath(orderID, q), nil)
}

// Cancel cancels a purchase in flight.
func (c Client) Cancel(ctx context.Context, orderID, reason string) (Report, error) {
	return web.Call[Report](ctx, c.Client, http.MethodPost, purchasePath(orderID, "/cancel"), CancelRequest{Reason: reason})
}
