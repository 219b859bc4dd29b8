package kafkaio

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// Watermark tells up to when consumer groups have handled every event: each
// Mark notes the ends of the groups' partitions, and answers with the time
// of the latest earlier note that every group's committed offsets have
// reached. A deadline that counts from the last event seen can then wait
// for a consumer coming back from an outage to read its backlog, instead of
// judging by what it has not read yet.
type Watermark struct {
	brokers Brokers
	groups  map[string]string // group -> topic
	marks   []mark
}

// maxMarks bounds the notes kept while a group does not catch up.
const maxMarks = 100

type mark struct {
	at   time.Time
	ends map[TopicPartition]int64
}

// NewWatermark watches groups, each reading the topic it maps to.
func NewWatermark(brokers Brokers, groups map[string]string) *Watermark {
	return &Watermark{brokers: brokers, groups: groups}
}

// Mark notes the partitions' ends now and returns the time before which
// every event has been handled by every group; ok is false while no note
// has been reached yet (a group still catching up since the first Mark).
func (w *Watermark) Mark(ctx context.Context) (upTo time.Time, ok bool, err error) {
	topics := make([]string, 0, len(w.groups))
	for _, t := range w.groups {
		topics = append(topics, t)
	}
	now := time.Now()
	ends, err := Ends(ctx, w.brokers, topics)
	if err != nil {
		return time.Time{}, false, err
	}
	committed := map[string]map[TopicPartition]int64{}
	for group, topic := range w.groups {
		c, err := Committed(ctx, w.brokers, group, topic, ends)
		if err != nil {
			return time.Time{}, false, err
		}
		committed[group] = c
	}
	if len(w.marks) == maxMarks { // a group stuck for long: keep the oldest, which comes first
		w.marks = append(w.marks[:1], w.marks[2:]...)
	}
	w.marks = append(w.marks, mark{at: now, ends: ends})
	reached := -1
	for i, m := range w.marks {
		if w.reached(m, committed) {
			reached = i
		}
	}
	if reached < 0 {
		return time.Time{}, false, nil
	}
	upTo = w.marks[reached].at
	w.marks = w.marks[reached+1:] // later marks are all that can be reached next
	return upTo, true, nil
}

// reached tells whether every group has committed past m's ends.
func (w *Watermark) reached(m mark, committed map[string]map[TopicPartition]int64) bool {
	for group, topic := range w.groups {
		for tp, end := range m.ends {
			if tp.Topic == topic && committed[group][tp] < end {
				return false
			}
		}
	}
	return true
}

// Committed returns the offsets group has committed on topic's partitions
// among ends (the next offset it will read; 0 where it has committed none).
func Committed(ctx context.Context, brokers Brokers, group, topic string, ends map[TopicPartition]int64) (map[TopicPartition]int64, error) {
	client := brokers.client()
	var parts []int
	for tp := range ends {
		if tp.Topic == topic {
			parts = append(parts, tp.Partition)
		}
	}
	resp, err := client.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: parts}})
	if err == nil {
		err = resp.Error
	}
	out := map[TopicPartition]int64{}
	if errors.Is(err, kafka.GroupIdNotFound) {
		return out, nil // a group that has never committed has read nothing
	}
	if err != nil {
		return nil, fmt.Errorf("offsets of group %s: %w", group, err)
	}
	for _, p := range resp.Topics[topic] {
		if p.Error != nil {
			return nil, fmt.Errorf("offset of group %s on %s/%d: %w", group, topic, p.Partition, p.Error)
		}
		out[TopicPartition{topic, p.Partition}] = max(p.CommittedOffset, 0)
	}
	return out, nil
}
