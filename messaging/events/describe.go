package events

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Describe says in a few words what an event reports, for timelines.
func Describe(e Envelope) string {
	decode := func(v any) bool { return json.Unmarshal(e.Data, v) == nil }
	switch e.Type {
	case OrderCreated:
		var d OrderCreatedData
		if decode(&d) {
			return fmt.Sprintf("%s orders %s, total %s", d.CustomerID, lines(d.Items), d.TotalCents)
		}
	case OrderApproved:
		return "approved"
	case OrderCancelled:
		var d OrderCancelledData
		if decode(&d) {
			if d.Tombstone {
				return "cancelled before it was created: " + d.Reason
			}
			return "cancelled: " + d.Reason
		}
	case StockReserved:
		var d StockReservedData
		if decode(&d) {
			return "reserved " + lines(d.Items)
		}
	case StockRejected:
		var d StockRejectedData
		if decode(&d) {
			return "rejected: " + d.Reason
		}
	case StockReleased:
		var d StockReleasedData
		if decode(&d) {
			if d.Voided {
				return "nothing was reserved; tombstone left"
			}
			return "released " + lines(d.Items)
		}
	case PaymentCaptured:
		var d PaymentCapturedData
		if decode(&d) {
			return fmt.Sprintf("captured %s from %s", d.AmountCents, d.CustomerID)
		}
	case PaymentDeclined:
		var d PaymentDeclinedData
		if decode(&d) {
			return "declined: " + d.Reason
		}
	case PaymentRefunded:
		var d PaymentRefundedData
		if decode(&d) {
			if d.Voided {
				return "nothing was charged; tombstone left"
			}
			return fmt.Sprintf("refunded %s to %s", d.AmountCents, d.CustomerID)
		}
	}
	return string(e.Data)
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
