// Command order runs the order service (see package order).
package main

import (
	"github.com/sagaforge/saga/services/launch"
	"github.com/sagaforge/saga/services/order"
)

func main() { launch.Main(order.Service) }
