package events

import (
	"testing"
)

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
