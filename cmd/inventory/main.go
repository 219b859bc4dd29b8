// Command inventory runs the inventory service (see package inventory), with the lab's fault
// injection plugged in (--faults, --fault-plan).
package main

import (
	"github.com/sagaforge/saga/internal/services/inventory"
	"github.com/sagaforge/saga/internal/services/launch"
	"github.com/sagaforge/saga/lab/faults"
)

func main() { launch.Main(inventory.Service, faults.Plug) }
