// Command stack runs the whole system on this machine (see package stack).
//
//	stack up              start everything, logs prefixed by process, Ctrl-C stops
//	stack demo [--exit]   start, run an approved and a compensated purchase,
//	                      print their outcomes; --exit stops afterwards and
//	                      exits 0 only if both ended as expected
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/sagaforge/saga/process"
	"github.com/sagaforge/saga/stack"
)

func main() {
	if len(os.Args) < 2 || (os.Args[1] != "up" && os.Args[1] != "demo") {
		fmt.Fprintln(os.Stderr, "usage: stack up | stack demo [--exit] [--bin-dir bin] [--data-dir .data]")
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
	ctx, stop := process.SignalContext()
	defer stop()
	os.Exit(stack.Run(ctx, cfg, os.Args[1] == "demo", *exit, os.Stdout))
}
