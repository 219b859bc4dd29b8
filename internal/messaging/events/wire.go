package events

import (
	"encoding/json"

	"github.com/segmentio/kafka-go"
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

// ContentType is the content-type header of every event message.
const ContentType = "application/cloudevents+json; charset=UTF-8"

// SchemaBase is where the JSON Schemas of the events' data are published:
// contracts/events/ of the repository.
const SchemaBase = "https://raw.githubusercontent.com/sagaforge/saga/main/contracts/events/"

// wireTypes is each type's CloudEvents type.
var wireTypes = func() map[Type]string {
	m := map[Type]string{}
	for _, r := range registry {
		m[r.Type] = r.Wire
	}
	return m
}()

// byWire reads a CloudEvents type back; the bare names are the types as
// published before they were versioned, so that a topic's older events
// still decode.
var byWire = func() map[string]Type {
	m := map[string]Type{}
	for t, w := range wireTypes {
		m[w], m[string(t)] = t, t
	}
	return m
}()

// Wire is t's CloudEvents type; a type this code does not know is itself.
func (t Type) Wire() string {
	if w, ok := wireTypes[t]; ok {
		return w
	}
	return string(t)
}

// Schema is the dataschema of t's events: the URL of its JSON Schema.
func (t Type) Schema() string {
	if w, ok := wireTypes[t]; ok {
		return SchemaBase + w + ".json"
	}
	return ""
}

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

// MessageHeaders are the headers of a message that carries an encoded
// envelope: the binding's content-type.
func MessageHeaders() []kafka.Header {
	return []kafka.Header{{Key: "content-type", Value: []byte(ContentType)}}
}
