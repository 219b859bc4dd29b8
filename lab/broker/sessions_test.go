package broker

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/messaging/kafkaio"
	"github.com/sagaforge/saga/internal/platform/process"
)

const (
	helperEnv = "BROKER_TEST_MEMBER_OF"
	group     = "g"
	topic     = events.TopicOrder
)

// TestHelperGroupMember is not a test: it is the consumer process that
// TestMemberKilledDuringJoinIsExpired kills.
func TestHelperGroupMember(t *testing.T) {
	addr := os.Getenv(helperEnv)
	if addr == "" {
		t.Skip("helper process only")
	}
	r := kafka.NewReader(kafkaio.GroupReaderConfig(kafkaio.Plain(addr), group, []string{topic}, 0))
	for {
		if _, err := r.FetchMessage(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
}

// A consumer killed while its JoinGroup is pending must not keep its
// partitions: kfake alone never expires it (see Sessions), and every event
// on them would wait forever. Here the other member must get every event,
// on every partition, once the dead one is expired.
func TestMemberKilledDuringJoinIsExpired(t *testing.T) {
	b, err := Start(Config{Addr: "127.0.0.1:0", DataDir: filepath.Join(t.TempDir(), "log"), Partitions: 3}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	addr := b.Addrs()[0]
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()

	writer := &kafka.Writer{Addr: kafka.TCP(addr), Topic: topic, Balancer: &kafka.RoundRobin{},
		RequiredAcks: kafka.RequireAll, BatchTimeout: time.Millisecond}
	t.Cleanup(func() { _ = writer.Close() })
	survivor := kafka.NewReader(kafkaio.GroupReaderConfig(kafkaio.Plain(addr), group, []string{topic}, 0))
	t.Cleanup(func() { _ = survivor.Close() })

	// The survivor alone, consuming: the group is stable with one member.
	if err := writer.WriteMessages(ctx, kafka.Message{Value: []byte("before")}); err != nil {
		t.Fatal(err)
	}
	if _, err := survivor.FetchMessage(ctx); err != nil {
		t.Fatal(err)
	}

	// The second member's first JoinGroup puts it in the group at once;
	// killing it then leaves it there with no reply delivered.
	joining := make(chan struct{}, 1)
	b.cluster.ControlKey(int16(kmsg.JoinGroup), func(req kmsg.Request) (kmsg.Response, error, bool) {
		if req.(*kmsg.JoinGroupRequest).MemberID == "" {
			select {
			case joining <- struct{}{}:
			default:
			}
		}
		return nil, nil, false
	})
	doomed := exec.Command(os.Args[0], "-test.run=^TestHelperGroupMember$")
	doomed.Env = append(os.Environ(), helperEnv+"="+addr)
	if err := doomed.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-joining:
	case <-ctx.Done():
		t.Fatal("the second member never joined")
	}
	if err := doomed.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = doomed.Wait()

	// The survivor rejoins and, as the leader, hands the dead member its
	// share: the group is stable with both.
	client := &kafka.Client{Addr: kafka.TCP(addr)}
	for members := 0; members != 2; {
		desc, err := client.DescribeGroups(ctx, &kafka.DescribeGroupsRequest{GroupIDs: []string{group}})
		if err != nil {
			t.Fatal(err)
		}
		if g := desc.Groups[0]; g.GroupState == "Stable" {
			members = len(g.Members)
		}
		if members != 2 && !process.Sleep(ctx, 50*time.Millisecond) {
			t.Fatal("the group never became stable with the dead member in it")
		}
	}

	// One event per partition and then some; the survivor must see them all.
	const n = 9
	for i := range n {
		if err := writer.WriteMessages(ctx, kafka.Message{Value: fmt.Appendf(nil, "after-%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]bool{}
	for len(got) < n {
		m, err := survivor.FetchMessage(ctx)
		if err != nil {
			t.Fatalf("the survivor got %d of %d events after the kill (%v): the dead member still holds partitions", len(got), n, err)
		}
		if string(m.Value) != "before" {
			got[string(m.Value)] = true
		}
	}
}
