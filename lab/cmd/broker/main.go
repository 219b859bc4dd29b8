// Command broker runs the embedded Kafka-protocol broker of the one-command
// stack (package broker) on loopback, with the stack's topics created and its
// log kept under --data-dir so a restart keeps every event. docker-compose
// runs real Kafka instead; the services cannot tell the difference.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/platform/process"
	"github.com/sagaforge/saga/lab/broker"
)

func main() {
	fs := flag.NewFlagSet("broker", flag.ContinueOnError)
	cfg := broker.Config{}
	fs.StringVar(&cfg.Addr, "addr", process.Env("BROKER_ADDR", "127.0.0.1:9092"), "listen address (env BROKER_ADDR)")
	fs.StringVar(&cfg.DataDir, "data-dir", process.Env("BROKER_DATA_DIR", ".data/broker"), "where the log is kept; empty keeps it in memory")
	fs.IntVar(&cfg.Partitions, "partitions", 3, "partitions per topic")
	topics := fs.String("topics", "", "a topics file (deploy/kafka/topics: NAME PARTITIONS per line) whose topics are created with their partition counts")
	process.ParseFlags(fs, os.Args[1:])
	if *topics != "" {
		t, err := broker.ReadTopics(*topics)
		if err != nil {
			fmt.Fprintln(os.Stderr, "broker:", err)
			os.Exit(2)
		}
		cfg.Topics = t
	}
	log := process.Logger("broker")
	b, err := broker.Start(cfg, log)
	if err != nil {
		var usage *broker.ConfigError
		if errors.As(err, &usage) {
			fmt.Fprintln(os.Stderr, "broker:", err)
			os.Exit(2)
		}
		log.Error("start failed", "err", err)
		os.Exit(1)
	}
	log.Info("listening", "addr", b.Addrs(), "topics", events.Topics, "data_dir", cfg.DataDir)
	ctx, stop := process.SignalContext()
	defer stop()
	<-ctx.Done()
	b.Close()
	log.Info("stopped")
}
