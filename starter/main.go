// Command starter launches purchase sagas and reports on them; see
// "starter help".
package main

import (
	"os"

	"github.com/sagaforge/saga/cli"
	"github.com/sagaforge/saga/process"
)

func main() {
	ctx, stop := process.SignalContext()
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
