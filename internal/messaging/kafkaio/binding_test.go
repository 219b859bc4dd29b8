package kafkaio

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/saga"
)

// Keys go where Kafka's default partitioner puts them: the hashes are
// the cases of Kafka's own UtilsTest.testMurmur2, and Java takes
// toPositive(hash) % partitions.
func TestKeysGoWhereKafkasDefaultPartitionerPutsThem(t *testing.T) {
	javaMurmur2 := map[string]int32{
		"21":                         -973932308,
		"foobar":                     -790332482,
		"a-little-bit-long-string":   -985981536,
		"a-little-bit-longer-string": -1486304829,
		"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
		"abc": 479470107,
	}
	for _, n := range []int{1, 3, 6, 7} {
		parts := make([]int, n)
		for i := range parts {
			parts[i] = i
		}
		for key, hash := range javaMurmur2 {
			want := int(uint32(hash)&0x7fffffff) % n
			if got := balancer.Balance(kafka.Message{Key: []byte(key)}, parts...); got != want {
				t.Errorf("key %q over %d partitions: partition %d, Kafka's partitioner gives %d", key, n, got, want)
			}
		}
	}
}

// A binary-mode event (attributes in ce_ headers, data alone in the
// value) decodes to the same envelope as its structured-mode message.
func TestBothModesOfTheBindingDecodeToOneEnvelope(t *testing.T) {
	e := events.New(events.Source("inventory"), events.StockRejected, "order-7", saga.Choreography,
		events.StockRejectedData{OrderID: "order-7", Reason: "SKU-OUT"}, time.Date(2026, 12, 6, 10, 0, 0, 123456789, time.UTC))
	structured, err := Message(e)
	if err != nil {
		t.Fatal(err)
	}
	binary := kafka.Message{Topic: e.Topic(), Key: []byte(e.Subject), Value: e.Data, Headers: []kafka.Header{
		{Key: "ce_specversion", Value: []byte("1.0")}, {Key: "ce_id", Value: []byte(e.ID)},
		{Key: "ce_type", Value: []byte(e.Type.Wire())}, {Key: "ce_source", Value: []byte(e.Source)},
		{Key: "ce_subject", Value: []byte(e.Subject)}, {Key: "ce_time", Value: []byte(e.Time.Format(time.RFC3339Nano))},
		{Key: "ce_dataschema", Value: []byte(e.DataSchema)}, {Key: "ce_sagamode", Value: []byte("choreography")},
		{Key: "content-type", Value: []byte("application/json")}, {Key: "traceparent", Value: []byte("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")},
	}}
	if IsBinary(structured) || !IsBinary(binary) {
		t.Fatalf("IsBinary: structured %v, binary %v", IsBinary(structured), IsBinary(binary))
	}
	fromStructured, err := Decode(structured)
	if err != nil {
		t.Fatal(err)
	}
	fromBinary, err := Decode(binary)
	if err != nil {
		t.Fatalf("binary mode: %v", err)
	}
	if !reflect.DeepEqual(fromStructured, fromBinary) {
		t.Fatalf("binary mode decodes to\n%+v\nstructured to\n%+v", fromBinary, fromStructured)
	}
	var data events.StockRejectedData
	if err := json.Unmarshal(fromBinary.Data, &data); err != nil || data.Reason != "SKU-OUT" || fromBinary.Type != events.StockRejected {
		t.Fatalf("data %+v (%v), type %s", data, err, fromBinary.Type)
	}
}

// What a binary-mode event lacks is refused with the reason, as in
// structured mode.
func TestABinaryModeEventMissingWhatItNeedsIsRefused(t *testing.T) {
	base := func() []kafka.Header {
		return []kafka.Header{{Key: "ce_specversion", Value: []byte("1.0")}, {Key: "ce_id", Value: []byte("1")},
			{Key: "ce_type", Value: []byte("io.sagaforge.inventory.stock_rejected.v1")}, {Key: "ce_source", Value: []byte("/x")},
			{Key: "ce_subject", Value: []byte("order-1")}}
	}
	for name, tc := range map[string]struct {
		headers []kafka.Header
		value   string
		want    string
	}{
		"no id":       {headers: slicesDelete(base(), 1), value: `{}`, want: "required"},
		"not JSON":    {headers: base(), value: `<xml/>`, want: "not JSON"},
		"XML content": {headers: append(base(), kafka.Header{Key: "content-type", Value: []byte("application/xml")}), value: `{}`, want: "want JSON"},
		"spec 0.3":    {headers: append([]kafka.Header{{Key: "ce_specversion", Value: []byte("0.3")}}, base()[1:]...), value: `{}`, want: "specversion"},
		"bad time":    {headers: append(base(), kafka.Header{Key: "ce_time", Value: []byte("yesterday")}), value: `{}`, want: "decode event"},
	} {
		_, err := Decode(kafka.Message{Value: []byte(tc.value), Headers: tc.headers})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want one saying %q", name, err, tc.want)
		}
	}
}

func slicesDelete(h []kafka.Header, i int) []kafka.Header { return append(h[:i], h[i+1:]...) }
