package events

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// The chain is the choreographed saga; docs/failures.md shows it to people.
// Every row must be there as the code has it.
func TestDocsShowTheChain(t *testing.T) {
	doc, err := os.ReadFile("../../docs/failures.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Chain {
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

// Every event a reaction may emit is published on the topic TopicOf says,
// by the service that reacts; and each service reacts to an event once.
func TestChainIsConsistent(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Chain {
		key := r.Service + "/" + string(r.Event)
		if seen[key] {
			t.Errorf("%s reacts to %s twice", r.Service, r.Event)
		}
		seen[key] = true
		for _, e := range r.Emits {
			if TopicName(TopicOf(e)) != r.Service {
				t.Errorf("%s emits %s, which goes to %s", r.Service, e, TopicOf(e))
			}
		}
	}
}
