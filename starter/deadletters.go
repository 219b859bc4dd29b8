package starter

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/spf13/cobra"

	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/messaging/kafkaio"
)

// DeadLetterRow is one dead letter as "deadletters" prints it.
type DeadLetterRow struct {
	ID        string      `json:"id"` // PARTITION:OFFSET on the dead-letter topic, for --replay
	OrderID   string      `json:"order_id"`
	EventType events.Type `json:"event_type,omitempty"`
	Consumer  string      `json:"consumer"`
	Topic     string      `json:"topic"`
	Attempts  int         `json:"attempts"`
	FailedAt  time.Time   `json:"failed_at"`
	Reason    string      `json:"reason"`
}

// newDeadlettersCmd is the deadletters command: it lists the dead-letter topic: the events a consumer could
// not handle, and why. --replay PARTITION:OFFSET sends one event back to the
// topic it came from, for its consumer to try again; every other consumer
// has it in its inbox and ignores the repeat.
func newDeadlettersCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{Use: "deadletters", Short: "list the events consumers could not handle; send one back", Args: noArgs,
		Example: "  starter deadletters\n  starter deadletters --replay 2:17   # partition:offset, as the list shows it"}
	f := cmd.Flags()
	replay := f.String("replay", "", "PARTITION:OFFSET of a dead letter whose event to send back to its topic")
	return WithOutput(cmd, func(ctx context.Context, args []string, format string) error {
		var replayPart, replayOffset int
		if *replay != "" {
			p, o, ok := strings.Cut(*replay, ":")
			var perr, oerr error
			replayPart, perr = strconv.Atoi(p)
			replayOffset, oerr = strconv.Atoi(o)
			if !ok || perr != nil || oerr != nil || replayPart < 0 || replayOffset < 0 {
				return Usagef("--replay wants PARTITION:OFFSET as the list shows it, e.g. 0:3; got %q", *replay)
			}
		}
		brokerList, err := env.Services.Kafka()
		if err != nil {
			return Usagef("%v", err)
		}
		readCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		msgs, err := kafkaio.ReadTopic(readCtx, brokerList, events.TopicDeadLetter)
		if err != nil {
			return fmt.Errorf("cannot read %s from Kafka at %s: %w", events.TopicDeadLetter, env.Services.Brokers, err)
		}
		rows := make([]DeadLetterRow, 0, len(msgs))
		var found *events.DeadLetter
		for _, m := range msgs {
			e, err := kafkaio.Decode(m)
			if err != nil {
				continue // not ours to explain
			}
			dl, err := e.DeadLetter()
			if err != nil {
				continue
			}
			row := DeadLetterRow{ID: fmt.Sprintf("%d:%d", m.Partition, m.Offset), OrderID: e.Subject, Consumer: dl.Consumer, Topic: dl.Topic,
				Attempts: dl.Attempts, FailedAt: dl.FailedAt, Reason: dl.Reason}
			if orig, err := events.Decode([]byte(dl.Payload)); err == nil {
				row.EventType = orig.Type
			}
			rows = append(rows, row)
			if *replay != "" && m.Partition == replayPart && m.Offset == int64(replayOffset) {
				found = &dl
			}
		}
		if *replay != "" {
			if found == nil {
				return Usagef("no dead letter %s on %s", *replay, events.TopicDeadLetter)
			}
			w := kafkaio.NewWriter(brokerList)
			defer w.Close()
			if err := w.WriteMessages(ctx, kafka.Message{Topic: found.Topic, Key: []byte(found.Key), Value: []byte(found.Payload), Headers: kafkaio.MessageHeaders()}); err != nil {
				return fmt.Errorf("cannot send the event back to %s: %w", found.Topic, err)
			}
			fmt.Fprintf(env.Stdout, "sent dead letter %s back to %s for %s to try again\n", *replay, found.Topic, found.Consumer)
			return nil
		}
		if machine(format) {
			return writeList(env.Stdout, format, rows)
		}
		if len(rows) == 0 {
			fmt.Fprintln(env.Stdout, "no dead letters")
			return nil
		}
		fmt.Fprintf(env.Stdout, "%-8s %-24s %-18s %-22s %-8s %-20s %s\n", "ID", "ORDER", "EVENT", "CONSUMER", "ATTEMPTS", "FAILED AT", "REASON")
		for _, r := range rows {
			fmt.Fprintf(env.Stdout, "%-8s %-24s %-18s %-22s %-8d %-20s %s\n", r.ID, r.OrderID, r.EventType, r.Consumer, r.Attempts,
				r.FailedAt.Local().Format(time.DateTime), oneLine(r.Reason))
		}
		return nil
	})
}
