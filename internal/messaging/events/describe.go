package events

import (
	"encoding/json"

	"github.com/sagaforge/saga/internal/platform/input"
)

// Describe says in a few words what an event reports, for timelines; an
// event it cannot read is shown as its data.
func (e Envelope) Describe() string {
	d, ok := e.Type.NewData()
	if ok && json.Unmarshal(e.Data, d) == nil {
		if say, ok := d.(interface{ describe() string }); ok {
			return say.describe()
		}
	}
	return string(e.Data)
}

func lines(items []input.Item) string { return input.Describe(items) }
