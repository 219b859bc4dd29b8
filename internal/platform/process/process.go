// Package process holds what every binary of the stack does the same way:
// flag defaults from the environment, a JSON-or-text slog logger, and a
// context cancelled by SIGINT/SIGTERM.
package process

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/sagaforge/saga/internal/platform/telemetry"
)

// ParseFlags parses args into fs as every binary here does: -h or --help
// prints the usage on stdout and exits 0; --version prints Version and
// exits 0; a bad flag prints the error and the usage on stderr and exits 2.
func ParseFlags(fs *flag.FlagSet, args []string) {
	fs.SetOutput(io.Discard)
	var version *bool
	if fs.Lookup("version") == nil {
		version = fs.Bool("version", false, "print the version (module, commit, Go) and exit")
	}
	err := fs.Parse(args)
	switch {
	case err == nil && version != nil && *version:
		fmt.Println(fs.Name(), Version())
		os.Exit(0)
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(os.Stdout)
		fs.Usage()
		os.Exit(0)
	case err != nil:
		fs.SetOutput(os.Stderr)
		fmt.Fprintln(os.Stderr, err)
		fs.Usage()
		os.Exit(2)
	}
	fs.SetOutput(os.Stderr)
}

// Env returns the environment variable key, or def when it is unset.
func Env(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}

// DurationFlag defines a duration flag whose default is the environment
// variable env when set, else def. A malformed value in env is an error
// here, not a silent fall back to def.
func DurationFlag(fs *flag.FlagSet, name, env string, def time.Duration, usage string) (*time.Duration, error) {
	d := fs.Duration(name, def, usage+" (env "+env+")")
	if v := os.Getenv(env); v != "" {
		if err := fs.Set(name, v); err != nil {
			return nil, fmt.Errorf("%s=%q: want a duration such as 90s", env, v)
		}
	}
	return d, nil
}

// Logger writes text logs to stderr; SAGA_LOG_FORMAT=json switches to JSON and
// SAGA_LOG_LEVEL=debug|warn|error changes the level. A record logged with a
// context carries its trace_id and span_id.
func Logger(name string) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(Env("SAGA_LOG_LEVEL", "info")))
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(os.Stderr, opts)
	if Env("SAGA_LOG_FORMAT", "text") == "json" {
		h = slog.NewJSONHandler(os.Stderr, opts)
	}
	return slog.New(telemetry.LogHandler(h)).With("service", name)
}

// SignalContext is cancelled on SIGINT or SIGTERM.
func SignalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// Sleep waits for d or until ctx is done, and reports whether it waited the
// whole time.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Every calls fn every d until ctx is done.
func Every(ctx context.Context, d time.Duration, fn func()) {
	tick := time.NewTicker(d)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			fn()
		}
	}
}

// TuneRuntime sets up a long-running process of the stack. Its live heap is
// a few MB, so collecting at 5x it instead of 2x costs little memory and
// most of the collector's CPU (GOGC, when set, still decides). With
// SAGA_CPUPROFILE_DIR=DIR it writes DIR/NAME.cpu.pprof until stop, to see
// where a benchmark's time goes.
func TuneRuntime(name string) (stop func(), err error) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	dir := os.Getenv("SAGA_CPUPROFILE_DIR")
	if dir == "" {
		return func() {}, nil
	}
	stop, err = CPUProfile(filepath.Join(dir, name+".cpu.pprof"))
	if err != nil {
		return nil, fmt.Errorf("SAGA_CPUPROFILE_DIR: %w", err)
	}
	return stop, nil
}

// CPUProfile writes a CPU profile to path until the returned stop is called.
func CPUProfile(path string) (stop func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// Backoff is the schedule of every retry loop here: waits that double from
// First up to Max, each drawn between half and all of its step (equal
// jitter), so that processes that failed together, say every consumer of a
// broker that just came back, do not retry in lockstep. The zero value
// waits nothing; First == Max is a steady wait with jitter. It is
// cenkalti/backoff's exponential schedule, centred so that its jitter of a
// third either side spans [step/2, step].
type Backoff struct {
	First, Max time.Duration
	exp        *backoff.ExponentialBackOff
}

// Next is how long to wait before the next try.
func (b *Backoff) Next() time.Duration {
	if b.First <= 0 {
		return 0
	}
	if b.exp == nil {
		b.exp = &backoff.ExponentialBackOff{InitialInterval: b.First * 3 / 4, MaxInterval: max(b.First, b.Max) * 3 / 4,
			Multiplier: 2, RandomizationFactor: 1.0 / 3}
		b.exp.Reset()
	}
	return b.exp.NextBackOff()
}

// Reset starts the schedule again from First, after a success.
func (b *Backoff) Reset() {
	if b.exp != nil {
		b.exp.Reset()
	}
}
