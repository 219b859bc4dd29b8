package kafkaio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sagaforge/saga/internal/messaging/events"
)

// ReadOrder returns one order's events published so far on the three
// service topics, without duplicates, in the order they happened. It reads
// the partitions directly (no consumer group), and of each topic only the
// one the order's key goes to (NewWriter's balancer), so it is cheap to
// repeat.
func ReadOrder(ctx context.Context, brokers Brokers, orderID string) ([]events.Envelope, error) {
	return ReadOrderSince(ctx, brokers, orderID, time.Time{})
}

// ReadOrderSince is ReadOrder for an order created at since: each
// partition is read from the first message written clockSlack before it
// (the publishers' clocks may differ a little from the order service's),
// so a read costs the events since the order, not the topic's whole
// history. A zero since reads it all.
func ReadOrderSince(ctx context.Context, brokers Brokers, orderID string, since time.Time) ([]events.Envelope, error) {
	recs, err := ReadOrderRecords(ctx, brokers, orderID, since, time.Time{})
	out := make([]events.Envelope, len(recs))
	for i, r := range recs {
		out[i] = r.Envelope
	}
	return out, err
}

// Record is an event as read off its topic, with when its relay produced
// it (the record's timestamp) and where it is.
type Record struct {
	events.Envelope
	Published time.Time `json:"published"`
	Partition int       `json:"partition"`
	Offset    int64     `json:"offset"`
	// TraceID is the trace its traceparent header names, when tracing is
	// on.
	TraceID string `json:"trace_id,omitempty"`
}

// ReadOrderRecords is ReadOrderSince as records, and bounded after too:
// with a non-zero until, each partition is read only up to what was
// written clockSlack after it, so an old order costs its own events, not
// everything written since.
func ReadOrderRecords(ctx context.Context, brokers Brokers, orderID string, since, until time.Time) ([]Record, error) {
	topics := []string{events.TopicOrder, events.TopicInventory, events.TopicPayment}
	if !since.IsZero() {
		since = since.Add(-clockSlack)
	}
	if !until.IsZero() {
		until = until.Add(clockSlack)
	}
	all, err := Ends(ctx, brokers, topics)
	if err != nil {
		return nil, err
	}
	ends := keyPartitions(all, orderID)
	var (
		mu       sync.Mutex
		found    []Record
		firstErr error
		wg       sync.WaitGroup
	)
	for tp, end := range ends {
		if end == 0 {
			continue
		}
		wg.Go(func() {
			recs, err := readPartition(ctx, brokers, tp, end, orderID, since, until)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			found = append(found, recs...)
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	seen := NewDedupe(len(found) + 1)
	out := found[:0]
	for _, r := range found {
		if seen.First(r.ID) {
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(a, b Record) int { return a.Time.Compare(b.Time) })
	return out, nil
}

// ReadTopic returns every message of topic published so far, partition by
// partition, each in offset order.
func ReadTopic(ctx context.Context, brokers Brokers, topic string) ([]kafka.Message, error) {
	ends, err := Ends(ctx, brokers, []string{topic})
	if err != nil {
		return nil, err
	}
	var out []kafka.Message
	for p := 0; ; p++ {
		end, ok := ends[TopicPartition{topic, p}]
		if !ok {
			return out, nil
		}
		if end == 0 {
			continue
		}
		msgs, err := readMessages(ctx, brokers, TopicPartition{topic, p}, end)
		if err != nil {
			return nil, err
		}
		out = append(out, msgs...)
	}
}

func readMessages(ctx context.Context, brokers Brokers, tp TopicPartition, end int64) ([]kafka.Message, error) {
	var out []kafka.Message
	err := scan(ctx, brokers, tp, kafka.FirstOffset, end, func(m kafka.Message) { out = append(out, m) })
	return out, err
}

// scan reads tp's messages from start up to end (which exists: it was the
// partition's end when asked) straight from its leader. Every offset it
// asks for is there, so no fetch waits on the broker; a kafka.Reader would
// leave one in flight past the end, which its Close waits out.
func scan(ctx context.Context, brokers Brokers, tp TopicPartition, start, end int64, saw func(kafka.Message)) error {
	conn, err := dialLeader(ctx, brokers, tp)
	if err != nil {
		return err
	}
	defer conn.Close()
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(30 * time.Second)
	}
	if err := conn.SetDeadline(deadline); err != nil {
		return err
	}
	if start < 0 { // kafka.FirstOffset: the partition's first kept message
		if start, err = conn.ReadFirstOffset(); err != nil {
			return fmt.Errorf("first offset of %s/%d: %w", tp.Topic, tp.Partition, err)
		}
	}
	for off := start; off < end; {
		if _, err := conn.Seek(off, kafka.SeekAbsolute); err != nil {
			return fmt.Errorf("read %s/%d at %d: %w", tp.Topic, tp.Partition, off, err)
		}
		batch := conn.ReadBatchWith(kafka.ReadBatchConfig{MinBytes: 1, MaxBytes: 10 << 20, MaxWait: 50 * time.Millisecond})
		read := 0
		for off < end {
			m, err := batch.ReadMessage()
			if err != nil {
				break // the batch's end, or its error, which Close returns
			}
			read, off = read+1, m.Offset+1
			saw(m)
		}
		if err := batch.Close(); err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read %s/%d at %d: %w", tp.Topic, tp.Partition, off, err)
		}
		if read == 0 {
			return fmt.Errorf("read %s/%d: nothing at offset %d, below its end %d", tp.Topic, tp.Partition, off, end)
		}
	}
	return nil
}

// dialLeader connects to tp's leader through the first of brokers that
// answers.
func dialLeader(ctx context.Context, brokers Brokers, tp TopicPartition) (*kafka.Conn, error) {
	var errs []error
	dialer := brokers.dialer()
	for _, b := range brokers.Addrs {
		conn, err := dialer.DialLeader(ctx, "tcp", b, tp.Topic, tp.Partition)
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		errs = append(errs, errNoBrokers)
	}
	return nil, fmt.Errorf("reach the leader of %s/%d through %v: %w", tp.Topic, tp.Partition, brokers, errors.Join(errs...))
}

// startAt is where a read of tp for what was written at since or later
// begins (the oldest offset for a zero since); found is false when nothing
// was written since, before end.
func startAt(ctx context.Context, brokers Brokers, tp TopicPartition, end int64, since time.Time) (start int64, found bool, err error) {
	if since.IsZero() {
		return kafka.FirstOffset, true, nil
	}
	at, found, err := offsetAt(ctx, brokers, tp, since)
	if err != nil || !found || at >= end {
		return 0, false, err
	}
	return at, true, nil
}

func readPartition(ctx context.Context, brokers Brokers, tp TopicPartition, end int64, orderID string, since, until time.Time) ([]Record, error) {
	start, found, err := startAt(ctx, brokers, tp, end, since)
	if err != nil || !found {
		return nil, err // or nothing written since
	}
	if !until.IsZero() {
		after, found, err := offsetAt(ctx, brokers, tp, until)
		if err != nil {
			return nil, err
		}
		if found && after < end {
			end = after
		}
	}
	var out []Record
	err = scan(ctx, brokers, tp, start, end, func(m kafka.Message) {
		if string(m.Key) == orderID {
			if e, err := Decode(m); err == nil && e.Subject == orderID {
				out = append(out, Record{Envelope: e, Published: m.Time, Partition: m.Partition, Offset: m.Offset, TraceID: traceID(m)})
			}
		}
	})
	return out, err
}

// keyPartitions keeps, of each topic's partitions, the one a message keyed
// key is written to.
func keyPartitions(ends map[TopicPartition]int64, key string) map[TopicPartition]int64 {
	byTopic := map[string][]int{}
	for tp := range ends {
		byTopic[tp.Topic] = append(byTopic[tp.Topic], tp.Partition)
	}
	out := map[TopicPartition]int64{}
	for topic, parts := range byTopic {
		slices.Sort(parts)
		tp := TopicPartition{Topic: topic, Partition: balancer.Balance(kafka.Message{Key: []byte(key)}, parts...)}
		out[tp] = ends[tp]
	}
	return out
}

// clockSlack is how far apart the clocks of the hosts that publish an
// order's events are taken to be: NTP keeps servers within milliseconds.
const clockSlack = 5 * time.Second

// offsetAt is the offset of the first message of tp written at t or
// later; found is false when there is none.
func offsetAt(ctx context.Context, brokers Brokers, tp TopicPartition, t time.Time) (offset int64, found bool, err error) {
	client := brokers.client()
	resp, err := client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{tp.Topic: {kafka.TimeOffsetOf(tp.Partition, t)}}})
	if err != nil {
		return 0, false, fmt.Errorf("find %s/%d at %s: %w", tp.Topic, tp.Partition, t.Format(time.RFC3339), err)
	}
	for _, p := range resp.Topics[tp.Topic] {
		if p.Error != nil {
			return 0, false, fmt.Errorf("find %s/%d at %s: %w", tp.Topic, tp.Partition, t.Format(time.RFC3339), p.Error)
		}
		for o := range p.Offsets {
			return o, o >= 0, nil
		}
	}
	return 0, false, nil
}

// TraceOf is the W3C trace ID of the purchase orderID, created at since:
// the trace its first event on the order topic carries in its traceparent
// header, which every later hop of the saga continues. Empty when no event
// of the order carries one.
func TraceOf(ctx context.Context, brokers Brokers, orderID string, since time.Time) (string, error) {
	if !since.IsZero() {
		since = since.Add(-clockSlack)
	}
	all, err := Ends(ctx, brokers, []string{events.TopicOrder})
	if err != nil {
		return "", err
	}
	for tp, end := range keyPartitions(all, orderID) {
		start, found, err := startAt(ctx, brokers, tp, end, since)
		if err != nil || !found {
			return "", err
		}
		trace := ""
		err = scan(ctx, brokers, tp, start, end, func(m kafka.Message) {
			if string(m.Key) != orderID || trace != "" {
				return
			}
			trace = traceID(m)
		})
		if err != nil || trace != "" {
			return trace, err
		}
	}
	return "", nil
}

// traceID is the trace a message's traceparent names (version-traceid-
// spanid-flags), or "".
func traceID(m kafka.Message) string {
	if parts := strings.Split(Headers{Msg: &m}.Get("traceparent"), "-"); len(parts) == 4 && len(parts[1]) == 32 {
		return parts[1]
	}
	return ""
}
