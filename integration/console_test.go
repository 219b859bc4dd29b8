package integration

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/internal/services/order/orderapi"
	"github.com/sagaforge/saga/workers/purchases"
)

// TestConsoleShowsBothModes drives the saga console in headless Chromium
// (Debian's package; .ci/run installs it) over a real stack: the list
// holds purchases of both modes, as starter list does; a declined
// choreographed purchase's timeline shows its compensations in the order
// they ran, with their services; two purchases render side by side; and
// a cancel from the page ends a purchase CANCELLED and consistent. Its
// screenshots are kept in test-artifacts/.
func TestConsoleShowsBothModes(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (apt-get install chromium); .ci/run installs it")
	}
	s := startStack(t)
	c := clientsOf(s)
	buy(t, s, "--customer", "bob", "--item", "SKU-2:1", "--order-id", "console-orch")
	buy(t, s, "--customer", "bob", "--item", "SKU-2:1", "--order-id", "console-chor", "--mode", "choreography")
	buy(t, s, "--customer", "alice", "--item", "SKU-1:1", "--order-id", "console-chor-ok", "--mode", "choreography")

	// starter list reads the same list.
	code, stdout, stderr := runStarter(t, s, "list", "-o", "json")
	var listed []purchases.Row
	if code != 0 || json.Unmarshal([]byte(stdout), &listed) != nil {
		t.Fatalf("starter list: exit %d: %s%s", code, stdout, stderr)
	}
	modes := map[string]saga.Mode{}
	for _, r := range listed {
		modes[r.OrderID] = r.Mode
	}
	if modes["console-orch"] != saga.Orchestration || modes["console-chor"] != saga.Choreography || modes["console-chor-ok"] != saga.Choreography {
		t.Errorf("starter list: %v, want console-orch orchestrated and console-chor(-ok) choreographed", modes)
	}

	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]), chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1400, 1000))
	actx, stopAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer stopAlloc()
	browser, stopBrowser := chromedp.NewContext(actx)
	defer stopBrowser()
	if err := chromedp.Do(browser); err != nil { // the browser lives as long as browser, so no timeout on it
		t.Fatalf("start chromium: %v", err)
	}
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		ctx, cancel := context.WithTimeout(browser, time.Minute)
		defer cancel()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	into := func(v any, expression string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			raw, err := chromedp.Evaluate[json.RawMessage](expression)(ctx, tg)
			if err != nil {
				return err
			}
			return json.Unmarshal(raw, v)
		})
	}
	// Each page is checked with axe-core (WCAG 2 A and AA: labels, names,
	// contrast, structure), which make test installs in tools/a11y.
	axe, err := os.ReadFile(filepath.Join("..", "tools", "a11y", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatalf("axe-core is missing (make a11y installs it with npm): %v", err)
	}
	accessible := func(page string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			if _, err := chromedp.Evaluate[json.RawMessage](string(axe)+";0")(ctx, tg); err != nil {
				return err
			}
			found, err := chromedp.Evaluate[[]string](`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
				.then(r => r.violations.map(v => v.id + ": " + v.help + " (" + v.nodes.length + "x, e.g. " + v.nodes[0].html.slice(0, 120) + ")"))`,
				chromedp.EvalAwaitPromise)(ctx, tg)
			if err != nil {
				return err
			}
			for _, v := range found {
				t.Errorf("%s is not accessible: %s", page, v)
			}
			return nil
		})
	}
	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			png, err := chromedp.FullScreenshot(100)(ctx, tg) // quality 100: a PNG
			if err != nil {
				return err
			}
			return os.WriteFile(artefact(t, name), png, 0o644)
		})
	}

	// The list: both modes, with their statuses.
	var rows []string
	do("the list", chromedp.Navigate(s.WorkerURL()+"/"), chromedp.WaitVisible(chromedp.CSS("table.purchases")),
		into(&rows, `[...document.querySelectorAll("table.purchases tbody tr")].map(r => r.innerText.replace(/\s+/g, " "))`),
		accessible("the list"), shot("console-list.png"))
	for _, want := range []string{"console-orch orchestration bob 199.00 CANCELLED", "console-chor choreography bob 199.00 CANCELLED",
		"console-chor-ok choreography alice 49.90 APPROVED"} {
		if !slices.ContainsFunc(rows, func(r string) bool { return strings.HasPrefix(r, want) }) {
			t.Errorf("the list has no row %q:\n%s", want, strings.Join(rows, "\n"))
		}
	}
	var filtered []string
	do("the list, choreographed only", chromedp.Navigate(s.WorkerURL()+"/?mode=choreography"), chromedp.WaitVisible(chromedp.CSS("table.purchases")),
		into(&filtered, `[...document.querySelectorAll("table.purchases tbody th")].map(th => th.innerText)`))
	if slices.Contains(filtered, "console-orch") || !slices.Contains(filtered, "console-chor") {
		t.Errorf("mode=choreography lists %v", filtered)
	}

	// A declined choreographed purchase: the refusal, then its
	// compensations in the order they ran, each with its service.
	var spans []string
	do("the timeline", chromedp.Navigate(s.WorkerURL()+"/console/purchases/console-chor"), chromedp.WaitVisible(chromedp.CSS("table.spans")),
		into(&spans, `[...document.querySelectorAll("table.spans tbody tr")].map(r => r.classList[1].slice(5) + " " + r.cells[0].firstChild.textContent.trim() + " " + r.cells[1].innerText + " " + r.classList[2].slice(8))`),
		accessible("the timeline"), shot("console-timeline.png"))
	want := []string{"step create order done", "step reserve inventory done", "step charge payment refused",
		"compensation release inventory done", "compensation cancel order done"}
	if !slices.Equal(spans, want) {
		t.Errorf("the declined choreographed purchase's timeline:\n%s\nwant\n%s", strings.Join(spans, "\n"), strings.Join(want, "\n"))
	}
	var hops int
	do("the hops", into(&hops, `document.querySelectorAll("table.hops tbody tr").length`))
	if hops < 5 {
		t.Errorf("%d hops on the page, want its 5 events at least", hops)
	}

	// Side by side, on one scale.
	var drawn, glance int
	do("side by side", chromedp.Navigate(s.WorkerURL()+"/console/compare?a=console-orch&b=console-chor"), chromedp.WaitVisible(chromedp.CSS(".side-by-side")),
		into(&drawn, `document.querySelectorAll(".side-by-side .timeline table.spans rect.bar").length`),
		into(&glance, `document.querySelectorAll("table.glance tbody tr").length`),
		accessible("the comparison"), shot("console-compare.png"))
	if drawn < 10 || glance != 2 {
		t.Errorf("side by side: %d bars and %d rows at a glance, want 10 bars (5 each) and 2 rows", drawn, glance)
	}

	// A change of mind, from the page: payment is down, so the saga waits
	// at the charge; the page's cancel compensates what was done, and the
	// page, live, shows it.
	if err := s.Kill("payment"); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runStarter(t, s, "purchase", "--customer", "alice", "--item", "SKU-2:1", "--order-id", "console-cancel", "--mode", "choreography"); code != 0 {
		t.Fatalf("start: %s", stderr)
	}
	waitForEvents(t, s, "console-cancel", "OrderCreated StockReserved")
	var said string
	var formHidden bool
	do("cancel from the page", chromedp.Navigate(s.WorkerURL()+"/console/purchases/console-cancel"), chromedp.WaitVisible(chromedp.CSS("#cancel button")),
		accessible("a running purchase"),
		chromedp.SetValue(chromedp.CSS("#cancel input[name=reason]"), "changed my mind on the page"), chromedp.Click(chromedp.CSS("#cancel button")),
		chromedp.WaitVisible(chromedp.CSS(".summary .status-cancelled")), into(&said, `document.getElementById("said").textContent`),
		into(&formHidden, `document.getElementById("cancel").hidden`), shot("console-cancelled.png"))
	if !strings.Contains(said, "Cancel accepted") || !formHidden {
		t.Errorf("the page said %q after the cancel, its form hidden: %t", said, formHidden)
	}
	if err := s.Restart(context.Background(), "payment"); err != nil {
		t.Fatal(err)
	}
	wantConsistent(t, c, "console-cancel", orderapi.StatusCancelled)
	if o, err := c.orders.Get(context.Background(), "console-cancel"); err != nil || !strings.Contains(o.Reason, "changed my mind on the page") {
		t.Errorf("the cancelled order: %+v, %v; want the page's reason", o, err)
	}
	auditPasses(t, s)
}

// The console refuses bad input as the API does: a readable page with
// the status the API would answer, and problem+json from the API.
func TestConsoleRefusesBadInput(t *testing.T) {
	s := startStack(t)
	for _, tc := range []struct {
		path, contentType string
		status            int
		says              string
	}{
		{"/console/purchases/no-such-order", "text/html", http.StatusNotFound, "no-such-order"},
		{"/console/purchases/bad%20id", "text/html", http.StatusBadRequest, "order"},
		{"/?status=LOST", "text/html", http.StatusBadRequest, "status must be"},
		{"/?mode=sideways", "text/html", http.StatusBadRequest, "mode must be"},
		{"/?limit=1000000", "text/html", http.StatusBadRequest, "limit must be"},
		{"/?cursor=forged", "text/html", http.StatusBadRequest, "cursor"},
		{"/?colour=red", "text/html", http.StatusBadRequest, "unknown parameter"},
		{"/console/compare?a=console-x", "text/html", http.StatusBadRequest, "name two purchases"},
		{"/console/nowhere", "text/html", http.StatusNotFound, "no page"},
		{"/purchases?limit=1000000", "application/problem+json", http.StatusBadRequest, "limit must be"},
		{"/purchases?status=LOST", "application/problem+json", http.StatusBadRequest, "status must be"},
		{"/purchases?cursor=o.forged", "application/problem+json", http.StatusBadRequest, "before must be"},
		{"/purchases/no-such-order/timeline", "application/problem+json", http.StatusNotFound, "no-such-order"},
	} {
		resp, err := http.Get(s.WorkerURL() + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.contentType) || !strings.Contains(string(body), tc.says) {
			t.Errorf("GET %s: %d %s %.300q; want %d %s saying %q", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), body, tc.status, tc.contentType, tc.says)
		}
	}
}

// artefact is where a test keeps a file for CI to publish:
// $SAGA_TEST_ARTIFACTS, else test-artifacts/ at the repository's root.
func artefact(t *testing.T, name string) string {
	t.Helper()
	dir := os.Getenv("SAGA_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "test-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path, err := filepath.Abs(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	return path
}
