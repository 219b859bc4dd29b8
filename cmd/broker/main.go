// Command broker runs the embedded Kafka-protocol broker of the one-command
// stack (franz-go's kfake) on loopback, with the stack's topics created and
// its log kept under --data-dir so a restart keeps every event. docker-compose
// runs real Kafka instead; the services cannot tell the difference.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/sagaforge/saga/events"
	"github.com/sagaforge/saga/process"
)

func main() {
	fs := flag.NewFlagSet("broker", flag.ContinueOnError)
	addr := fs.String("addr", process.Env("BROKER_ADDR", "127.0.0.1:9092"), "listen address (env BROKER_ADDR)")
	dataDir := fs.String("data-dir", process.Env("BROKER_DATA_DIR", ".data/broker"), "where the log is kept; empty keeps it in memory")
	partitions := fs.Int("partitions", 3, "partitions per topic")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	log := process.Logger("broker")
	host, portText, err := net.SplitHostPort(*addr)
	port, perr := strconv.Atoi(portText)
	if err != nil || perr != nil {
		fmt.Fprintf(os.Stderr, "broker: --addr %q: want host:port\n", *addr)
		os.Exit(2)
	}
	opts := []kfake.Opt{
		kfake.Ports(port),
		kfake.ListenFn(func(network, _ string) (net.Listener, error) {
			return net.Listen(network, net.JoinHostPort(host, portText))
		}),
		kfake.SeedTopics(int32(*partitions), events.Topics...),
		kfake.DefaultNumPartitions(*partitions),
		kfake.AllowAutoTopicCreation(),
	}
	if *dataDir != "" {
		opts = append(opts, kfake.DataDir(*dataDir))
	}
	cluster, err := kfake.NewCluster(opts...)
	if err != nil {
		log.Error("start failed", "err", err)
		os.Exit(1)
	}
	log.Info("listening", "addr", cluster.ListenAddrs(), "topics", events.Topics, "data_dir", *dataDir)
	ctx, stop := process.SignalContext()
	defer stop()
	<-ctx.Done()
	cluster.Close()
	log.Info("stopped")
}
