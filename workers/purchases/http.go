package purchases

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/platform/web"
	"github.com/sagaforge/saga/internal/saga"
)

// MaxWait is the longest a request may wait for an outcome.
const MaxWait = time.Minute

// CancelRequest is the body of POST /purchases/{order_id}/cancel.
type CancelRequest struct {
	Reason string `json:"reason"`
}

// Routes are the purchase API:
//
//	POST /purchases {order_id?, customer_id, items, mode?}   Prefer: wait=N, Idempotency-Key: K
//	GET  /purchases/{order_id}[?wait=10s]
//	POST /purchases/{order_id}/cancel {reason}              Prefer: wait=N (default MaxWait)
//	GET  /purchases?status=&mode=&customer_id=&limit=&cursor=  both modes, newest first
//	GET  /purchases/{order_id}/timeline                      steps and compensations on one time axis
//	GET  /purchases/{order_id}/events                        its events as they are on Kafka
//
// A purchase that settles within the wait asked for is answered 200 with
// its outcome; one still running 202 with Location: /purchases/{order_id}.
func Routes(s *Service, log *slog.Logger) web.Routes {
	return web.Routes{
		"POST /purchases": web.Endpoint(log, "purchase", func(r *http.Request, req Request) (answer, error) {
			wait, err := preferredWait(r.Header.Get("Prefer"))
			if err != nil {
				return answer{}, err
			}
			key := r.Header.Get("Idempotency-Key")
			if key != "" && req.OrderID == "" {
				if req.OrderID, err = keyedOrderID(key); err != nil {
					return answer{}, err
				}
			}
			rep, err := s.Purchase(r.Context(), req, wait)
			if key != "" && errors.Is(err, fault.ErrIdempotencyConflict) {
				return answer{}, keyReused(err)
			}
			if err != nil {
				return answer{}, err
			}
			return answer{Report: rep, waited: wait}, nil
		}),
		"GET /purchases": web.Endpoint(log, "list", func(r *http.Request, _ web.NoBody) (Page, error) {
			q, err := ListQueryFrom(r.URL.Query())
			if err != nil {
				return Page{}, err
			}
			return s.List(r.Context(), q)
		}),
		"GET /purchases/{order_id}": web.Endpoint(log, "status", func(r *http.Request, _ web.NoBody) (answer, error) {
			id := r.PathValue("order_id")
			if err := input.ValidateOrderID(id); err != nil {
				return answer{}, err
			}
			wait, err := waitParam(r.URL.Query().Get("wait"))
			if err != nil {
				return answer{}, err
			}
			rep, err := s.Get(r.Context(), id, wait)
			return answer{Report: rep, read: true}, err
		}),
		"GET /purchases/{order_id}/timeline": web.Keyed(log, "timeline", "order_id", s.Timeline, func(t Timeline) Timeline { return t }),
		"GET /purchases/{order_id}/events":   web.Keyed(log, "events", "order_id", s.Events, func(evs []Event) []Event { return evs }),
		"POST /purchases/{order_id}/cancel": web.Endpoint(log, "cancel", func(r *http.Request, req CancelRequest) (answer, error) {
			id := r.PathValue("order_id")
			if err := input.ValidateOrderID(id); err != nil {
				return answer{}, err
			}
			wait, err := preferredWait(r.Header.Get("Prefer"))
			if err != nil {
				return answer{}, err
			}
			if wait == 0 {
				wait = MaxWait
			}
			rep, err := s.Cancel(r.Context(), id, req.Reason, wait)
			// Undone within the wait: 200; still undoing: 202 and where to
			// follow it.
			return answer{Report: rep, read: rep.Settled()}, err
		}),
	}
}

// ListQueryFrom reads GET /purchases' query (and the console's): a
// parameter it does not know is refused, not ignored, so that a misspelt
// filter does not list everything.
func ListQueryFrom(v url.Values) (ListQuery, error) {
	for k := range v {
		switch k {
		case "status", "mode", "customer_id", "limit", "cursor":
		default:
			return ListQuery{}, fmt.Errorf("%w: unknown parameter %q: filter by status, mode or customer_id; page with limit and cursor", fault.ErrInvalid, k)
		}
	}
	q := ListQuery{Status: saga.Status(strings.ToUpper(v.Get("status"))), Mode: saga.Mode(strings.ToLower(v.Get("mode"))),
		CustomerID: v.Get("customer_id"), Cursor: v.Get("cursor")}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 || n > MaxPageSize {
			return ListQuery{}, fmt.Errorf("%w: limit must be from 1 to %d, got %q", fault.ErrInvalid, MaxPageSize, s)
		}
		q.Limit = n
	}
	return q, q.Validate()
}

// answer is a purchase as the API answers it: 200 when it has its outcome
// (or is read as it stands), else 202 Accepted with where to follow it.
type answer struct {
	Report
	waited time.Duration
	read   bool
}

func (a answer) StatusCode() int {
	if a.read || a.Settled() {
		return http.StatusOK
	}
	return http.StatusAccepted
}

func (a answer) WriteHeaders(h http.Header) {
	if !a.read {
		h.Set("Location", "/purchases/"+a.OrderID)
	}
	if a.waited > 0 {
		h.Set("Preference-Applied", "wait="+strconv.Itoa(int(a.waited/time.Second)))
	}
}

// LogValue is what the log says of a purchase.
func (a answer) LogValue() slog.Value {
	return slog.GroupValue(slog.String("status", string(a.Status)), slog.String("mode", a.Mode), slog.String("reason", a.Reason))
}

// keyedOrderID is the order ID of a purchase that names none but carries an
// Idempotency-Key (draft-ietf-httpapi-idempotency-key-header): the same
// key always buys under the same order ID, so a client retrying after a
// lost answer attaches to its purchase instead of buying twice. The order
// service and Temporal hold the purchase under it, so the key outlives any
// process.
func keyedOrderID(key string) (string, error) {
	if len(key) > 255 || strings.ContainsFunc(key, func(r rune) bool { return r < ' ' || r > '~' }) {
		return "", fmt.Errorf("%w: Idempotency-Key must be at most 255 printable ASCII characters", fault.ErrInvalid)
	}
	sum := sha256.Sum256([]byte(key))
	return "ik-" + hex.EncodeToString(sum[:12]), nil
}

// keyReused is the draft's answer to a key sent again with another
// request: 422, and the key's purchase is left as it is.
func keyReused(err error) *web.Problem {
	return &web.Problem{Type: web.ProblemType("idempotency-key-reused"), Title: "Idempotency key reused",
		Status: http.StatusUnprocessableEntity, Code: "idempotency-key-reused",
		Detail: "this Idempotency-Key was sent with another request: " + strings.TrimPrefix(err.Error(), fault.ErrIdempotencyConflict.Error()+": ")}
}

// IdempotencyKey names the order a purchase request is about, for the log.
func (r Request) IdempotencyKey() string { return r.OrderID }

// preferredWait reads RFC 7240's Prefer: wait=N (seconds); other
// preferences are ignored, as the RFC asks.
func preferredWait(prefer string) (time.Duration, error) {
	for _, p := range strings.Split(prefer, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(p), "=")
		if !strings.EqualFold(strings.TrimSpace(name), "wait") {
			continue
		}
		n, err := strconv.Atoi(strings.Trim(strings.TrimSpace(value), `"`))
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%w: Prefer: wait wants whole seconds, got %q", fault.ErrInvalid, value)
		}
		return min(time.Duration(n)*time.Second, MaxWait), nil
	}
	return 0, nil
}

// waitParam reads ?wait=10s, up to MaxWait.
func waitParam(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || d > MaxWait {
		return 0, fmt.Errorf("%w: wait must be a duration up to %s, e.g. 10s; got %q", fault.ErrInvalid, MaxWait, s)
	}
	return d, nil
}
