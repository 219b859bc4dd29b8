// Command payment runs the payment service (see package payment), with the lab's fault
// injection plugged in (--faults, --fault-plan).
package main

import (
	"github.com/sagaforge/saga/internal/services/launch"
	"github.com/sagaforge/saga/internal/services/payment"
	"github.com/sagaforge/saga/lab/faults"
)

func main() { launch.Main(payment.Service, faults.Plug) }
