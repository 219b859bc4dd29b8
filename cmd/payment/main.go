// Command payment runs the payment service (see package payment).
package main

import (
	"github.com/sagaforge/saga/services/launch"
	"github.com/sagaforge/saga/services/payment"
)

func main() { launch.Main(payment.Service) }
