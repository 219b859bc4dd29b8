package events

import (
	"encoding/json"
	"strings"

	"github.com/sagaforge/saga/internal/platform/input"
)

// Data is a new value of the data type of events of type t, to decode
// into; false for a type this package does not know.
func Data(t Type) (any, bool) {
	newData, ok := dataTypes[t]
	if !ok {
		return nil, false
	}
	return newData(), true
}

// dataTypes makes the data of each event type.
var dataTypes = func() map[Type]func() any {
	m := map[Type]func() any{}
	for _, r := range registry {
		m[r.Type] = r.Data
	}
	return m
}()

// Describe says in a few words what an event reports, for timelines; an
// event it cannot read is shown as its data.
func Describe(e Envelope) string {
	d, ok := Data(e.Type)
	if ok && json.Unmarshal(e.Data, d) == nil {
		if say, ok := d.(interface{ describe() string }); ok {
			return say.describe()
		}
	}
	return string(e.Data)
}

func lines(items []Line) string { return input.Describe(items) }

// Service is the short name of the service that published e.
func Service(e Envelope) string {
	return strings.TrimPrefix(e.Source, "/sagaforge/")
}
