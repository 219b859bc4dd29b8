package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/cloudevents/sdk-go/v2/binding/format"
	"github.com/segmentio/kafka-go"

	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/messaging/kafkaio"
	"github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/internal/services/order/orderapi"
	"github.com/sagaforge/saga/lab/stack"
	"github.com/sagaforge/saga/lab/stack/stacktest"
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
		msgs, err := kafkaio.ReadTopic(ctx, kafkaio.Plain(s.BrokerAddr()), topic)
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

// eventsOf reads an order's events through `starter events`, in the order
// they happened.
func eventsOf(t *testing.T, s *stack.Stack, orderID string) []events.Envelope {
	t.Helper()
	code, stdout, stderr := runStarter(t, s, "events", "--order", orderID, "-o", "jsonl")
	if code != 0 {
		t.Fatalf("starter events: exit %d: %s", code, stderr)
	}
	var out []events.Envelope
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if line == "" {
			continue
		}
		e, err := events.Decode([]byte(line))
		if err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		out = append(out, e)
	}
	return out
}

func typesOf(evs []events.Envelope) string {
	types := make([]string, len(evs))
	for i, e := range evs {
		types[i] = string(e.Type)
	}
	return strings.Join(types, " ")
}

// waitForEvents waits until the order's event sequence is want; publication
// trails the commit by a few milliseconds.
func waitForEvents(t *testing.T, s *stack.Stack, orderID, want string) []events.Envelope {
	t.Helper()
	var got []events.Envelope
	stacktest.WaitFor(t, 20*time.Second, "events "+want+" of "+orderID+" (last seen: "+typesOf(got)+")", func() bool {
		got = eventsOf(t, s, orderID)
		return typesOf(got) == want || len(got) > len(strings.Fields(want))
	})
	if typesOf(got) != want {
		t.Fatalf("events of %s:\n got %s\nwant %s", orderID, typesOf(got), want)
	}
	return got
}

func TestOrchestratedPurchasesPublishExactlyTheirEvents(t *testing.T) {
	s := startStack(t)
	approved := buy(t, s, "--customer", "alice", "--item", "SKU-1:2")
	outOfStock := buy(t, s, "--customer", "alice", "--item", "SKU-OUT:1")
	declined := buy(t, s, "--customer", "bob", "--item", "SKU-2:1")

	for _, tc := range []struct {
		orderID, want string
	}{
		{approved.OrderID, "OrderCreated StockReserved PaymentCaptured OrderApproved StockShipped"},
		{outOfStock.OrderID, "OrderCreated StockRejected OrderCancelled"},
		{declined.OrderID, "OrderCreated StockReserved PaymentDeclined StockReleased OrderCancelled"},
	} {
		evs := waitForEvents(t, s, tc.orderID, tc.want)
		for _, e := range evs {
			if e.Subject != tc.orderID || e.SagaMode != saga.Orchestration || e.Topic() != topicOf(e.Type) {
				t.Fatalf("event %s of %s: subject %q, mode %q, source %q", e.Type, tc.orderID, e.Subject, e.SagaMode, e.Source)
			}
		}
	}
	// The payload carries what a consumer needs without calling back.
	var created events.OrderCreatedData
	evs := eventsOf(t, s, approved.OrderID)
	if err := json.Unmarshal(evs[0].Data, &created); err != nil || created.TotalCents != approved.TotalCents || created.CustomerID != "alice" {
		t.Fatalf("OrderCreated data %+v (%v), want alice's order of %s", created, err, approved.TotalCents)
	}
}

func topicOf(typ events.Type) string {
	switch {
	case strings.HasPrefix(string(typ), "Order"):
		return events.TopicOrder
	case strings.HasPrefix(string(typ), "Stock"):
		return events.TopicInventory
	}
	return events.TopicPayment
}

func TestEventCommittedBeforeACrashIsPublishedAfterRestart(t *testing.T) {
	s := startStack(t)
	ctx := context.Background()
	if err := s.Kill("broker"); err != nil {
		t.Fatal(err)
	}
	// The order commits (and its event with it) while nothing can publish...
	orders := orderapi.NewClient(s.OrderURL(), nil, "")
	if _, err := orders.Create(ctx, orderapi.CreateOrderRequest{OrderID: "crash-1", CustomerID: "alice",
		Items: []input.Item{{SKU: "SKU-1", Quantity: 1}}}); err != nil {
		t.Fatal(err)
	}
	// ...and the service dies before its relay gets the chance.
	if err := s.Kill("order"); err != nil {
		t.Fatal(err)
	}
	if err := s.Restart(ctx, "broker"); err != nil {
		t.Fatal(err)
	}
	if err := s.Restart(ctx, "order"); err != nil {
		t.Fatal(err)
	}
	evs := waitForEvents(t, s, "crash-1", "OrderCreated")
	if evs[0].Subject != "crash-1" {
		t.Fatalf("event %+v", evs[0])
	}
}

// A producer in another language keys by order ID and leaves partitioning
// to its client's default, murmur2; it publishes in the binding's binary
// mode. kcat (librdkafka) is that producer here: its binary-mode
// PaymentDeclined for a choreographed purchase lands on the partition of
// the order's own events, inventory handles it by releasing the stock,
// and the purchase ends CANCELLED and consistent.
func TestKcatsBinaryModeEventOnTheMurmur2PartitionIsHandled(t *testing.T) {
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		t.Skip("needs kcat (Debian package kcat; .ci/run installs it)")
	}
	const orderID = "binary-mode-1"
	s := startStack(t)
	c := clientsOf(s)
	ctx := context.Background()
	ends, err := kafkaio.Ends(ctx, kafkaio.Plain(s.BrokerAddr()), []string{events.TopicPayment})
	if err != nil {
		t.Fatal(err)
	}
	var parts []int
	for tp := range ends {
		parts = append(parts, tp.Partition)
	}
	slices.Sort(parts)
	key := kafka.Message{Key: []byte(orderID)}
	murmur2 := kafka.Murmur2Balancer{}.Balance(key, parts...)
	if fnv := (&kafka.Hash{}).Balance(key, parts...); fnv == murmur2 {
		t.Fatalf("pick an order ID that FNV-1a and murmur2 put on different partitions of %d (both give %d)", len(parts), fnv)
	}
	waitingForPayment(t, s, orderID, "SKU-2:1")

	data, _ := json.Marshal(events.PaymentDeclinedData{OrderID: orderID, CustomerID: "alice", AmountCents: 19900, Reason: "card declined (kcat, binary mode)"})
	produce := exec.Command(kcat, "-P", "-b", s.BrokerAddr(), "-t", events.TopicPayment, "-k", orderID, "-X", "topic.partitioner=murmur2",
		"-H", "ce_specversion=1.0", "-H", "ce_id=kcat-"+orderID, "-H", "ce_type="+events.PaymentDeclined.Wire(),
		"-H", "ce_source=/kcat", "-H", "ce_subject="+orderID, "-H", "ce_time="+time.Now().UTC().Format(time.RFC3339Nano),
		"-H", "ce_sagamode=choreography", "-H", "content-type=application/json")
	produce.Stdin = bytes.NewReader(append(data, '\n'))
	if out, err := produce.CombinedOutput(); err != nil {
		t.Fatalf("kcat -P: %v\n%s", err, out)
	}
	if o, err := c.orders.AwaitSettled(ctx, orderID, 20*time.Second); err != nil || o.Status != orderapi.StatusCancelled {
		t.Fatalf("after kcat's PaymentDeclined: %+v, %v; want CANCELLED", o, err)
	}
	if r, err := c.stock.Reservation(ctx, orderID); err != nil || !strings.Contains(r.Reason, "card declined (kcat, binary mode)") {
		t.Fatalf("reservation %+v, %v: want it released for kcat's reason", r, err)
	}
	if err := s.Restart(ctx, "payment"); err != nil {
		t.Fatal(err)
	}
	// Payment comes back to the StockReserved and the OrderCancelled it
	// missed; whatever it does with them, the purchase stays cancelled.
	waitForEvents(t, s, orderID, "OrderCreated StockReserved PaymentDeclined StockReleased OrderCancelled")
	wantConsistent(t, c, orderID, orderapi.StatusCancelled)
	auditPasses(t, s)

	// kcat sees every message keyed by the order, its own and the
	// services', on one partition number across the three topics (six
	// partitions alike): librdkafka's murmur2 and ours agree.
	seen := map[string]bool{}
	for _, topic := range []string{events.TopicOrder, events.TopicInventory, events.TopicPayment} {
		out, err := exec.Command(kcat, "-C", "-b", s.BrokerAddr(), "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%k %p\n").CombinedOutput()
		if err != nil {
			t.Fatalf("kcat -C %s: %v\n%s", topic, err, out)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if key, partition, ok := strings.Cut(line, " "); ok && key == orderID {
				seen[topic+" partition "+partition] = true
			}
		}
	}
	want := fmt.Sprint(murmur2)
	if len(seen) != 3 {
		t.Fatalf("kcat saw %s's messages at %v, want one partition on each of the three topics", orderID, seen)
	}
	for where := range seen {
		if !strings.HasSuffix(where, " partition "+want) {
			t.Fatalf("kcat saw %s's messages at %v, want partition %s (murmur2) everywhere", orderID, seen, want)
		}
	}
}
