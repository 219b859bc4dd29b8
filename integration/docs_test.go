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
	"regexp"
	"strings"
	"testing"

	"github.com/sagaforge/saga/messaging/events"
	"github.com/sagaforge/saga/platform/fault"
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
	for _, role := range []string{"saga", "services", "messaging", "platform", "ops"} {
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
	for _, page := range []string{"../README.md", "../docs/architecture.md", "../docs/failures.md", "../docs/deploy.md", "../docs/bench/tuning.md", "../docs/bench/history.md", "../docs/bench/tracing.md"} {
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
		if m.Retryable {
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
	for _, r := range events.Chain {
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

// Every binary answers --help with its usage on stdout and exit 0, and a
// flag it does not know with the error on stderr and exit 2.
func TestEveryBinaryHasHelp(t *testing.T) {
	entries, err := os.ReadDir("../cmd")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
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
			code, stdout, stderr = run("--no-such-flag")
			if code != 2 || stdout != "" || !strings.Contains(stderr, "no-such-flag") {
				t.Errorf("--no-such-flag: exit %d, stdout %q, stderr %q; want exit 2 naming the flag on stderr", code, stdout, stderr)
			}
		})
	}
}
