// Package endpoints says where the three services and Kafka are: the
// services' base URLs, the bearer token their mutating calls need, and the
// brokers. The worker, the services, the starter and the stack read or
// write it here, once, and pass it down.
package endpoints

import (
	"flag"
	"net/http"

	"github.com/sagaforge/saga/internal/messaging/consumed"
	"github.com/sagaforge/saga/internal/messaging/kafkaio"
	"github.com/sagaforge/saga/internal/platform/process"
	"github.com/sagaforge/saga/internal/platform/web"
	"github.com/sagaforge/saga/internal/services/inventory/inventoryapi"
	"github.com/sagaforge/saga/internal/services/order/orderapi"
	"github.com/sagaforge/saga/internal/services/payment/paymentapi"
)

// Endpoints are the services' base URLs and token, and Kafka's brokers.
type Endpoints struct {
	Order, Inventory, Payment string // base URLs, e.g. http://127.0.0.1:8081
	Token                     string // sent as a bearer token (the first of two: web.Tokens); empty sends none
	Brokers                   string // Kafka bootstrap brokers, comma-separated
}

// The environment variables Endpoints are read from.
const (
	EnvOrder     = "ORDER_URL"
	EnvInventory = "INVENTORY_URL"
	EnvPayment   = "PAYMENT_URL"
	EnvToken     = web.EnvToken
	EnvBrokers   = "KAFKA_BROKERS"
)

// FromEnv reads Endpoints from the environment, with the local defaults;
// the token may come from the file SAGA_SERVICE_TOKEN_FILE names.
func FromEnv() (Endpoints, error) {
	token, err := process.Secret(EnvToken, "")
	if err == nil {
		_, err = web.Tokens(token)
	}
	if err != nil {
		return Endpoints{}, err
	}
	return Endpoints{
		Order:     process.Env(EnvOrder, "http://127.0.0.1:8081"),
		Inventory: process.Env(EnvInventory, "http://127.0.0.1:8082"),
		Payment:   process.Env(EnvPayment, "http://127.0.0.1:8083"),
		Token:     token,
		Brokers:   process.Env(EnvBrokers, "127.0.0.1:9092"),
	}, nil
}

// Flags lets --order-url, --inventory-url, --payment-url and --brokers
// override e.
func (e *Endpoints) Flags(fs *flag.FlagSet) {
	fs.StringVar(&e.Order, "order-url", e.Order, "order service (env "+EnvOrder+")")
	fs.StringVar(&e.Inventory, "inventory-url", e.Inventory, "inventory service (env "+EnvInventory+")")
	fs.StringVar(&e.Payment, "payment-url", e.Payment, "payment service (env "+EnvPayment+")")
	e.BrokersFlag(fs)
}

// BrokersFlag lets --brokers override e's brokers, for a process that
// needs Kafka and not the services.
func (e *Endpoints) BrokersFlag(fs *flag.FlagSet) {
	fs.StringVar(&e.Brokers, "brokers", e.Brokers, "Kafka bootstrap brokers, comma-separated (env "+EnvBrokers+")")
}

// Kafka is Brokers, with the TLS and SASL the KAFKA_* variables ask for
// (kafkaio.BrokersFromEnv).
func (e Endpoints) Kafka() (kafkaio.Brokers, error) { return kafkaio.BrokersFromEnv(e.Brokers) }

// Environ is e as the environment a child process reads it from.
func (e Endpoints) Environ() []string {
	env := []string{EnvOrder + "=" + e.Order, EnvInventory + "=" + e.Inventory, EnvPayment + "=" + e.Payment, EnvBrokers + "=" + e.Brokers}
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

// Inboxes are clients of the three services' records of the events they
// consumed (GET /consumed).
func (e Endpoints) Inboxes(httpClient *http.Client) []consumed.Client {
	return []consumed.Client{consumed.NewClient(e.Order, httpClient, e.Token), consumed.NewClient(e.Inventory, httpClient, e.Token),
		consumed.NewClient(e.Payment, httpClient, e.Token)}
}

// Clients returns clients for e.
func (e Endpoints) Clients(httpClient *http.Client) Clients {
	return Clients{
		Orders:    orderapi.NewClient(e.Order, httpClient, e.Token),
		Inventory: inventoryapi.NewClient(e.Inventory, httpClient, e.Token),
		Payments:  paymentapi.NewClient(e.Payment, httpClient, e.Token),
	}
}
