// Command starter launches purchase sagas and reports on them; see
// "starter --help".
package main

import (
	"os"

	"github.com/sagaforge/saga/platform/process"
	"github.com/sagaforge/saga/starter"
)

func main() {
	ctx, stop := process.SignalContext()
	code := starter.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
