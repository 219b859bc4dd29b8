package integration

// The docs show people what the code holds, and every binary explains
// itself with --help; these tests keep them equal.

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sagaforge/saga/activities"
	"github.com/sagaforge/saga/internal/messaging/chain"
	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/platform/web"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/internal/services/endpoints"
	"github.com/sagaforge/saga/internal/services/inventory"
	"github.com/sagaforge/saga/internal/services/order"
	"github.com/sagaforge/saga/internal/services/payment"
)

// readDoc reads a page of the docs, failing t if it cannot.
func readDoc(t *testing.T, path string) string {
	t.Helper()
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(text)
}

// The README's Layout names every folder at the root and every package
// folder inside the role folders, so the map never falls behind the tree.
func TestReadmeLayoutListsEveryFolder(t *testing.T) {
	readme := readDoc(t, "../README.md")
	start := strings.Index(readme, "## Layout")
	end := strings.Index(readme[start:], "\n## ")
	layout := readme[start : start+end]
	named := map[string]bool{}
	for _, m := range regexp.MustCompile(`([a-z]+)/`).FindAllStringSubmatch(layout, -1) {
		named[m[1]] = true
	}
	roots, err := os.ReadDir("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range roots {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") || e.Name() == "bin" || e.Name() == "bench-results" || e.Name() == "test-artifacts" {
			continue
		}
		if !named[e.Name()] {
			t.Errorf("the README's Layout does not name %s/", e.Name())
		}
	}
	for _, role := range []string{"internal", "internal/services", "internal/messaging", "internal/platform", "lab"} {
		subs, err := os.ReadDir("../" + role)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range subs {
			if e.IsDir() && !named[e.Name()] {
				t.Errorf("the README's Layout does not name %s/%s/", role, e.Name())
			}
		}
	}
}

// Every page the README and docs/ link to exists.
func TestDocLinksResolve(t *testing.T) {
	for _, page := range []string{"../README.md", "../docs/architecture.md", "../docs/failures.md", "../docs/deploy.md", "../docs/bench/tuning.md", "../docs/bench/history.md", "../docs/bench/tracing.md", "../docs/guide.md", "../docs/bench/README.md"} {
		text := readDoc(t, page)
		dir := page[:strings.LastIndex(page, "/")]
		for _, m := range regexp.MustCompile(`\]\(([^)#:]+\.(?:md|svg))\)`).FindAllStringSubmatch(text, -1) {
			if _, err := os.Stat(dir + "/" + m[1]); err != nil {
				t.Errorf("%s links to %s, which does not exist", page, m[1])
			}
		}
	}
}

// The table is the policy; docs/failures.md shows it to people. Every row
// must be there as the code has it.
func TestDocsShowEveryFailureMeaning(t *testing.T) {
	doc := readDoc(t, "../docs/failures.md")
	yesNo := map[bool]string{true: "yes", false: "no"}
	for _, m := range fault.Meanings {
		noEffect := yesNo[m.NoEffect]
		if m.Retryable && !m.NoEffect {
			noEffect = "unknown"
		}
		row := fmt.Sprintf("| `%s` | %d | `%s` | %s | %s | %s", m.Code, m.Status, m.ErrType, yesNo[m.Retryable], noEffect, yesNo[m.Event])
		if !strings.Contains(doc, row) {
			t.Errorf("docs/failures.md has no row for %s: want one containing\n%s", m.Code, row)
		}
	}
}

// The chain is the choreographed saga; docs/failures.md shows it to people.
// Every row must be there as the code has it.
func TestDocsShowTheChain(t *testing.T) {
	doc := readDoc(t, "../docs/failures.md")
	for _, r := range chain.Reactions {
		emits := make([]string, len(r.Emits))
		for i, e := range r.Emits {
			emits[i] = string(e)
		}
		row := fmt.Sprintf("| `%s` | %s | %s | %s | %s |", r.Event, r.Service, r.Op, r.Class, strings.Join(emits, ", "))
		if !strings.Contains(doc, row) {
			t.Errorf("docs/failures.md has no row\n%s", row)
		}
	}
}

// Every binary answers --help with its usage on stdout and exit 0,
// --version with its name and the build's version, and a flag it does not
// know with the error on stderr and exit 2.
func TestEveryBinaryHasHelp(t *testing.T) {
	product, err := os.ReadDir("../cmd")
	if err != nil {
		t.Fatal(err)
	}
	lab, err := os.ReadDir("../lab/cmd")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range append(product, lab...) {
		name := e.Name()
		t.Run(name, func(t *testing.T) {
			run := func(args ...string) (int, string, string) {
				var stdout, stderr bytes.Buffer
				cmd := exec.Command(filepath.Join(binDir, name), args...)
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				err := cmd.Run()
				var exit *exec.ExitError
				if err != nil && !errors.As(err, &exit) {
					t.Fatal(err)
				}
				return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
			}
			code, stdout, stderr := run("--help")
			if code != 0 || !strings.Contains(strings.ToLower(stdout), "usage") || stderr != "" {
				t.Errorf("--help: exit %d, stdout %q, stderr %q; want the usage on stdout and exit 0", code, stdout, stderr)
			}
			code, stdout, stderr = run("--version")
			if code != 0 || !strings.HasPrefix(stdout, name+" "+buildVersion+", go") || stderr != "" {
				t.Errorf("--version: exit %d, stdout %q, stderr %q; want %q and the Go version", code, stdout, stderr, name+" "+buildVersion)
			}
			code, stdout, stderr = run("--no-such-flag")
			if code != 2 || stdout != "" || !strings.Contains(stderr, "no-such-flag") {
				t.Errorf("--no-such-flag: exit %d, stdout %q, stderr %q; want exit 2 naming the flag on stderr", code, stdout, stderr)
			}
		})
	}
}

// recipe returns the "### title" section of docs/architecture.md's recipes.
func recipe(t *testing.T, title string) string {
	t.Helper()
	doc := readDoc(t, "../docs/architecture.md")
	start := strings.Index(doc, "### "+title+"\n")
	if start < 0 {
		t.Fatalf("docs/architecture.md has no recipe %q", title)
	}
	end := strings.Index(doc[start+4:], "\n#")
	if end < 0 {
		return doc[start:]
	}
	return doc[start : start+4+end]
}

// The recipes in docs/architecture.md are checklists held against the
// saga's table and the event registry: every path they name exists (for
// every service where they say <service>), "Add a step" names every field of
// a step, and every step, event and service of today's saga passes each
// item.
func TestRecipes(t *testing.T) {
	var services []string
	for _, st := range saga.Purchase.Steps {
		if !slices.Contains(services, st.Service) {
			services = append(services, st.Service)
		}
	}
	paths := regexp.MustCompile("`([a-z-]+(?:/[a-z<>.-]*)+|docker-compose.yml)`")
	for _, title := range []string{"Add a step", "Add an event", "Add a service"} {
		for _, m := range paths.FindAllStringSubmatch(recipe(t, title), -1) {
			named := []string{m[1]}
			if strings.Contains(m[1], "<service>") {
				named = named[:0]
				for _, svc := range services {
					named = append(named, strings.ReplaceAll(m[1], "<service>", svc))
				}
			}
			for _, p := range named {
				if _, err := os.Stat("../" + p); err != nil {
					t.Errorf("recipe %q names %s, which does not exist", title, p)
				}
			}
		}
	}

	step := recipe(t, "Add a step")
	for _, typ := range []reflect.Type{reflect.TypeFor[saga.Step](), reflect.TypeFor[saga.Undo]()} {
		for f := range typ.Fields() {
			if !strings.Contains(step, "`"+f.Name+"`") {
				t.Errorf("recipe \"Add a step\" does not name %s.%s", typ.Name(), f.Name)
			}
		}
	}
	// 1, 2: the row is well formed and its activities are implemented.
	if err := chain.Check(); err != nil {
		t.Error(err)
	}
	if _, err := saga.Implementations(activities.New(endpoints.Clients{})); err != nil {
		t.Error(err)
	}
	// 3: each service serves its steps' routes and has a handler for every
	// reaction the chain gives it.
	routes := map[string]web.Routes{"order": order.Service.Routes(nil, nil),
		"inventory": inventory.Service.Routes(&inventory.Store{}, nil), "payment": payment.Service.Routes(&payment.Store{}, nil)}
	wired := map[string]error{}
	_, wired["order"] = order.Service.Subscriptions(nil)
	_, wired["inventory"] = inventory.Service.Subscriptions(nil)
	_, wired["payment"] = payment.Service.Subscriptions(nil)
	shop := readDoc(t, "../workflows/purchase_test.go")
	failures := readDoc(t, "../docs/failures.md")
	for _, name := range saga.Purchase.Ops() {
		op, _ := saga.Purchase.OpNamed(name)
		if _, ok := routes[op.Service][op.Route]; !ok {
			t.Errorf("%s: the %s service has no route %s", name, op.Service, op.Route)
		}
	}
	for _, st := range saga.Purchase.Steps {
		if err := wired[st.Service]; err != nil {
			t.Errorf("%s: %v", st.Name, err)
		}
		// 5: tests and docs.
		if !strings.Contains(shop, "func (s *shop) "+st.Call.ActivityName()+"(") {
			t.Errorf("%s: the workflow tests' fake shop has no %s", st.Name, st.Call.ActivityName())
		}
		if !regexp.MustCompile(`(?m)^\| ` + st.Name + ` .*\| (\*\*)?` + string(st.Class) + `(\*\*)? \|`).MatchString(failures) {
			t.Errorf("%s: docs/failures.md's step classes table has no %s row for it", st.Name, st.Class)
		}
	}

	// Add an event: every type has its registry row, data, schema, topic
	// and row in docs/events.md.
	eventsDoc := readDoc(t, "../docs/events.md")
	for _, typ := range events.Types {
		if _, ok := typ.NewData(); !ok || typ.Wire() == string(typ) {
			t.Errorf("%s has no registry row", typ)
		}
		if _, err := os.Stat("../contracts/events/" + typ.Wire() + ".json"); err != nil {
			t.Errorf("%s has no JSON Schema: %v", typ, err)
		}
		if typ.Topic() == "" {
			t.Errorf("%s: no step of the saga publishes it, so it has no topic", typ)
		}
		if !strings.Contains(eventsDoc, "| `"+string(typ)+"` |") {
			t.Errorf("docs/events.md has no row for %s", typ)
		}
	}

	// Add a service: its topic and its place in compose.
	compose := readDoc(t, "../docker-compose.yml")
	for _, svc := range services {
		if !slices.Contains(events.Topics, svc+".events") {
			t.Errorf("service %s has no topic %s.events", svc, svc)
		}
		if !strings.Contains(compose, "\n  "+svc+":") {
			t.Errorf("docker-compose.yml has no service %s", svc)
		}
	}
}
