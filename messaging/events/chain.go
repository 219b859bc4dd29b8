package events

// Class is what a reaction is to the saga: a step forward, the undo of one,
// or a fence that every mode relies on.
type Class string

const (
	// Forward takes a choreographed saga a step on; a failure no retry
	// fixes is dead-lettered, which fails the saga.
	Forward Class = "forward"
	// Compensation undoes a choreographed saga's step; it retries for as
	// long as the orchestrator retries an undo.
	Compensation Class = "compensation"
	// Fence records a fact whatever drives the order: an approval makes
	// later refunds and releases refusable.
	Fence Class = "fence"
)

// Reaction is one link of the choreographed saga: when Event is published,
// Service performs Op (named as the orchestrator's steps and compensations
// are), which may publish one of Emits.
type Reaction struct {
	Event   Type
	Service string
	Op      string
	Class   Class
	Emits   []Type
}

// Chain is the choreographed saga, whole: the services' consumers are wired
// from it (consumer.Wire) and docs/failures.md shows it.
var Chain = []Reaction{
	{OrderCreated, "inventory", "reserve", Forward, []Type{StockReserved, StockRejected}},
	{OrderCreated, "payment", "note charge", Forward, nil},
	{StockReserved, "payment", "charge", Forward, []Type{PaymentCaptured, PaymentDeclined}},
	{PaymentCaptured, "order", "approve", Forward, []Type{OrderApproved}},
	{StockRejected, "order", "cancel", Compensation, []Type{OrderCancelled}},
	{PaymentDeclined, "inventory", "release", Compensation, []Type{StockReleased}},
	{StockReleased, "order", "cancel", Compensation, []Type{OrderCancelled}},
	{OrderCancelled, "inventory", "release", Compensation, []Type{StockReleased}},
	{OrderCancelled, "payment", "refund", Compensation, []Type{PaymentRefunded}},
	{EventDeadLettered, "order", "cancel", Compensation, []Type{OrderCancelled}},
	{OrderApproved, "inventory", "fence", Fence, nil},
	{OrderApproved, "payment", "fence", Fence, nil},
}

// TopicOf is the topic an event type is published on.
func TopicOf(t Type) string {
	switch t {
	case OrderCreated, OrderApproved, OrderCancelled:
		return TopicOrder
	case StockReserved, StockRejected, StockReleased:
		return TopicInventory
	case EventDeadLettered:
		return TopicDeadLetter
	}
	return TopicPayment
}

// TopicName is the short name of a topic in consumer group names:
// inventory.on-order reads order.events.
func TopicName(topic string) string {
	switch topic {
	case TopicOrder:
		return "order"
	case TopicInventory:
		return "inventory"
	case TopicPayment:
		return "payment"
	}
	return "deadletter"
}
