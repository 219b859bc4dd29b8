package web

// A service's API as a table of routes, each route one operation: decode
// the input, run it, answer with its result or its problem.

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"

	"github.com/sagaforge/saga/internal/platform/fault"
)

// Routes maps a ServeMux pattern ("POST /orders") to its handler.
type Routes map[string]http.Handler

// API serves routes behind Middleware, with GET /healthz answered by ping.
// Each request is a server span named for its route ("POST /orders"),
// continuing the caller's trace.
func API(log *slog.Logger, token string, ping func(context.Context) error, routes Routes) http.Handler {
	mux := http.NewServeMux()
	for pattern, h := range routes {
		mux.Handle(pattern, h)
	}
	mux.Handle("GET /healthz", Health(ping))
	return otelhttp.NewHandler(Middleware(log, token, mux), "http",
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
			if r.Pattern != "" {
				return r.Pattern
			}
			return r.Method
		}),
		// Probes and scrapes are not the saga's work.
		otelhttp.WithFilter(func(r *http.Request) bool { return r.URL.Path != "/healthz" && r.URL.Path != "/metrics" }),
		// One tracer for every request, not one asked for on each.
		otelhttp.WithTracerProvider(otel.GetTracerProvider()))
}

// NoBody is the input of an operation that takes no request body: one is
// refused, so a client that thinks it sends parameters learns it does not.
type NoBody struct{}

// An IdempotencyKeyed input names the order it is about, for the log.
type IdempotencyKeyed interface{ IdempotencyKey() string }

// A StatusCoder is an answer with its own status code instead of 200 OK.
type StatusCoder interface{ StatusCode() int }

// A HeaderWriter is an answer with headers of its own (Location).
type HeaderWriter interface{ WriteHeaders(http.Header) }

// Endpoint serves one operation, named op in the log. The JSON body is
// decoded into In (an empty body is the zero In, which the operation's
// validation then judges); the answer is written as JSON, a failure as its
// problem document. Both are logged with the order they concern (the
// {order_id} path value, else the input's idempotency key): a failure by
// Fail, a change at info level with the answer when it is a
// slog.LogValuer. Reads are not logged here.
func Endpoint[In, Out any](log *slog.Logger, op string, run func(r *http.Request, in In) (Out, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in In
		if r.ContentLength != 0 {
			if _, none := any(in).(NoBody); none {
				WriteProblem(w, r, ProblemFrom(fmt.Errorf("%w: this endpoint takes no body", fault.ErrInvalid)))
				return
			}
			if err := DecodeJSON(w, r, &in); err != nil {
				WriteProblem(w, r, ProblemFrom(err))
				return
			}
		}
		out, err := run(r, in)
		if err != nil {
			Fail(log, w, r, orderOf(r, in), op, err)
			return
		}
		status := http.StatusOK
		if s, ok := any(out).(StatusCoder); ok {
			status = s.StatusCode()
		}
		if r.Method != http.MethodGet {
			attrs := []any{"order_id", orderOf(r, in), "status", status}
			if v, ok := any(out).(slog.LogValuer); ok {
				attrs = append(attrs, "result", v)
			}
			log.InfoContext(r.Context(), op, attrs...)
		}
		if h, ok := any(out).(HeaderWriter); ok {
			h.WriteHeaders(w.Header())
		}
		WriteJSON(w, status, out)
	}
}

// Keyed serves an operation without a body on the one thing a path
// wildcard names (a read, or a change such as an approval): run is called
// with the path value, and its answer rendered for the wire.
func Keyed[T, Wire any](log *slog.Logger, op, wildcard string, run func(context.Context, string) (T, error), render func(T) Wire) http.HandlerFunc {
	return Endpoint(log, op, func(r *http.Request, _ NoBody) (Wire, error) {
		v, err := run(r.Context(), r.PathValue(wildcard))
		return render(v), err
	})
}

// orderOf is the order a request concerns, for the log.
func orderOf(r *http.Request, in any) string {
	if id := r.PathValue("order_id"); id != "" {
		return id
	}
	if k, ok := in.(IdempotencyKeyed); ok {
		return k.IdempotencyKey()
	}
	return ""
}

// Render renders rows for the wire; never nil, so a list is [] in JSON.
func Render[Row, Wire any](rows []Row, render func(Row) Wire) []Wire {
	out := make([]Wire, 0, len(rows))
	for _, row := range rows {
		out = append(out, render(row))
	}
	return out
}
