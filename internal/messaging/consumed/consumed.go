// Package consumed is every service's record of the events its consumers
// handled, as GET /consumed serves it: when each consumer took each event
// (its inbox, written in the handler's own transaction). The saga console
// reads it to draw a choreographed purchase's hops, commit -> publish ->
// consume. The package holds the wire types and a client, no store.
package consumed

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/platform/web"
)

// MaxIDs is the most events one request asks about: a purchase has a
// dozen.
const MaxIDs = 100

// Record is one event one consumer handled.
type Record struct {
	Consumer string    `json:"consumer"` // its consumer group, "inventory.on-order"
	EventID  string    `json:"event_id"`
	At       time.Time `json:"at"` // when its handler's transaction began
}

// Response is the body of GET /consumed.
type Response struct {
	Consumed []Record `json:"consumed"`
}

// IDs reads and checks GET /consumed's ?event_id= (one or more).
func IDs(q url.Values) ([]string, error) {
	ids := q["event_id"]
	if len(ids) == 0 || len(ids) > MaxIDs {
		return nil, fmt.Errorf("%w: name from 1 to %d events with ?event_id=, got %d", fault.ErrInvalid, MaxIDs, len(ids))
	}
	for _, id := range ids {
		if id == "" || len(id) > 64 {
			return nil, fmt.Errorf("%w: an event ID has 1 to 64 characters, got %q", fault.ErrInvalid, id)
		}
	}
	return ids, nil
}

// Client reads a service's consumed events.
type Client struct{ *web.Client }

// NewClient returns a client for the service at baseURL.
var NewClient = web.ClientFor[Client]

// Of tells which of the events the service's consumers handled, and when.
func (c Client) Of(ctx context.Context, eventIDs []string) ([]Record, error) {
	var out []Record
	for len(eventIDs) > 0 {
		n := min(len(eventIDs), MaxIDs)
		resp, err := web.Call[Response](ctx, c.Client, http.MethodGet, "/consumed?"+url.Values{"event_id": eventIDs[:n]}.Encode(), nil)
		if err != nil {
			return nil, err
		}
		out = append(out, resp.Consumed...)
		eventIDs = eventIDs[n:]
	}
	return out, nil
}
