// Command starter launches purchase sagas and reports on them; see
// "starter --help".
package main

import (
	"fmt"
	"os"

	"github.com/sagaforge/saga/internal/platform/process"
	"github.com/sagaforge/saga/internal/platform/telemetry"
	"github.com/sagaforge/saga/lab/bench"
	"github.com/sagaforge/saga/starter"
)

func main() {
	ctx, stop := process.SignalContext()
	tel, err := telemetry.Setup(ctx, "starter")
	if err != nil {
		fmt.Fprintln(os.Stderr, "starter:", err)
		os.Exit(starter.ExitFailure)
	}
	code := starter.Run(ctx, os.Args[1:], os.Stdout, os.Stderr, bench.Command)
	tel.Flush()
	stop()
	os.Exit(code)
}
