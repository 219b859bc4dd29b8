package purchases

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/sagaforge/saga/internal/platform/web"
)

// Client calls the purchase API of a worker.
type Client struct{ *web.Client }

// NewClient returns a client for the purchase API at baseURL; token, when
// set, is sent as a bearer token. Without an HTTP client of the caller's,
// its own gives every call room for the longest wait the API holds.
func NewClient(baseURL string, httpClient *http.Client, token string) Client {
	if httpClient == nil {
		httpClient = web.DefaultHTTPClient()
		httpClient.Timeout = MaxWait + 30*time.Second
	}
	return web.ClientFor[Client](baseURL, httpClient, token)
}

func purchasePath(orderID, then string) string { return "/purchases/" + url.PathEscape(orderID) + then }

// Purchase starts (or attaches to) a purchase, then waits up to wait for
// its outcome: the server holds the request up to MaxWait (Prefer: wait),
// and a longer wait goes on with Get.
func (c Client) Purchase(ctx context.Context, req Request, wait time.Duration) (Report, error) {
	deadline := time.Now().Add(wait)
	rep, err := web.CallWith[Report](ctx, c.Client, http.MethodPost, "/purchases", prefer(wait), req)
	for err == nil && !rep.Settled() && time.Until(deadline) >= time.Second {
		rep, err = c.Get(ctx, rep.OrderID, time.Until(deadline))
	}
	return rep, err
}

// Get reads a purchase, after waiting up to wait (the server holds it up to
// MaxWait) for its outcome.
func (c Client) Get(ctx context.Context, orderID string, wait time.Duration) (Report, error) {
	q := ""
	if wait > 0 {
		q = "?wait=" + min(wait, MaxWait).Round(time.Millisecond).String()
	}
	return web.Call[Report](ctx, c.Client, http.MethodGet, purchasePath(orderID, q), nil)
}

// Cancel cancels a purchase in flight and waits up to wait (the server
// holds it up to MaxWait) for its compensations.
func (c Client) Cancel(ctx context.Context, orderID, reason string, wait time.Duration) (Report, error) {
	return web.CallWith[Report](ctx, c.Client, http.MethodPost, purchasePath(orderID, "/cancel"), prefer(wait), CancelRequest{Reason: reason})
}

// prefer is the Prefer: wait header of a wait (none for 0).
func prefer(wait time.Duration) http.Header {
	if wait <= 0 {
		return nil
	}
	return http.Header{"Prefer": {"wait=" + strconv.Itoa(int(max(min(wait, MaxWait), time.Second).Seconds()))}}
}

// List reads a page of purchases in both modes, newest first.
func (c Client) List(ctx context.Context, q ListQuery) (Page, error) {
	return web.Call[Page](ctx, c.Client, http.MethodGet, "/purchases?"+q.values().Encode(), nil)
}
