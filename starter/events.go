package starter

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/messaging/kafkaio"
	"github.com/sagaforge/saga/internal/platform/input"
)

// newEventsCmd is the events command: it follows the domain events of all three services as a consumer
// group. Without --follow it reads everything published so far and prints a
// timeline per order; with --follow it prints each event as it arrives.
func newEventsCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{Use: "events", Short: "show the domain events on Kafka, as a timeline per order", Args: noArgs,
		Example: "  starter events --order ord-1a2b3c\n  starter events --follow -o jsonl"}
	f := cmd.Flags()
	follow := f.Bool("follow", false, "keep printing events as they arrive (Ctrl-C stops)")
	only := f.String("order", "", "show one order's events")
	_ = cmd.RegisterFlagCompletionFunc("order", completeOrderFlag(env))
	group := f.String("group", "", "consumer group; a fresh one (reading from the start) by default, a named one resumes where it stopped")
	return WithOutput(cmd, func(ctx context.Context, args []string, format string) error {
		if *follow && format == FormatJSON {
			return Usagef("--follow prints a stream: use -o jsonl, one envelope per line")
		}
		if *only != "" {
			if err := input.ValidateOrderID(*only); err != nil {
				return Usagef("--order: %s", strings.TrimPrefix(err.Error(), "invalid request: "))
			}
		}
		brokerList, err := env.Services.Kafka()
		if err != nil {
			return Usagef("%v", err)
		}
		topics := []string{events.TopicOrder, events.TopicInventory, events.TopicPayment}

		probe, cancel := context.WithTimeout(ctx, 5*time.Second)
		ends, err := kafkaio.Ends(probe, brokerList, topics)
		cancel()
		if err != nil {
			return fmt.Errorf("cannot reach Kafka at %s: %w", env.Services.Brokers, err)
		}
		progress := kafkaio.NewProgress(ends)
		if !*follow && progress.Done() {
			if machine(format) {
				return writeList[events.Envelope](env.Stdout, format, nil)
			}
			fmt.Fprintln(env.Stdout, "no events yet")
			return nil
		}
		groupID, commit := *group, true
		if groupID == "" {
			groupID, commit = "starter-events-"+events.NewID(), false
		}
		reader := kafkaio.NewGroupReader(brokerList, groupID, topics, 0)
		defer reader.Close()

		seen := kafkaio.NewDedupe(100_000)
		var timeline []events.Envelope
		for !(!*follow && progress.Done()) {
			m, err := reader.FetchMessage(ctx)
			if err != nil {
				if kafkaio.IsEnd(err) {
					break
				}
				return fmt.Errorf("read events: %w", err)
			}
			caughtUp := progress.Saw(m)
			e, err := kafkaio.Decode(m)
			switch {
			case err != nil:
				fmt.Fprintf(env.Stderr, "starter events: skipping %s/%d@%d: %v\n", m.Topic, m.Partition, m.Offset, err)
			case (*only == "" || e.Subject == *only) && seen.First(e.ID):
				if *follow {
					printEvent(env.Stdout, e, format)
				} else {
					timeline = append(timeline, e)
				}
			}
			if commit {
				if err := reader.CommitMessages(ctx, m); err != nil && !kafkaio.IsEnd(err) {
					return fmt.Errorf("commit offset: %w", err)
				}
			}
			if caughtUp && !*follow {
				break
			}
		}
		if !*follow {
			return printTimeline(env.Stdout, timeline, format)
		}
		return nil
	})
}

func printEvent(w io.Writer, e events.Envelope, format string) {
	if machine(format) {
		_ = WriteJSON(w, e)
		return
	}
	fmt.Fprintf(w, "%s  %-22s  %-9s  %-15s  %s\n", e.Time.Local().Format("15:04:05.000"), e.Subject, e.Service(), e.Type, e.Describe())
}

// printTimeline prints each order's events in the order they happened,
// orders by their first event; as JSON, the envelopes in that order.
func printTimeline(w io.Writer, all []events.Envelope, format string) error {
	byOrder := map[string][]events.Envelope{}
	var orders []string
	for _, e := range all {
		if _, ok := byOrder[e.Subject]; !ok {
			orders = append(orders, e.Subject)
		}
		byOrder[e.Subject] = append(byOrder[e.Subject], e)
	}
	for _, id := range orders {
		slices.SortStableFunc(byOrder[id], func(a, b events.Envelope) int { return a.Time.Compare(b.Time) })
	}
	slices.SortStableFunc(orders, func(a, b string) int { return byOrder[a][0].Time.Compare(byOrder[b][0].Time) })
	if machine(format) {
		flat := make([]events.Envelope, 0, len(all))
		for _, id := range orders {
			flat = append(flat, byOrder[id]...)
		}
		return writeList(w, format, flat)
	}
	for i, id := range orders {
		evs := byOrder[id]
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s  (%s, %d events)\n", id, evs[0].SagaMode, len(evs))
		for _, e := range evs {
			fmt.Fprintf(w, "  %s  %-9s  %-15s  %s\n", e.Time.Local().Format("15:04:05.000"), e.Service(), e.Type, e.Describe())
		}
	}
	return nil
}
