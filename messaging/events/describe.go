package events

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Data is a new value of the data type of events of type t, to decode
// into; false for a type this package does not know.
func Data(t Type) (any, bool) {
	newData, ok := dataTypes[t]
	if !ok {
		return nil, false
	}
	return newData(), true
}

// dataTypes makes the data of each event type.
var dataTypes = map[Type]func() any{
	OrderCreated:      func() any { return new(OrderCreatedData) },
	OrderApproved:     func() any { return new(OrderApprovedData) },
	OrderCancelled:    func() any { return new(OrderCancelledData) },
	StockReserved:     func() any { return new(StockReservedData) },
	StockRejected:     func() any { return new(StockRejectedData) },
	StockReleased:     func() any { return new(StockReleasedData) },
	PaymentCaptured:   func() any { return new(PaymentCapturedData) },
	PaymentDeclined:   func() any { return new(PaymentDeclinedData) },
	PaymentRefunded:   func() any { return new(PaymentRefundedData) },
	EventDeadLettered: func() any { return new(DeadLetter) },
}

// Describe says in a few words what an event reports, for timelines; an
// event it cannot read is shown as its data.
func Describe(e Envelope) string {
	d, ok := Data(e.Type)
	if ok && json.Unmarshal(e.Data, d) == nil {
		if say, ok := d.(interface{ describe() string }); ok {
			return say.describe()
		}
	}
	return string(e.Data)
}

func (d *OrderCreatedData) describe() string {
	return fmt.Sprintf("%s orders %s, total %s", d.CustomerID, lines(d.Items), d.TotalCents)
}

func (d *OrderApprovedData) describe() string { return "approved" }

func (d *OrderCancelledData) describe() string {
	if d.Tombstone {
		return "cancelled before it was created: " + d.Reason
	}
	return "cancelled: " + d.Reason
}

func (d *StockReservedData) describe() string { return "reserved " + lines(d.Items) }

func (d *StockRejectedData) describe() string { return "rejected: " + d.Reason }

func (d *StockReleasedData) describe() string {
	if d.Voided {
		return "nothing was reserved; tombstone left"
	}
	return "released " + lines(d.Items)
}

func (d *PaymentCapturedData) describe() string {
	return fmt.Sprintf("captured %s from %s", d.AmountCents, d.CustomerID)
}

func (d *PaymentDeclinedData) describe() string { return "declined: " + d.Reason }

func (d *PaymentRefundedData) describe() string {
	if d.Voided {
		return "nothing was charged; tombstone left"
	}
	return fmt.Sprintf("refunded %s to %s", d.AmountCents, d.CustomerID)
}

func lines(items []Line) string {
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = fmt.Sprintf("%d x %s", it.Quantity, it.SKU)
	}
	return strings.Join(parts, ", ")
}

// Service is the short name of the service that published e.
func Service(e Envelope) string {
	return strings.TrimPrefix(e.Source, "/sagaforge/")
}
