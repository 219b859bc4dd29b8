// Package cli is the starter command: it launches purchases and reports on
// them. Every failure is one line on stderr: exit code 2 for bad flags or
// input, 1 when something it needs cannot be reached or a saga failed.
package starter

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/sagaforge/saga/platform/input"
	"github.com/sagaforge/saga/platform/process"
	"github.com/sagaforge/saga/platform/temporalx"
	"github.com/sagaforge/saga/services/endpoints"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// usageError is bad flags or input: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// Env is what a command runs with: where its output goes and where
// everything it talks to is. NewEnv reads it from the environment once;
// every command's flags override it.
type Env struct {
	Stdout, Stderr io.Writer
	Temporal       temporalx.Config
	Services       endpoints.Endpoints
	Brokers        string // Kafka bootstrap brokers, comma-separated
}

// NewEnv reads the starter's configuration from the environment.
func NewEnv(stdout, stderr io.Writer) Env {
	return Env{Stdout: stdout, Stderr: stderr, Temporal: temporalx.FromEnv(),
		Services: endpoints.FromEnv(),
		Brokers:  process.Env("KAFKA_BROKERS", process.Env("BROKER_ADDR", "127.0.0.1:9092")),
	}
}

type command struct {
	summary string
	run     func(ctx context.Context, env *Env, args []string) error
}

var commands = map[string]command{
	"purchase":    {"start a purchase saga", runPurchase},
	"status":      {"show a purchase's status", runStatus},
	"events":      {"show the domain events on Kafka", runEvents},
	"deadletters": {"list the events consumers could not handle; send one back", runDeadletters},
	"bench":       {"measure throughput and latency", runBench},
	"cancel":      {"cancel a purchase in flight", runCancel},
	"list":        {"list purchase sagas", runList},
	"audit":       {"check the invariants across the three services", runAudit},
}

const usage = `usage: starter <command> [flags]

commands:
  purchase --customer ID --item SKU:QTY [--item SKU:QTY ...] [--order-id ID]
           [--mode orchestration|choreography] [--wait [--wait-timeout 5m]] [--json]
  status ORDER_ID [--json]
  cancel ORDER_ID [--reason TEXT] [--json]   (either mode)
  list [--status RUNNING|COMPENSATING|APPROVED|CANCELLED|FAILED] [--limit N]
  audit [--json] [--settle 2m]
  events [--follow] [--order ORDER_ID] [--json] [--brokers HOST:PORT] [--group NAME]
  deadletters [--json] [--replay PARTITION:OFFSET] [--brokers HOST:PORT]
  bench [--mode orchestration|choreography|direct|all] [--n N] [--concurrency C[,C...]] [--json] [--out DIR]

Every command takes where things are (flags override the environment):
  --temporal-address (env TEMPORAL_ADDRESS, default 127.0.0.1:7233),
  --namespace (env TEMPORAL_NAMESPACE, default "default"),
  --ui-url (env TEMPORAL_UI_URL, default http://127.0.0.1:8233),
  --order-url, --inventory-url, --payment-url (env ORDER_URL, ..., default 127.0.0.1:8081-8083),
  --brokers (env KAFKA_BROKERS, default 127.0.0.1:9092)
`

// Run runs the starter with args (without the program name), configured
// from the environment, and returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return NewEnv(stdout, stderr).Run(ctx, args)
}

// Run runs one starter command with this configuration (a copy: the
// command's flags change only its own) and returns the exit code.
func (e Env) Run(ctx context.Context, args []string) int {
	env, stdout, stderr := &e, e.Stdout, e.Stderr
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "starter: unknown command %q (try: starter help)\n", args[0])
		return ExitUsage
	}
	err := cmd.run(ctx, env, args[1:])
	var ue *usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "starter %s: %s\n", args[0], oneLine(ue.msg))
		return ExitUsage
	default:
		fmt.Fprintf(stderr, "starter %s: %s\n", args[0], oneLine(err.Error()))
		return ExitFailure
	}
}

// dial connects to Temporal, giving up after five seconds with one line that
// says where it tried.
func dial(ctx context.Context, env *Env) (client.Client, error) {
	return temporalx.Dial(ctx, env.Temporal, nil, 5*time.Second)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// newFlags returns a flag set with the Temporal connection flags; parse
// errors are returned, not printed, so they come out as one line.
func newFlags(name string, env *Env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&env.Temporal.Address, "temporal-address", env.Temporal.Address, "Temporal frontend host:port")
	fs.StringVar(&env.Temporal.Namespace, "namespace", env.Temporal.Namespace, "Temporal namespace")
	fs.StringVar(&env.Temporal.UIURL, "ui-url", env.Temporal.UIURL, "Temporal Web UI base URL")
	env.Services.Flags(fs)
	fs.StringVar(&env.Brokers, "brokers", env.Brokers, "Kafka bootstrap brokers, comma-separated (env KAFKA_BROKERS)")
	return fs
}

// parseNone parses flags and refuses positional arguments.
func parseNone(fs *flag.FlagSet, args []string) error {
	positional, err := parse(fs, args)
	if err == nil && len(positional) > 0 {
		return usagef("unexpected argument %q", positional[0])
	}
	return err
}

// parseOrderID parses flags around exactly one positional ORDER_ID and
// checks its shape.
func parseOrderID(fs *flag.FlagSet, args []string) (string, error) {
	positional, err := parse(fs, args)
	switch {
	case err != nil:
		return "", err
	case len(positional) != 1:
		return "", usagef("want exactly one ORDER_ID, got %d arguments", len(positional))
	}
	if err := input.ValidateOrderID(positional[0]); err != nil {
		return "", usagef("%s", strings.TrimPrefix(err.Error(), "invalid request: "))
	}
	return positional[0], nil
}

// parse parses flags that may come before or after positional arguments
// (starter status ID --json) and returns the positional ones.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%v", err)
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
