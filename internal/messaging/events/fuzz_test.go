package events_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/platform/money"
	"github.com/sagaforge/saga/internal/saga"
)

// FuzzDecode feeds arbitrary bytes to the envelope decoder every consumer
// runs first, and the description the starter prints. Neither may panic; an
// envelope that decodes has its required attributes and survives a round
// trip unchanged, so a relayed event means what it meant.
func FuzzDecode(f *testing.F) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for _, e := range []events.Envelope{
		events.New(events.Source("order"), events.OrderCreated, "o-1", saga.Choreography, events.OrderCreatedData{
			OrderID: "o-1", CustomerID: "alice", TotalCents: 9980, Items: []input.Item{{SKU: "SKU-1", Quantity: 2}}}, now),
		events.New(events.Source("inventory"), events.StockRejected, "o-2", saga.Orchestration, events.StockRejectedData{OrderID: "o-2", Reason: "out of stock"}, now),
		events.New(events.Source("payment"), events.PaymentCaptured, "o-3", saga.Choreography, events.PaymentCapturedData{OrderID: "o-3", CustomerID: "bob", AmountCents: money.Cents(100)}, now),
	} {
		b, err := json.Marshal(e)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{`{}`, `{"specversion":"1.0"}`, `{"specversion":"1.0","id":"x","type":"OrderCreated","source":"s","subject":"o","data":null}`,
		`{"specversion":"1.0","id":"x","type":"OrderCreated","source":"s","subject":"o","data":{"items":"no"}}`, `null`, `[`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := events.Decode(b)
		if err != nil {
			return
		}
		if e.ID == "" || e.Type == "" || e.Source == "" || e.Subject == "" || e.SpecVersion != "1.0" {
			t.Fatalf("decoded an envelope without its required attributes: %+v", e)
		}
		_ = e.Describe()
		again, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("re-encode %+v: %v", e, err)
		}
		back, err := events.Decode(again)
		if err != nil {
			t.Fatalf("re-decode %s: %v", again, err)
		}
		if !reflect.DeepEqual(normal(e), normal(back)) {
			t.Fatalf("round trip changed the event:\n%+v\n%+v", e, back)
		}
	})
}

// normal compacts the raw data, whose whitespace is not part of the event;
// absent data encodes as null.
func normal(e events.Envelope) events.Envelope {
	var v any
	if len(e.Data) == 0 {
		e.Data = json.RawMessage("null")
	} else if json.Unmarshal(e.Data, &v) == nil {
		e.Data, _ = json.Marshal(v)
	}
	return e
}
