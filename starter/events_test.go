package starter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/messaging/kafkaio"
	"github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/starter"
)

func TestEventsTimelineDropsRedeliveredEvents(t *testing.T) {
	c, err := kfake.NewCluster(kfake.SeedTopics(3, events.TopicOrder, events.TopicInventory, events.TopicPayment))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	addr := c.ListenAddrs()[0]
	now := time.Now()
	created := events.New(events.Source("order"), events.OrderCreated, "o-1", saga.Orchestration,
		events.OrderCreatedData{OrderID: "o-1", CustomerID: "alice", Items: []input.Item{{SKU: "SKU-1", Quantity: 2}}, TotalCents: 9980}, now)
	reserved := events.New(events.Source("inventory"), events.StockReserved, "o-1", saga.Orchestration,
		events.StockReservedData{OrderID: "o-1", Items: []input.Item{{SKU: "SKU-1", Quantity: 2}}}, now.Add(time.Millisecond))
	other := events.New(events.Source("order"), events.OrderCreated, "o-2", saga.Orchestration,
		events.OrderCreatedData{OrderID: "o-2", CustomerID: "bob"}, now.Add(2*time.Millisecond))
	var msgs []kafka.Message
	// created is delivered twice, as after a relay that crashed between
	// publishing and marking its rows.
	for _, e := range []events.Envelope{created, created, reserved, other} {
		m, err := kafkaio.Message(e)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	// A message that is not an event must be skipped, not stop the reader.
	msgs = append(msgs, kafka.Message{Topic: events.TopicPayment, Key: []byte("o-1"), Value: []byte("not json")})
	w := kafkaio.NewWriter(kafkaio.Plain(addr))
	defer w.Close()
	if err := w.WriteMessages(context.Background(), msgs...); err != nil {
		t.Fatal(err)
	}

	var stdout, stderr bytes.Buffer
	code := starter.Run(context.Background(), []string{"events", "--brokers", addr, "--order", "o-1", "-o", "jsonl"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var ids []string
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var e events.Envelope
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		ids = append(ids, string(e.Type))
	}
	if strings.Join(ids, ",") != "OrderCreated,StockReserved" {
		t.Fatalf("timeline of o-1: %v, want OrderCreated once, then StockReserved", ids)
	}
	if !strings.Contains(stderr.String(), "skipping") {
		t.Fatalf("the undecodable message was not reported: %q", stderr.String())
	}

	stdout.Reset()
	if code := starter.Run(context.Background(), []string{"events", "--brokers", addr}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	text := stdout.String()
	if !strings.Contains(text, "o-1  (orchestration, 2 events)") || !strings.Contains(text, "alice orders 2 x SKU-1, total 99.80") ||
		!strings.Contains(text, "o-2  (orchestration, 1 events)") {
		t.Fatalf("timeline:\n%s", text)
	}
}

func TestEventsWithoutBrokerIsOneLineExitOne(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := starter.Run(context.Background(), []string{"events", "--brokers", "127.0.0.1:1"}, &stdout, &stderr)
	if code != starter.ExitFailure || !strings.HasPrefix(stderr.String(), "starter events: cannot reach Kafka at 127.0.0.1:1") ||
		strings.Count(stderr.String(), "\n") != 1 {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
}
