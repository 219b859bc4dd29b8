// Package kafkaio is the saga's Kafka I/O: the kafka-go configuration
// every writer and reader of its topics shares, the binding's headers, and
// reads of an order's events or a whole topic, straight off the partitions.
package kafkaio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sagaforge/saga/internal/messaging/events"
)

// NewWriter returns a kafka-go writer tuned for the outbox relay: acknowledged by
// every in-sync replica, synchronous, and flushed after 10 µs instead of
// kafka-go's default 1 s batching window. The relay already hands it whole
// batches, and one call's messages for a partition all join one batch before
// its timer can flush it; a longer window only adds its length to every
// event's latency (docs/bench/tuning.md). Messages carry their own topic.
func NewWriter(brokers Brokers) *kafka.Writer {
	w := &kafka.Writer{
		Addr:            kafka.TCP(brokers.Addrs...),
		Balancer:        balancer,
		RequiredAcks:    kafka.RequireAll,
		BatchTimeout:    10 * time.Microsecond,
		BatchSize:       MaxBatch,
		MaxAttempts:     3,
		WriteBackoffMin: 20 * time.Millisecond,
		WriteBackoffMax: 500 * time.Millisecond,
		ReadTimeout:     5 * time.Second,
		WriteTimeout:    5 * time.Second,
	}
	if brokers.transport != nil {
		w.Transport = brokers.transport
	}
	return w
}

// balancer sends every message keyed with one order ID to one partition of
// its topic; ReadOrder finds them there. It is murmur2, Kafka's default
// partitioner (Java's, and librdkafka's "murmur2"), so a producer in
// another language that keys by order ID writes to the same partition.
var balancer = kafka.Murmur2Balancer{Consistent: true}

// MaxBatch is the most messages one write of NewWriter's carries.
const MaxBatch = 100

// NewGroupReader reads every topic in topics as consumer group groupID,
// starting from the oldest event when the group has no committed offset.
// With commitInterval 0, CommitMessages commits synchronously; otherwise it
// queues the offset and commits in the background at that interval.
func NewGroupReader(brokers Brokers, groupID string, topics []string, commitInterval time.Duration) *kafka.Reader {
	return kafka.NewReader(GroupReaderConfig(brokers, groupID, topics, commitInterval))
}

// GroupReaderConfig is NewGroupReader's configuration, for callers that add
// to it (a logger).
func GroupReaderConfig(brokers Brokers, groupID string, topics []string, commitInterval time.Duration) kafka.ReaderConfig {
	return kafka.ReaderConfig{
		Brokers:     brokers.Addrs,
		Dialer:      brokers.dialer(),
		GroupID:     groupID,
		GroupTopics: topics,
		StartOffset: kafka.FirstOffset,
		MinBytes:    1,
		MaxBytes:    10 << 20,
		// kafka-go gives a fetch a read deadline of MaxWait and asks the
		// broker to answer by then less a margin: a quarter of MaxWait when
		// that is under 1 s, else 1 s. At 100 ms a broker 25 ms late (a
		// busy moment on a shared machine) timed the read out, which logs an
		// i/o timeout and reconnects. At 1.25 s the broker holds a fetch on
		// an idle partition for 250 ms and has 1 s to spare; a new event
		// still ends the wait at once (MinBytes 1), and Close, which waits
		// for the fetch in flight, waits at most 250 ms. (Exactly 1 s would
		// leave the broker no time to wait: a busy loop.)
		MaxWait:        1250 * time.Millisecond,
		ReadBackoffMin: 20 * time.Millisecond,
		ReadBackoffMax: 500 * time.Millisecond,
		CommitInterval: commitInterval,
		// A member that dies (SIGKILL) keeps its partitions until its
		// session expires; kafka-go's 30 s default would stall a restarted
		// service that long. 6 s is Kafka's minimum by default.
		SessionTimeout:    6 * time.Second,
		RebalanceTimeout:  6 * time.Second,
		HeartbeatInterval: time.Second,
		JoinGroupBackoff:  500 * time.Millisecond,
	}
}

// Ends returns each partition's end offset ("high watermark") of topics: a
// reader that has reached all of them has seen everything published so far.
func Ends(ctx context.Context, brokers Brokers, topics []string) (map[TopicPartition]int64, error) {
	client := brokers.client()
	meta, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: topics})
	if err != nil {
		return nil, fmt.Errorf("read topic metadata from %v: %w", brokers, err)
	}
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for _, t := range meta.Topics {
		if t.Error != nil {
			return nil, fmt.Errorf("topic %s: %w", t.Name, t.Error)
		}
		for _, p := range t.Partitions {
			req.Topics[t.Name] = append(req.Topics[t.Name], kafka.LastOffsetOf(p.ID))
		}
	}
	resp, err := client.ListOffsets(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("list offsets: %w", err)
	}
	ends := map[TopicPartition]int64{}
	for topic, parts := range resp.Topics {
		for _, p := range parts {
			if p.Error != nil {
				return nil, fmt.Errorf("offsets of %s/%d: %w", topic, p.Partition, p.Error)
			}
			ends[TopicPartition{topic, p.Partition}] = p.LastOffset
		}
	}
	return ends, nil
}

// TopicPartition names a partition.
type TopicPartition struct {
	Topic     string
	Partition int
}

// Progress tracks a reader against the end offsets taken at its start.
type Progress struct {
	remaining map[TopicPartition]int64
}

// NewProgress starts from ends; partitions with nothing in them are done.
func NewProgress(ends map[TopicPartition]int64) *Progress {
	p := &Progress{remaining: map[TopicPartition]int64{}}
	for tp, end := range ends {
		if end > 0 {
			p.remaining[tp] = end
		}
	}
	return p
}

// Saw records a message and reports whether every partition is caught up.
func (p *Progress) Saw(m kafka.Message) bool {
	tp := TopicPartition{m.Topic, m.Partition}
	if end, ok := p.remaining[tp]; ok && m.Offset+1 >= end {
		delete(p.remaining, tp)
	}
	return p.Done()
}

// Done reports whether every partition is caught up.
func (p *Progress) Done() bool { return len(p.remaining) == 0 }

// Dedupe drops events already seen, by event ID. Delivery is at least once
// (a relay that crashes after publishing publishes again), so every consumer
// needs this. It remembers the last max IDs.
type Dedupe struct {
	seen  map[string]struct{}
	order []string
	max   int
}

// NewDedupe remembers up to max event IDs.
func NewDedupe(max int) *Dedupe {
	return &Dedupe{seen: make(map[string]struct{}, max), max: max}
}

// First reports whether id is new, and remembers it.
func (d *Dedupe) First(id string) bool {
	if _, ok := d.seen[id]; ok {
		return false
	}
	if len(d.order) == d.max {
		delete(d.seen, d.order[0])
		d.order = d.order[1:]
	}
	d.seen[id] = struct{}{}
	d.order = append(d.order, id)
	return true
}

// ContentType is the content-type header of every event message: the
// CloudEvents Kafka binding's structured mode.
const ContentType = "application/cloudevents+json; charset=UTF-8"

// MessageHeaders are the headers of a message that carries an encoded
// envelope: the binding's content-type.
func MessageHeaders() []kafka.Header {
	return []kafka.Header{{Key: "content-type", Value: []byte(ContentType)}}
}

// Message is the message that carries e: on its type's topic, keyed by
// its order, with the binding's headers.
func Message(e events.Envelope) (kafka.Message, error) {
	value, err := json.Marshal(e)
	if err != nil {
		return kafka.Message{}, fmt.Errorf("encode %s: %w", e.Type, err)
	}
	return kafka.Message{Topic: e.Topic(), Key: []byte(e.Subject), Value: value, Headers: MessageHeaders()}, nil
}

// IsEnd tells whether err only means the reader was stopped.
func IsEnd(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, kafka.ErrGroupClosed)
}

// Headers carries trace context in a Kafka message's headers, as the
// OpenTelemetry propagators read and write it (the traceparent header).
type Headers struct{ Msg *kafka.Message }

// Get returns the value of the header key, whatever its case, empty
// without one.
func (h Headers) Get(key string) string {
	for _, kv := range h.Msg.Headers {
		if strings.EqualFold(kv.Key, key) {
			return string(kv.Value)
		}
	}
	return ""
}

// Set sets the header key, replacing any value it had under any case.
func (h Headers) Set(key, value string) {
	for i, kv := range h.Msg.Headers {
		if strings.EqualFold(kv.Key, key) {
			h.Msg.Headers[i].Value = []byte(value)
			return
		}
	}
	h.Msg.Headers = append(h.Msg.Headers, kafka.Header{Key: key, Value: []byte(value)})
}

// Keys lists the headers' keys.
func (h Headers) Keys() []string {
	keys := make([]string, len(h.Msg.Headers))
	for i, kv := range h.Msg.Headers {
		keys[i] = kv.Key
	}
	return keys
}
