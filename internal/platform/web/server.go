package web

// A service's HTTP API: graceful shutdown, panic recovery, an access log,
// and the optional bearer token on mutating calls.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/sagaforge/saga/internal/platform/fault"
)

// Serve listens on addr and serves h until ctx is done, then drains
// in-flight requests for up to 10 s. longestWait is the longest a route may hold a request before it answers
// (a long poll, Prefer: wait): the write deadline leaves room for it, so
// that such an answer is never cut off. ready, if not nil, is called once
// listening.
func Serve(ctx context.Context, log *slog.Logger, addr string, h http.Handler, longestWait time.Duration, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      max(30*time.Second, longestWait+answerMargin),
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
	}
	log.Info("listening", "addr", ln.Addr().String())
	if ready != nil {
		ready(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", addr, err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown %s: %w", addr, err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// answerMargin is what a route that waited may still need to answer.
const answerMargin = 15 * time.Second

// Middleware wraps a service's routes: it recovers panics as 500 problems,
// logs each request at debug level (errors at warn), answers requests no
// route takes with problems too, and, when token is not empty, demands it as
// a bearer token on every non-GET request (either of two, Tokens).
func Middleware(log *slog.Logger, token string, mux *http.ServeMux) http.Handler {
	next := routed(mux)
	accepted, _ := Tokens(token) // checked where it is read (endpoints.FromEnv)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			if v := recover(); v != nil {
				log.Error("panic in handler", "method", r.Method, "path", r.URL.Path, "panic", v)
				WriteProblem(rec, r, ProblemFrom(fmt.Errorf("panic: %v", v)))
			}
			level := slog.LevelDebug
			if rec.status >= 500 {
				level = slog.LevelWarn
			}
			log.Log(r.Context(), level, "request", "method", r.Method, "path", r.URL.Path,
				"status", rec.status, "duration", time.Since(start))
		}()
		if len(accepted) > 0 && r.Method != http.MethodGet && r.Method != http.MethodHead && !validToken(r, accepted) {
			// RFC 9110 asks a 401 to say how to authenticate (RFC 6750).
			rec.Header().Set("WWW-Authenticate", `Bearer realm="sagaforge"`)
			WriteProblem(rec, r, ProblemFrom(fmt.Errorf("%w: a valid bearer token is required", fault.ErrUnauthorized)))
			return
		}
		next.ServeHTTP(rec, r)
	})
}

// routed makes the mux's own answers (no route: 404, wrong method: 405)
// problem documents like every other refusal; its redirects to a cleaned
// path stay as they are.
func routed(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		answer := NewHeld()
		mux.ServeHTTP(answer, r)
		switch answer.status {
		case http.StatusNotFound:
			WriteProblem(w, r, ProblemFrom(fmt.Errorf("%w: no resource at %s", fault.ErrNotFound, r.URL.Path)))
		case http.StatusMethodNotAllowed:
			allow := answer.header.Get("Allow")
			w.Header().Set("Allow", allow)
			WriteProblem(w, r, &Problem{Type: ProblemType("method-not-allowed"), Title: "Method not allowed",
				Status: http.StatusMethodNotAllowed, Code: "method-not-allowed",
				Detail: fmt.Sprintf("%s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, allow)})
		default:
			answer.CopyTo(w)
		}
	})
}

// Held is a response held back, to be rewritten or sent later.
type Held struct {
	header http.Header
	status int
	body   bytes.Buffer
}

// NewHeld returns an empty held response (200 unless a handler says).
func NewHeld() *Held { return &Held{header: http.Header{}, status: http.StatusOK} }

func (c *Held) Header() http.Header         { return c.header }
func (c *Held) Write(p []byte) (int, error) { return c.body.Write(p) }
func (c *Held) WriteHeader(status int)      { c.status = status }

// CopyTo sends the held response.
func (c *Held) CopyTo(w http.ResponseWriter) {
	for k, v := range c.header {
		w.Header()[k] = v
	}
	w.WriteHeader(c.status)
	_, _ = w.Write(c.body.Bytes())
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Health answers GET /healthz once the service can reach its database.
func Health(ping func(context.Context) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := ping(r.Context()); err != nil {
			WriteProblem(w, r, ProblemFrom(err))
			return
		}
		WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}
}

// Fail answers a failed request with its problem and logs it: server errors
// at error level with the cause, refusals at info with their code.
func Fail(log *slog.Logger, w http.ResponseWriter, r *http.Request, orderID, op string, err error) {
	p := ProblemFrom(err)
	if p.Status >= 500 {
		log.ErrorContext(r.Context(), op+" failed", "order_id", orderID, "err", err)
	} else {
		log.InfoContext(r.Context(), op+" refused", "order_id", orderID, "code", p.Code, "detail", p.Detail)
	}
	WriteProblem(w, r, p)
}

// EnvToken names the bearer token every mutating call needs, when set.
const EnvToken = "SAGA_SERVICE_TOKEN"

// EnvExposedOn is where a container's port is published on its host (as
// compose's SAGA_BIND): a service listening on every interface of its
// container is still reachable from no other machine when that is loopback.
const EnvExposedOn = "SAGA_EXPOSED_ON"

// Guarded refuses a listener other machines can reach when no token guards
// it: anyone who reached it could move stock and money.
func Guarded(addr, token, exposedOn string) error {
	if token != "" || Loopback(addr) || (exposedOn != "" && Loopback(net.JoinHostPort(exposedOn, "0"))) {
		return nil
	}
	return fmt.Errorf("refusing to listen on %s without %s: another machine could move stock and money; "+
		"set a token, or listen on 127.0.0.1", addr, EnvToken)
}

// Loopback reports whether addr's host is a loopback address or name.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
