package events

import (
	"encoding/json"
)

// How events look on the wire, to any CloudEvents consumer: the Kafka
// binding's structured mode (the whole event as JSON in the value, said by
// the content-type header), versioned reverse-DNS types, and a dataschema
// that points to each type's JSON Schema in contracts/events/. In code a
// type keeps its short name (OrderCreated), which logs and spans show.
//
// Compatibility (docs/events.md#compatibility): a type's data only grows,
// by optional fields. A change a consumer could trip on (a field removed,
// renamed or retyped, a meaning changed) is a new type, .v2, published
// beside .v1 until every consumer reads .v2.

// schemaBase is where the JSON Schemas of the events' data are published:
// contracts/events/ of the repository.
const schemaBase = "https://raw.githubusercontent.com/sagaforge/saga/main/contracts/events/"

// byWire reads a CloudEvents type back; the bare names are the types as
// published before they were versioned, so that a topic's older events
// still decode.
var byWire = func() map[string]Type {
	m := map[string]Type{}
	for _, r := range registry {
		m[r.wire], m[string(r.typ)] = r.typ, r.typ
	}
	return m
}()

// Wire is t's CloudEvents type; a type this code does not know is itself.
func (t Type) Wire() string {
	if r, ok := rows[t]; ok {
		return r.wire
	}
	return string(t)
}

// Schema is the dataschema of t's events: the URL of its JSON Schema.
func (t Type) Schema() string {
	if r, ok := rows[t]; ok {
		return schemaBase + r.wire + ".json"
	}
	return ""
}

// ParseType reads a CloudEvents type ("io.sagaforge.order.created.v1") as
// the code names it (OrderCreated); one it does not know stays as it came.
func ParseType(wire string) Type { return typeOf(wire) }

// typeOf reads a CloudEvents type; one it does not know stays as it came.
func typeOf(wire string) Type {
	if t, ok := byWire[wire]; ok {
		return t
	}
	return Type(wire)
}

// wireEnvelope is an Envelope as JSON: the type by its CloudEvents name.
type wireEnvelope struct {
	plainEnvelope
	Type string `json:"type"`
}

type plainEnvelope Envelope

// MarshalJSON writes e with its CloudEvents type.
func (e Envelope) MarshalJSON() ([]byte, error) {
	return json.Marshal(wireEnvelope{plainEnvelope(e), e.Type.Wire()})
}

// UnmarshalJSON reads an envelope with a CloudEvents type (or a bare one).
func (e *Envelope) UnmarshalJSON(b []byte) error {
	var w wireEnvelope
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*e = Envelope(w.plainEnvelope)
	e.Type = typeOf(w.Type)
	return nil
}
