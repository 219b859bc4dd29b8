// Package broker is the embedded Kafka-protocol broker of the one-command
// stack: franz-go's kfake on loopback, the stack's topics created, its log
// kept on disk, and consumer group sessions that expire as they do in Kafka
// (see Sessions). docker-compose runs real Kafka instead; the services cannot
// tell the difference.
package broker

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/sagaforge/saga/internal/messaging/events"
)

// Config says where the broker listens and keeps its log.
type Config struct {
	Addr       string // host:port
	DataDir    string // empty keeps the log in memory
	Partitions int    // per topic, for the stack's topics not in Topics
	// Topics are created with their own partition counts (from a topics
	// file, see ReadTopics); the stack's other topics get Partitions.
	Topics []Topic
}

// ConfigError is a configuration the broker cannot start with.
type ConfigError struct{ reason string }

func (e *ConfigError) Error() string { return e.reason }

// Broker is a running embedded broker.
type Broker struct {
	cluster  *kfake.Cluster
	sessions *Sessions
	cancel   context.CancelFunc
	done     chan struct{}
}

// Start listens on cfg.Addr and creates the stack's topics.
func Start(cfg Config, log *slog.Logger) (*Broker, error) {
	host, portText, err := net.SplitHostPort(cfg.Addr)
	port, perr := strconv.Atoi(portText)
	if err != nil || perr != nil {
		return nil, &ConfigError{fmt.Sprintf("--addr %q: want host:port", cfg.Addr)}
	}
	if cfg.Partitions <= 0 {
		return nil, &ConfigError{fmt.Sprintf("--partitions %d: want at least 1", cfg.Partitions)}
	}
	opts := []kfake.Opt{
		kfake.Ports(port),
		kfake.ListenFn(func(network, _ string) (net.Listener, error) {
			return net.Listen(network, net.JoinHostPort(host, portText))
		}),
		kfake.DefaultNumPartitions(cfg.Partitions),
		kfake.AllowAutoTopicCreation(),
	}
	listed := map[string]bool{}
	for _, t := range cfg.Topics {
		opts = append(opts, kfake.SeedTopics(int32(t.Partitions), t.Name))
		listed[t.Name] = true
	}
	for _, name := range events.Topics {
		if !listed[name] {
			opts = append(opts, kfake.SeedTopics(int32(cfg.Partitions), name))
		}
	}
	if cfg.DataDir != "" {
		opts = append(opts, kfake.DataDir(cfg.DataDir))
	}
	cluster, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("start broker: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b := &Broker{cluster: cluster, sessions: NewSessions(cluster, cluster.ListenAddrs()[0], log), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(b.done)
		b.sessions.Run(ctx)
	}()
	return b, nil
}

// Addrs are the addresses the broker listens on.
func (b *Broker) Addrs() []string { return b.cluster.ListenAddrs() }

// Close stops the broker.
func (b *Broker) Close() {
	b.cancel()
	<-b.done
	b.cluster.Close()
}
