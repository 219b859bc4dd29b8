package integration

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/cloudevents/sdk-go/v2/binding/format"
	"github.com/segmentio/kafka-go"

	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/messaging/kafkaio"
)

// kafkaMessage reads a Kafka message as the CloudEvents Kafka binding
// does: a content-type of a CloudEvents format means structured mode, the
// whole event in the value. Anything else is not an event it can read.
type kafkaMessage struct{ m kafka.Message }

func (k kafkaMessage) contentType() string {
	for _, h := range k.m.Headers {
		if strings.EqualFold(h.Key, "content-type") {
			return string(h.Value)
		}
	}
	return ""
}

func (k kafkaMessage) ReadEncoding() binding.Encoding {
	if format.Lookup(k.contentType()) != nil {
		return binding.EncodingStructured
	}
	return binding.EncodingUnknown
}

func (k kafkaMessage) ReadStructured(ctx context.Context, w binding.StructuredWriter) error {
	f := format.Lookup(k.contentType())
	if f == nil {
		return binding.ErrNotStructured
	}
	return w.SetStructuredEvent(ctx, f, bytes.NewReader(k.m.Value))
}

func (k kafkaMessage) ReadBinary(context.Context, binding.BinaryWriter) error {
	return binding.ErrNotBinary
}

func (k kafkaMessage) Finish(error) error { return nil }

// Every event a saga publishes is a CloudEvent that the CloudEvents Go SDK
// reads off Kafka as it comes: structured mode by its content-type, a
// versioned reverse-DNS type, a dataschema, the order as subject, and data
// that decodes into the type's own struct.
func TestCloudEventsSDKReadsThePublishedEvents(t *testing.T) {
	s := startStack(t)
	rep := buy(t, s, "--mode", "choreography", "--customer", "alice", "--item", "SKU-1:2")
	waitForEvents(t, s, rep.OrderID, "OrderCreated StockReserved PaymentCaptured OrderApproved StockShipped")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var got []string
	for _, topic := range []string{events.TopicOrder, events.TopicInventory, events.TopicPayment} {
		msgs, err := kafkaio.ReadTopic(ctx, []string{s.BrokerAddr()}, topic)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if string(m.Key) != rep.OrderID {
				continue
			}
			ev, err := binding.ToEvent(ctx, kafkaMessage{m})
			if err != nil {
				t.Fatalf("%s@%d: the SDK cannot read it: %v", topic, m.Offset, err)
			}
			if err := ev.Validate(); err != nil {
				t.Errorf("%s: not a valid CloudEvent: %v", ev.Type(), err)
			}
			if !strings.HasPrefix(ev.Type(), "io.sagaforge.") || !strings.HasSuffix(ev.Type(), ".v1") ||
				ev.DataSchema() != "https://raw.githubusercontent.com/sagaforge/saga/main/contracts/events/"+ev.Type()+".json" || ev.Subject() != rep.OrderID ||
				ev.Extensions()["sagamode"] != "choreography" || ev.DataContentType() != "application/json" {
				t.Errorf("%s: attributes %s", ev.Type(), ev.String())
			}
			got = append(got, ev.Type())
			if ev.Type() == events.OrderCreated.Wire() {
				var data events.OrderCreatedData
				if err := ev.DataAs(&data); err != nil || data.CustomerID != "alice" || len(data.Items) != 1 || data.Items[0].Quantity != 2 {
					t.Errorf("OrderCreated data %+v (%v)", data, err)
				}
			}
		}
	}
	want := "io.sagaforge.order.created.v1 io.sagaforge.order.approved.v1 io.sagaforge.inventory.stock_reserved.v1 io.sagaforge.inventory.stock_shipped.v1 io.sagaforge.payment.captured.v1"
	if strings.Join(got, " ") != want {
		t.Fatalf("the SDK read %v, want %s", got, want)
	}
}

// kcat, as the README shows it, sees the binding's content-type header.
func TestKcatSeesTheCloudEventsContentType(t *testing.T) {
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		t.Skip("needs kcat (Debian package kcat; .ci/run installs it)")
	}
	s := startStack(t)
	buy(t, s, "--customer", "alice", "--item", "SKU-1:1")
	out, err := exec.Command(kcat, "-C", "-b", s.BrokerAddr(), "-t", events.TopicOrder, "-o", "beginning", "-e", "-q", "-f", "%h\n").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "content-type=application/cloudevents+json") {
		t.Fatalf("kcat: %v\n%s", err, out)
	}
}
