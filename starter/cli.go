// Package starter is the starter command: it launches purchases and reports
// on them. Every failure is one line on stderr, with a distinct exit code
// (see ExitOK and the others).
package starter

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.temporal.io/sdk/client"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/platform/process"
	"github.com/sagaforge/saga/internal/platform/temporalx"
	"github.com/sagaforge/saga/internal/services/endpoints"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1 // something it needs cannot be reached, or an internal error
	ExitUsage   = 2 // bad flags or input; nothing was called
	ExitNo      = 3 // the saga or the audit says no: FAILED, not cancellable, invariants broken
	// ExitInterrupted is Ctrl-C (SIGINT) or SIGTERM, as shells report it.
	ExitInterrupted = 130
)

// DefaultTemporalWait is how long a command waits for Temporal by default:
// longer than a server takes to restart.
const DefaultTemporalWait = 15 * time.Second

// usageError is bad flags or input: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// Usagef is bad flags or input, for every command, plugged ones too: exit
// code 2.
func Usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// Command is a command plugged into the starter from outside the product
// (the lab's bench), built with the starter's configuration.
type Command func(env *Env) *cobra.Command

// verdictError is the saga's or the audit's no: exit code 3.
type verdictError struct{ msg string }

func (e *verdictError) Error() string { return e.msg }

func verdictf(format string, args ...any) error {
	return &verdictError{fmt.Sprintf(format, args...)}
}

// Env is what a command runs with: where its output goes and where
// everything it talks to is. NewEnv reads it from the environment once;
// every command's flags override it.
type Env struct {
	Stdout, Stderr io.Writer
	Temporal       temporalx.Config
	Services       endpoints.Endpoints
	// API, when set, is the worker's purchase API (SAGA_API_URL): every
	// command buys, reads and cancels through it instead of in process.
	API string
	// TemporalWait is how long a command waits for Temporal to answer (a
	// server restarting) before it gives up.
	TemporalWait time.Duration

	// temporalErr is why the Temporal client profile could not be read;
	// a command that needs Temporal reports it.
	temporalErr error
	// temporalFlags are the Temporal flags given (useFlags).
	temporalFlags temporalx.Flags
	// servicesErr is why the services' settings could not be read (a
	// token file that is not there); every command reports it.
	servicesErr error
}

// NewEnv reads the starter's configuration from the environment, and
// Temporal's as the temporal CLI does (temporalx.Load).
func NewEnv(stdout, stderr io.Writer) Env {
	t, err := temporalx.Load("", "")
	if err != nil {
		t = temporalx.Local()
	}
	services, servicesErr := endpoints.FromEnv()
	return Env{Stdout: stdout, Stderr: stderr, Temporal: t, temporalErr: err, servicesErr: servicesErr,
		Services: services, API: process.Env("SAGA_API_URL", ""), TemporalWait: DefaultTemporalWait,
	}
}

// Run runs the starter with args (without the program name), configured
// from the environment, and returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, plugged ...Command) int {
	return NewEnv(stdout, stderr).Run(ctx, args, plugged...)
}

// Run runs one starter command with this configuration (a copy: the
// command's flags change only its own) and returns the exit code: help
// goes to stdout with exit 0; a failure is one line on stderr.
func (e Env) Run(ctx context.Context, args []string, plugged ...Command) int {
	env := &e
	root := newRoot(env)
	for _, c := range plugged {
		root.AddCommand(c(env))
	}
	root.SetArgs(args)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	ran := false // whether a command's own work began: before it, every error is bad input
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if env.servicesErr != nil {
			return Usagef("%v", env.servicesErr)
		}
		ran = true
		env.useFlags(cmd.Flags())
		return nil
	}
	cmd, err := root.ExecuteContextC(ctx)
	var ue *usageError
	var ve *verdictError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ue) || !ran:
		fmt.Fprintf(env.Stderr, "%s: %s\n", cmd.CommandPath(), oneLine(err.Error()))
		return ExitUsage
	case errors.As(err, &ve):
		fmt.Fprintf(env.Stderr, "%s: %s\n", cmd.CommandPath(), oneLine(err.Error()))
		return ExitNo
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		fmt.Fprintf(env.Stderr, "%s: interrupted\n", cmd.CommandPath())
		return ExitInterrupted
	default:
		fmt.Fprintf(env.Stderr, "%s: %s\n", cmd.CommandPath(), oneLine(err.Error()))
		return ExitFailure
	}
}

// newRoot is the starter's command tree, its flags bound to env.
func newRoot(env *Env) *cobra.Command {
	root := &cobra.Command{
		Use:   "starter",
		Short: "Launch purchase sagas, in either mode, and report on them",
		Long: `starter launches purchase sagas, orchestrated (a Temporal workflow) or
choreographed (the services react to each other's events), and reports on
them. Every failure is one line on stderr. Exit codes: 0 ok; 1 something it
needs cannot be reached (or an internal error); 2 bad flags or input; 3 the
saga or the audit says no (FAILED, no longer cancellable, an invariant
broken); 130 interrupted.`,
		Example: `  starter purchase --customer alice --item SKU-1:2 --wait
  starter purchase --mode choreography --customer bob --item SKU-2:1 --wait
  starter list --status CANCELLED
  starter audit
  source <(starter completion bash)`,
		Version:       process.Version(),
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetVersionTemplate("starter {{.Version}}\n")
	f := root.PersistentFlags()
	where := flag.NewFlagSet("", flag.ContinueOnError)
	env.temporalFlags.Register(where)
	env.Services.Flags(where)
	f.AddGoFlagSet(where)
	f.DurationVar(&env.TemporalWait, "temporal-wait", env.TemporalWait, "how long to wait for Temporal to answer (a server restarting) before giving up; 0 tries once")
	f.StringVar(&env.API, "api", env.API, "work through the worker's purchase API at this URL, e.g. http://127.0.0.1:8080 (env SAGA_API_URL), instead of from here")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return Usagef("%v", err) })
	root.AddCommand(newPurchaseCmd(env), newStatusCmd(env), newCancelCmd(env), newListCmd(env),
		newAuditCmd(env), newEventsCmd(env), newDeadlettersCmd(env), newTraceCmd(env))
	return root
}

// noArgs refuses positional arguments.
func noArgs(_ *cobra.Command, args []string) error {
	if len(args) > 0 {
		return Usagef("unexpected argument %q", args[0])
	}
	return nil
}

// orderCommand is a command about one purchase, with an output format: its
// one argument is an ORDER_ID, checked and completed from the order
// service, and handed to run.
func orderCommand(env *Env, verb, short string, run func(ctx context.Context, orderID, format string) error) *cobra.Command {
	cmd := &cobra.Command{Use: verb + " ORDER_ID", Short: short, Args: orderIDArg, ValidArgsFunction: completeOrderIDs(env),
		Example: "  starter " + verb + " ord-1a2b3c\n  starter " + verb + " ord-1a2b3c -o json"}
	return WithOutput(cmd, func(ctx context.Context, args []string, format string) error { return run(ctx, args[0], format) })
}

// orderIDArg wants exactly one ORDER_ID, of the shape every service accepts.
func orderIDArg(_ *cobra.Command, args []string) error {
	if len(args) != 1 {
		return Usagef("want exactly one ORDER_ID, got %d arguments", len(args))
	}
	if err := input.ValidateOrderID(args[0]); err != nil {
		return Usagef("%s", strings.TrimPrefix(err.Error(), "invalid request: "))
	}
	return nil
}

// useFlags applies the Temporal flags given: a profile or config file
// named reloads Temporal's configuration, and the address, namespace and
// UI URL given win over it.
func (e *Env) useFlags(f *pflag.FlagSet) {
	if f.Changed("profile") || f.Changed("config-file") {
		t, err := temporalx.Load(e.temporalFlags.ConfigFile, e.temporalFlags.Profile)
		if e.temporalErr = err; err != nil {
			return
		}
		t.UIURL = e.Temporal.UIURL
		e.Temporal = t
	}
	e.temporalFlags.Apply(&e.Temporal)
}

// Dial connects to Temporal. A server that does not answer may be
// restarting: it tries again, with backoff, for e.TemporalWait, saying
// once on stderr that it waits, then gives up with one line that says
// where it tried. Starting a saga after it is safe: the workflow ID is the
// order's, so a start repeated attaches.
func (e *Env) Dial(ctx context.Context) (client.Client, error) {
	// The SDK logs on stderr, at warn: stdout is the command's output
	// (--json) and must hold nothing else.
	if e.temporalErr != nil {
		return nil, Usagef("%v", e.temporalErr)
	}
	sdkLog := slog.New(slog.NewTextHandler(e.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	giveUp := time.Now().Add(e.TemporalWait)
	backoff := process.Backoff{First: 200 * time.Millisecond, Max: 2 * time.Second}
	for said := false; ; said = true {
		c, err := temporalx.Dial(ctx, e.Temporal, sdkLog, 5*time.Second)
		if err == nil || ctx.Err() != nil || time.Now().After(giveUp) || !mayComeBack(err) {
			return c, err
		}
		if !said {
			fmt.Fprintf(e.Stderr, "waiting for Temporal at %s (up to %s): %s\n", e.Temporal.Address, e.TemporalWait, oneLine(err.Error()))
		}
		if !process.Sleep(ctx, backoff.Next()) {
			return nil, err
		}
	}
}

// mayComeBack tells whether a failure to reach Temporal may heal by
// waiting: nothing answers yet (a server restarting), not a refusal that
// waiting cannot change (a wrong API key, a certificate not trusted).
func mayComeBack(err error) bool {
	msg := err.Error()
	if strings.Contains(msg, "handshake") || strings.Contains(msg, "certificate") {
		return false
	}
	switch status.Code(errors.Unwrap(err)) {
	case codes.Unavailable, codes.DeadlineExceeded:
		return true
	case codes.Unauthenticated, codes.PermissionDenied, codes.NotFound, codes.InvalidArgument:
		return false
	}
	return strings.Contains(msg, "code = Unavailable") || strings.Contains(msg, "connection refused") ||
		strings.Contains(msg, "context deadline exceeded")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
