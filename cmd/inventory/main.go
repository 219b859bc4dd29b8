// Command inventory runs the inventory service (see package inventory).
package main

import (
	"github.com/sagaforge/saga/services/inventory"
	"github.com/sagaforge/saga/services/launch"
)

func main() { launch.Main(inventory.Service) }
