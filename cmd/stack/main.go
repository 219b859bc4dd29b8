// Command stack runs the whole system on this machine (see package stack).
//
//	stack up              start everything, logs prefixed by process, Ctrl-C stops
//	stack demo [--exit]   start, run an approved and a compensated purchase,
//	                      print their outcomes; --exit stops afterwards and
//	                      exits 0 only if both ended as expected
//	stack bench [-- ARGS] start a fresh stack with the bench seed in
//	                      DATA_DIR/bench, run "starter bench ARGS", stop
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sagaforge/saga/process"
	"github.com/sagaforge/saga/stack"
)

func main() {
	if len(os.Args) < 2 || (os.Args[1] != "up" && os.Args[1] != "demo" && os.Args[1] != "bench") {
		fmt.Fprintln(os.Stderr, "usage: stack up | stack demo [--exit] | stack bench [-- starter bench flags]  [--bin-dir bin] [--data-dir .data]")
		os.Exit(2)
	}
	cfg := stack.DefaultConfig()
	fs := flag.NewFlagSet("stack "+os.Args[1], flag.ContinueOnError)
	fs.StringVar(&cfg.BinDir, "bin-dir", cfg.BinDir, "where the binaries are")
	fs.StringVar(&cfg.DataDir, "data-dir", process.Env("SAGA_DATA_DIR", cfg.DataDir), "where the databases are kept")
	exit := fs.Bool("exit", false, "demo: stop after the demo; exit 0 only if both outcomes were as expected")
	if err := fs.Parse(os.Args[2:]); err != nil {
		os.Exit(2)
	}
	cfg.Output = os.Stdout
	opts := stack.Options{Demo: os.Args[1] == "demo", ExitAfter: *exit}
	if os.Args[1] == "bench" {
		// A fresh stack each time: results must not depend on earlier runs.
		cfg.DataDir = filepath.Join(cfg.DataDir, "bench")
		if err := os.RemoveAll(cfg.DataDir); err != nil {
			fmt.Fprintln(os.Stderr, "stack bench:", err)
			os.Exit(1)
		}
		cfg.Seed, cfg.Output = "bench", io.Discard
		cfg.Env = append(cfg.Env, "SAGA_LOG_LEVEL=warn")
		opts.Bench, opts.ExitAfter = append([]string{}, fs.Args()...), true
	}
	ctx, stop := process.SignalContext()
	defer stop()
	os.Exit(stack.Run(ctx, cfg, opts, os.Stdout))
}
