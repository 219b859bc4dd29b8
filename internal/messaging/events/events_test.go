package events

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/saga"
)

func TestEnvelopeRoundTripsWithCloudEventsNames(t *testing.T) {
	e := New(Source("payment"), PaymentCaptured, "o-1", saga.Choreography, PaymentCapturedData{OrderID: "o-1", CustomerID: "alice", AmountCents: 9980}, time.Now())
	raw, attrs := onTheWire(t, e)
	for _, k := range []string{"specversion", "id", "type", "source", "subject", "time", "datacontenttype", "sagamode", "data"} {
		if _, ok := attrs[k]; !ok {
			t.Errorf("envelope lacks %q: %s", k, raw)
		}
	}
	back, err := Decode(raw)
	if err != nil || back.ID != e.ID || back.Topic() != TopicPayment || back.SagaMode != saga.Choreography {
		t.Fatalf("decoded %+v, %v", back, err)
	}
	if got := back.Describe(); got != "captured 99.80 from alice" {
		t.Fatalf("Describe = %q", got)
	}
}

// onTheWire marshals e and reads it back as JSON attributes.
func onTheWire(t *testing.T, e Envelope) ([]byte, map[string]any) {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var attrs map[string]any
	if err := json.Unmarshal(b, &attrs); err != nil {
		t.Fatal(err)
	}
	return b, attrs
}

func TestDecodeRefusesWhatIsNotAnEvent(t *testing.T) {
	for _, raw := range []string{``, `null`, `[]`, `{}`, `{"specversion":"0.3","id":"1","type":"T","source":"s","subject":"o"}`,
		`{"specversion":"1.0","type":"T","source":"s","subject":"o"}`, `{"specversion":"1.0","id":"1","type":"T","source":"s"}`} {
		if _, err := Decode([]byte(raw)); err == nil {
			t.Errorf("Decode(%q) accepted it", raw)
		}
	}
}

// On the wire a type is its versioned CloudEvents type with a dataschema;
// the bare names of the events published before versions still decode,
// and a type this code does not know passes through for consumers to
// ignore.
func TestEnvelopesCarryVersionedTypes(t *testing.T) {
	e := New(Source("inventory"), StockReserved, "o-1", saga.Choreography, StockReservedData{OrderID: "o-1"}, time.Now())
	b, raw := onTheWire(t, e)
	if raw["type"] != "io.sagaforge.inventory.stock_reserved.v1" ||
		raw["dataschema"] != schemaBase+"io.sagaforge.inventory.stock_reserved.v1.json" {
		t.Fatalf("on the wire: %s", b)
	}
	back, err := Decode(b)
	if err != nil || back.Type != StockReserved || back.DataSchema != e.DataSchema {
		t.Fatalf("decoded %+v (%v)", back, err)
	}
	for wire, want := range map[string]Type{
		"io.sagaforge.order.created.v1": OrderCreated,
		"OrderCreated":                  OrderCreated, // before versions
		"io.sagaforge.order.created.v2": "io.sagaforge.order.created.v2",
	} {
		got, err := Decode([]byte(`{"specversion":"1.0","id":"1","type":"` + wire + `","source":"/x","subject":"o-1","data":{}}`))
		if err != nil || got.Type != want {
			t.Errorf("type %q decoded as %q (%v), want %q", wire, got.Type, err, want)
		}
	}
	for _, typ := range Types {
		if typ.Wire() == string(typ) || typ.Schema() == "" {
			t.Errorf("%s has no versioned type or schema", typ)
		}
	}
}

func TestDescribeSaysWhatEachEventReports(t *testing.T) {
	items := []input.Item{{SKU: "SKU-1", Quantity: 2}}
	for _, tc := range []struct {
		typ  Type
		data any
		want string
	}{
		{OrderCreated, OrderCreatedData{CustomerID: "alice", Items: items, TotalCents: 9980}, "alice orders 2 x SKU-1, total 99.80"},
		{OrderApproved, OrderApprovedData{}, "approved"},
		{OrderCancelled, OrderCancelledData{Reason: "declined"}, "cancelled: declined"},
		{OrderCancelled, OrderCancelledData{Reason: "declined", Tombstone: true}, "cancelled before it was created: declined"},
		{StockReserved, StockReservedData{Items: items}, "reserved 2 x SKU-1"},
		{StockRejected, StockRejectedData{Reason: "short"}, "rejected: short"},
		{StockReleased, StockReleasedData{Items: items}, "released 2 x SKU-1"},
		{StockReleased, StockReleasedData{Voided: true}, "nothing was reserved; tombstone left"},
		{PaymentDeclined, PaymentDeclinedData{Reason: "poor"}, "declined: poor"},
		{PaymentRefunded, PaymentRefundedData{CustomerID: "bob", AmountCents: 100}, "refunded 1.00 to bob"},
		{PaymentRefunded, PaymentRefundedData{Voided: true}, "nothing was charged; tombstone left"},
	} {
		if got := New(Source("order"), tc.typ, "o-1", saga.Choreography, tc.data, time.Now()).Describe(); got != tc.want {
			t.Errorf("%s: Describe = %q, want %q", tc.typ, got, tc.want)
		}
	}
	for _, typ := range Types {
		d, ok := typ.NewData()
		if !ok || typ.Topic() == "" {
			t.Errorf("%s has no data type or no topic", typ)
			continue
		}
		// The registry keys each data type to one event type, which is how
		// a consumer's handler finds its event (consumer.On).
		if back, _ := typeOfData(reflect.TypeOf(d).Elem()); back != typ {
			t.Errorf("the data of %s, %T, is the data of %s", typ, d, back)
		}
	}
}

// A type that is no event's data has no event type.
func TestTypeForKnowsOnlyEventData(t *testing.T) {
	if typ, ok := TypeFor[Envelope](); ok {
		t.Fatalf("TypeFor[Envelope] = %s", typ)
	}
}
