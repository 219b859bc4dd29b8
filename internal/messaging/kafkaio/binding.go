package kafkaio

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/segmentio/kafka-go"

	"github.com/sagaforge/saga/internal/messaging/events"
)

// The CloudEvents Kafka protocol binding has two modes, and a consumer
// SHOULD accept both. The saga publishes structured mode (Message); a
// producer in another language may well publish binary mode: the
// attributes as ce_ headers, datacontenttype as the content-type header,
// and the data alone as the value.

// binaryPrefix starts every attribute header of a binary-mode event.
const binaryPrefix = "ce_"

// Decode reads the event m carries, in either mode of the binding.
func Decode(m kafka.Message) (events.Envelope, error) {
	if IsBinary(m) {
		return decodeBinary(m)
	}
	return events.Decode(m.Value)
}

// IsBinary tells whether m is a binary-mode event, which carries its
// attributes outside its value.
func IsBinary(m kafka.Message) bool {
	return Headers{Msg: &m}.Get(binaryPrefix+"specversion") != "" && !strings.HasPrefix(Headers{Msg: &m}.Get("content-type"), "application/cloudevents")
}

func decodeBinary(m kafka.Message) (events.Envelope, error) {
	attrs := map[string]string{}
	for _, h := range m.Headers {
		if name, ok := strings.CutPrefix(strings.ToLower(h.Key), binaryPrefix); ok {
			attrs[name] = string(h.Value)
		}
	}
	if ct := (Headers{Msg: &m}).Get("content-type"); ct != "" && !strings.Contains(ct, "json") {
		return events.Envelope{}, fmt.Errorf("decode binary-mode event: datacontenttype %q, want JSON", ct)
	}
	if !json.Valid(m.Value) {
		return events.Envelope{}, errors.New("decode binary-mode event: data is not JSON")
	}
	// The attributes, with the data, make the structured mode's event,
	// and its decoder checks what every event must have.
	structured := make(map[string]any, len(attrs)+2)
	for k, v := range attrs {
		structured[k] = v
	}
	structured["datacontenttype"] = "application/json"
	structured["data"] = json.RawMessage(m.Value)
	raw, err := json.Marshal(structured)
	if err != nil {
		return events.Envelope{}, fmt.Errorf("decode binary-mode event: %w", err)
	}
	e, err := events.Decode(raw)
	if err != nil {
		return events.Envelope{}, fmt.Errorf("binary mode: %w", err)
	}
	return e, nil
}
