package kafkaio

import (
	"context"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
)

// A group that has not read what was published before a mark does not
// reach it; once it has read and committed it, the mark's time is how far
// it has read, and a later event does not move that back.
func TestWatermarkWaitsForTheGroupToReadWhatCameBefore(t *testing.T) {
	c, err := kfake.NewCluster(kfake.SeedTopics(2, "t"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	brokers := Plain(c.ListenAddrs()...)
	ctx := context.Background()
	w := NewWriter(brokers)
	defer w.Close()
	publish := func(keys ...string) {
		t.Helper()
		for _, k := range keys {
			if err := w.WriteMessages(ctx, kafka.Message{Key: []byte(k), Value: []byte("{}")}); err != nil {
				t.Fatal(err)
			}
		}
	}
	w.Topic = "t"
	publish("a", "b", "c")
	wm := NewWatermark(brokers, map[string]string{"g": "t"})
	before := time.Now()
	if _, ok, err := wm.Mark(ctx); err != nil || ok {
		t.Fatalf("mark with nothing read: ok %v, err %v; want not reached", ok, err)
	}
	r := NewGroupReader(brokers, "g", []string{"t"}, 0)
	defer r.Close()
	for range 3 {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.CommitMessages(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	publish("d") // after the first mark: the group need not have read it
	upTo, ok, err := wm.Mark(ctx)
	if err != nil || !ok || upTo.Before(before) || !upTo.Before(time.Now()) {
		t.Fatalf("mark once read: %v, ok %v, err %v; want the first mark's time", upTo, ok, err)
	}
}
