// Command order runs the order service (see package order), with the lab's fault
// injection plugged in (--faults, --fault-plan).
package main

import (
	"github.com/sagaforge/saga/internal/services/launch"
	"github.com/sagaforge/saga/internal/services/order"
	"github.com/sagaforge/saga/lab/faults"
)

func main() { launch.Main(order.Service, faults.Plug) }
