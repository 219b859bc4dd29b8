package integration

// The docs show people what the code holds; these tests keep them equal.

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/sagaforge/saga/messaging/events"
	"github.com/sagaforge/saga/platform/fault"
)

// Every page the README and docs/ link to exists.
func TestDocLinksResolve(t *testing.T) {
	for _, page := range []string{"../README.md", "../docs/architecture.md", "../docs/failures.md", "../docs/deploy.md", "../docs/bench/tuning.md", "../docs/bench/history.md", "../docs/bench/tracing.md"} {
		text, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		dir := page[:strings.LastIndex(page, "/")]
		for _, m := range regexp.MustCompile(`\]\(([^)#:]+\.(?:md|svg))\)`).FindAllStringSubmatch(string(text), -1) {
			if _, err := os.Stat(dir + "/" + m[1]); err != nil {
				t.Errorf("%s links to %s, which does not exist", page, m[1])
			}
		}
	}
}

// The table is the policy; docs/failures.md shows it to people. Every row
// must be there as the code has it.
func TestDocsShowEveryFailureMeaning(t *testing.T) {
	doc, err := os.ReadFile("../docs/failures.md")
	if err != nil {
		t.Fatal(err)
	}
	yesNo := map[bool]string{true: "yes", false: "no"}
	for _, m := range fault.Meanings {
		noEffect := yesNo[m.NoEffect]
		if m.Retryable {
			noEffect = "unknown"
		}
		row := fmt.Sprintf("| `%s` | %d | `%s` | %s | %s | %s", m.Code, m.Status, m.ErrType, yesNo[m.Retryable], noEffect, yesNo[m.Event])
		if !strings.Contains(string(doc), row) {
			t.Errorf("docs/failures.md has no row for %s: want one containing\n%s", m.Code, row)
		}
	}
}

// The chain is the choreographed saga; docs/failures.md shows it to people.
// Every row must be there as the code has it.
func TestDocsShowTheChain(t *testing.T) {
	doc, err := os.ReadFile("../docs/failures.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range events.Chain {
		emits := make([]string, len(r.Emits))
		for i, e := range r.Emits {
			emits[i] = string(e)
		}
		row := fmt.Sprintf("| `%s` | %s | %s | %s | %s |", r.Event, r.Service, r.Op, r.Class, strings.Join(emits, ", "))
		if !strings.Contains(string(doc), row) {
			t.Errorf("docs/failures.md has no row\n%s", row)
		}
	}
}
