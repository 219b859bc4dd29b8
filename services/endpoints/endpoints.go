// Package endpoints says where the three services are: their base URLs and
// the bearer token their mutating calls need. The worker, the starter and
// the stack read or write it here, once, and pass it down.
package endpoints

import (
	"flag"
	"net/http"
	"os"

	"github.com/sagaforge/saga/platform/process"
	"github.com/sagaforge/saga/platform/web"
	"github.com/sagaforge/saga/services/inventory/inventoryapi"
	"github.com/sagaforge/saga/services/order/orderapi"
	"github.com/sagaforge/saga/services/payment/paymentapi"
)

// Endpoints are the services' base URLs and token.
type Endpoints struct {
	Order, Inventory, Payment string // base URLs, e.g. http://127.0.0.1:8081
	Token                     string // sent as a bearer token; empty sends none
}

// The environment variables Endpoints are read from.
const (
	EnvOrder     = "ORDER_URL"
	EnvInventory = "INVENTORY_URL"
	EnvPayment   = "PAYMENT_URL"
	EnvToken     = web.EnvToken
)

// FromEnv reads Endpoints from the environment, with the local defaults.
func FromEnv() Endpoints {
	return Endpoints{
		Order:     process.Env(EnvOrder, "http://127.0.0.1:8081"),
		Inventory: process.Env(EnvInventory, "http://127.0.0.1:8082"),
		Payment:   process.Env(EnvPayment, "http://127.0.0.1:8083"),
		Token:     os.Getenv(EnvToken),
	}
}

// Flags lets --order-url, --inventory-url and --payment-url override e.
func (e *Endpoints) Flags(fs *flag.FlagSet) {
	fs.StringVar(&e.Order, "order-url", e.Order, "order service (env "+EnvOrder+")")
	fs.StringVar(&e.Inventory, "inventory-url", e.Inventory, "inventory service (env "+EnvInventory+")")
	fs.StringVar(&e.Payment, "payment-url", e.Payment, "payment service (env "+EnvPayment+")")
}

// Environ is e as the environment a child process reads it from.
func (e Endpoints) Environ() []string {
	env := []string{EnvOrder + "=" + e.Order, EnvInventory + "=" + e.Inventory, EnvPayment + "=" + e.Payment}
	if e.Token != "" {
		env = append(env, EnvToken+"="+e.Token)
	}
	return env
}

// Clients are the three services' clients, sharing httpClient (nil: the
// default, with keep-alive connections).
type Clients struct {
	Orders    orderapi.Client
	Inventory inventoryapi.Client
	Payments  paymentapi.Client
}

// Clients returns clients for e.
func (e Endpoints) Clients(httpClient *http.Client) Clients {
	return Clients{
		Orders:    orderapi.NewClient(e.Order, httpClient, e.Token),
		Inventory: inventoryapi.NewClient(e.Inventory, httpClient, e.Token),
		Payments:  paymentapi.NewClient(e.Payment, httpClient, e.Token),
	}
}
