// Package console is the saga console: web pages, served by the worker
// beside the purchase API, that show purchases of both modes on one time
// axis. The list of purchases, a purchase's timeline (its steps,
// compensations and, in choreography, each event's hops), and two
// purchases side by side. The pages are Go templates with their styles
// and script embedded, so they need nothing from outside the machine;
// every page links the JSON it is drawn from, and acts (cancel, buy the
// same cart both ways) through the purchase API itself, with its rules.
package console

import (
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/platform/web"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/workers/purchases"
)

// Source is what the console shows: the purchase API's reads.
type Source interface {
	List(ctx context.Context, q purchases.ListQuery) (purchases.Page, error)
	Timeline(ctx context.Context, orderID string) (purchases.Timeline, error)
}

var (
	//go:embed templates/*.html
	templateFS embed.FS
	//go:embed static
	staticFS embed.FS
)

// Console serves the pages.
type Console struct {
	src   Source
	log   *slog.Logger
	webUI string // the Temporal Web UI, for the header's link
	pages map[string]*template.Template
}

// New returns the console over src; webUI is the Temporal Web UI's base
// URL.
func New(src Source, log *slog.Logger, webUI string) (*Console, error) {
	c := &Console{src: src, log: log, webUI: webUI, pages: map[string]*template.Template{}}
	for _, page := range []string{"list", "purchase", "compare", "problem"} {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/timeline.html", "templates/"+page+".html")
		if err != nil {
			return nil, fmt.Errorf("console: parse %s: %w", page, err)
		}
		c.pages[page] = t
	}
	return c, nil
}

// Routes are the console's pages and assets:
//
//	GET /                                  purchases, both modes, newest first (filters as GET /purchases)
//	GET /console/purchases/{order_id}      a purchase's timeline, live while it runs
//	GET /console/compare?a=&b=             two purchases side by side, on one scale
//	GET /console/static/...                the pages' style and script
func (c *Console) Routes() web.Routes {
	static, _ := fs.Sub(staticFS, "static")
	assets := http.StripPrefix("/console/static/", http.FileServerFS(static))
	return web.Routes{
		"GET /{$}":                          http.HandlerFunc(c.list),
		"GET /console/purchases/{order_id}": http.HandlerFunc(c.purchase),
		"GET /console/compare":              http.HandlerFunc(c.compare),
		"GET /console/": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c.fail(w, r, "", fmt.Errorf("%w: the console has no page at %s", fault.ErrNotFound, r.URL.Path))
		}),
		"GET /console/static/": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "max-age=300")
			assets.ServeHTTP(w, r)
		}),
	}
}

// frame is what every page shows around its content.
type frame struct {
	Title string
	WebUI string
	JSON  string // the API URL of the data drawn
	Now   time.Time
	Body  any
}

func (c *Console) render(w http.ResponseWriter, r *http.Request, page string, status int, f frame) {
	f.WebUI, f.Now = c.webUI, time.Now()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	if err := c.pages[page].Execute(w, f); err != nil {
		c.log.ErrorContext(r.Context(), "console page", "page", page, "err", err)
	}
}

// fail answers a failed page as a readable page, with the status the API
// would answer (400 for bad input, 404 for an unknown purchase, 503 when
// a source does not answer).
func (c *Console) fail(w http.ResponseWriter, r *http.Request, orderID string, err error) {
	p := web.ProblemFrom(err)
	if p.Status >= 500 {
		c.log.ErrorContext(r.Context(), "console page failed", "order_id", orderID, "path", r.URL.Path, "err", err)
	}
	detail := p.Detail
	for _, sentinel := range []error{fault.ErrInvalid, fault.ErrNotFound} {
		detail = strings.TrimPrefix(detail, sentinel.Error()+": ")
	}
	c.render(w, r, "problem", p.Status, frame{Title: p.Title, Body: problemView{Problem: p, Detail: detail}})
}

type problemView struct {
	*web.Problem
	Detail string
}

// listView is the list page.
type listView struct {
	Query     purchases.ListQuery
	Page      purchases.Page
	Statuses  []saga.Status
	Modes     []saga.Mode
	NextURL   string
	FirstPage bool
}

func (c *Console) list(w http.ResponseWriter, r *http.Request) {
	q, err := purchases.ListQueryFrom(r.URL.Query())
	if err != nil {
		c.fail(w, r, "", err)
		return
	}
	page, err := c.src.List(r.Context(), q)
	if err != nil {
		c.fail(w, r, "", err)
		return
	}
	v := listView{Query: q, Page: page, FirstPage: q.Cursor == "",
		Statuses: []saga.Status{saga.Running, saga.Compensating, saga.Approved, saga.Cancelled, saga.Failed, saga.Terminated},
		Modes:    []saga.Mode{saga.Orchestration, saga.Choreography}}
	if page.Next != "" {
		next := r.URL.Query()
		next.Set("cursor", page.Next)
		v.NextURL = "/?" + next.Encode()
	}
	c.render(w, r, "list", http.StatusOK, frame{Title: "Purchases", JSON: "/purchases?" + r.URL.RawQuery, Body: v})
}

func (c *Console) purchase(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("order_id")
	if err := onlyParams(r.URL.Query()); err != nil {
		c.fail(w, r, id, err)
		return
	}
	t, err := c.src.Timeline(r.Context(), id)
	if err != nil {
		c.fail(w, r, id, err)
		return
	}
	v := drawTimeline(t, t.End.Sub(t.Start), time.Now())
	c.render(w, r, "purchase", http.StatusOK, frame{Title: "Purchase " + id, JSON: "/purchases/" + url.PathEscape(id) + "/timeline", Body: v})
}

// compareView is two purchases on one scale.
type compareView struct {
	A, B   *timelineView
	AID    string
	BID    string
	Settle bool // both settled: nothing more to poll
}

func (c *Console) compare(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := compareView{AID: q.Get("a"), BID: q.Get("b")}
	if err := onlyParams(q, "a", "b"); err != nil {
		c.fail(w, r, "", err)
		return
	}
	if v.AID == "" && v.BID == "" {
		c.render(w, r, "compare", http.StatusOK, frame{Title: "Compare two purchases", Body: v})
		return
	}
	if v.AID == "" || v.BID == "" {
		c.fail(w, r, "", fmt.Errorf("%w: name two purchases, ?a= and ?b=", fault.ErrInvalid))
		return
	}
	var ts [2]purchases.Timeline
	for i, id := range []string{v.AID, v.BID} {
		t, err := c.src.Timeline(r.Context(), id) // which checks the ID
		if err != nil {
			c.fail(w, r, id, err)
			return
		}
		ts[i] = t
	}
	scale := max(ts[0].End.Sub(ts[0].Start), ts[1].End.Sub(ts[1].Start))
	now := time.Now()
	a, b := drawTimeline(ts[0], scale, now), drawTimeline(ts[1], scale, now)
	v.A, v.B, v.Settle = &a, &b, ts[0].Settled && ts[1].Settled
	c.render(w, r, "compare", http.StatusOK, frame{Title: "Compare " + v.AID + " and " + v.BID, Body: v})
}

// onlyParams refuses query parameters a page does not take.
func onlyParams(q url.Values, known ...string) error {
	for k := range q {
		if !slices.Contains(known, k) {
			return fmt.Errorf("%w: unknown parameter %q", fault.ErrInvalid, k)
		}
	}
	return nil
}
