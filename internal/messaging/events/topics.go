// Package events is the registry of the domain events the services publish
// to Kafka: each type's CloudEvents name, topic and data type in one table
// (events.go), the envelope, and how it reads on the wire (wire.go). Kafka
// I/O is package kafkaio's; the choreography they drive, package chain's.
package events

// One topic per publishing service, keyed by order ID so that all events of
// one order land on one partition, in order.
const (
	TopicOrder      = "order.events"
	TopicInventory  = "inventory.events"
	TopicPayment    = "payment.events"
	TopicDeadLetter = "saga.deadletter"
)

// Topics is every topic the stack uses; the embedded broker creates them at
// start and docker-compose's Kafka init does the same.
var Topics = []string{TopicOrder, TopicInventory, TopicPayment, TopicDeadLetter}
