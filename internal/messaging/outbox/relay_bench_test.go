package outbox_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"gorm.io/gorm"

	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/messaging/kafkaio"
	"github.com/sagaforge/saga/internal/messaging/outbox"
	"github.com/sagaforge/saga/internal/saga"
)

// BenchmarkRelayLatency measures one event from the commit of its change to
// the broker's acknowledgement (acks=all), through a file-backed SQLite
// outbox and the in-process kfake broker. It runs the relay's tuned writer
// and kafka-go's default writer side by side:
//
//	go test -run '^$' -bench RelayLatency -benchtime 30x ./outbox
func BenchmarkRelayLatency(b *testing.B) {
	c := broker(b, 0, b.TempDir())
	defer c.Close()
	addr := c.ListenAddrs()[0]
	fmt.Printf("setup: %s/%s, %d CPUs, %s, file-backed SQLite outbox (WAL), kfake broker in process, acks=all, one event per commit\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	p50 := map[string]float64{}
	for _, w := range []struct {
		name      string
		newWriter func() *kafka.Writer
	}{
		{"tuned", func() *kafka.Writer { return kafkaio.NewWriter(kafkaio.Plain(addr)) }},
		// Only acks changed, so that both wait for the same durability.
		{"kafka-go-defaults", func() *kafka.Writer { return &kafka.Writer{Addr: kafka.TCP(addr), RequiredAcks: kafka.RequireAll} }},
	} {
		b.Run(w.name, func(b *testing.B) {
			writer := w.newWriter()
			defer writer.Close()
			p50[w.name] = benchRelay(b, writer)
		})
	}
	if p50["tuned"] > 0 && p50["kafka-go-defaults"] > 0 {
		fmt.Printf("p50 commit-to-ack: tuned %.2f ms, kafka-go defaults %.0f ms: %.0fx faster\n",
			p50["tuned"], p50["kafka-go-defaults"], p50["kafka-go-defaults"]/p50["tuned"])
	}
}

func benchRelay(b *testing.B, w *kafka.Writer) (p50 float64) {
	ob := openOutbox(b, filepath.Join(b.TempDir(), "bench.db"))
	acked := make(chan time.Time, 1)
	relay := outbox.NewRelay(ob, w, slog.New(slog.DiscardHandler))
	relay.Published = func(_ []outbox.Message, at time.Time) { acked <- time.Now() }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = relay.Run(ctx) }()
	defer func() { cancel(); <-done }()

	latencies := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		e := events.New(events.Source("order"), events.OrderApproved, fmt.Sprint("o-", i%50), saga.Orchestration,
			events.OrderApprovedData{OrderID: "o"}, time.Now())
		start := time.Now()
		if err := ob.Transact(context.Background(), func(tx *gorm.DB, emit outbox.Emit) error { emit(e); return nil }); err != nil {
			b.Fatal(err)
		}
		latencies = append(latencies, (<-acked).Sub(start))
	}
	b.StopTimer()
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	return pct(0.50)
}
