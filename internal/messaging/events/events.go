package events

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/platform/money"
	"github.com/sagaforge/saga/internal/saga"
)

// Type names a domain event.
type Type string

const (
	OrderCreated    Type = "OrderCreated"
	OrderApproved   Type = "OrderApproved"
	OrderCancelled  Type = "OrderCancelled"
	StockReserved   Type = "StockReserved"
	StockRejected   Type = "StockRejected"
	StockReleased   Type = "StockReleased"
	StockShipped    Type = "StockShipped"
	PaymentCaptured Type = "PaymentCaptured"
	PaymentDeclined Type = "PaymentDeclined"
	PaymentRefunded Type = "PaymentRefunded"
	// EventDeadLettered reports an event a consumer could not handle; its
	// data is a DeadLetter. For a choreographed saga it is the step's
	// failure: the order service cancels the order, and the others
	// compensate on OrderCancelled.
	EventDeadLettered Type = "EventDeadLettered"
)

// registry is every event type, one row each, in the order docs and
// contracts list them: its CloudEvents type, its topic and its data type.
// Everything else about a type derives from its row; a new event is a row
// here, its constant above and its data type below (docs/architecture.md).
var registry = []row{
	{OrderCreated, "io.sagaforge.order.created.v1", TopicOrder, data[OrderCreatedData]},
	{OrderApproved, "io.sagaforge.order.approved.v1", TopicOrder, data[OrderApprovedData]},
	{OrderCancelled, "io.sagaforge.order.cancelled.v1", TopicOrder, data[OrderCancelledData]},
	{StockReserved, "io.sagaforge.inventory.stock_reserved.v1", TopicInventory, data[StockReservedData]},
	{StockRejected, "io.sagaforge.inventory.stock_rejected.v1", TopicInventory, data[StockRejectedData]},
	{StockReleased, "io.sagaforge.inventory.stock_released.v1", TopicInventory, data[StockReleasedData]},
	{StockShipped, "io.sagaforge.inventory.stock_shipped.v1", TopicInventory, data[StockShippedData]},
	{PaymentCaptured, "io.sagaforge.payment.captured.v1", TopicPayment, data[PaymentCapturedData]},
	{PaymentDeclined, "io.sagaforge.payment.declined.v1", TopicPayment, data[PaymentDeclinedData]},
	{PaymentRefunded, "io.sagaforge.payment.refunded.v1", TopicPayment, data[PaymentRefundedData]},
	{EventDeadLettered, "io.sagaforge.consumers.dead_lettered.v1", TopicDeadLetter, data[DeadLetter]},
}

// row is one event type in the registry.
type row struct {
	typ   Type
	wire  string // its CloudEvents type
	topic string
	data  func() any // a new value of its data, to decode into
}

func data[D any]() any { return new(D) }

// rows finds each type's row.
var rows = func() map[Type]row {
	m := make(map[Type]row, len(registry))
	for _, r := range registry {
		m[r.typ] = r
	}
	return m
}()

// Types is every event type, in the order docs and contracts list them.
var Types = func() []Type {
	out := make([]Type, len(registry))
	for i, r := range registry {
		out[i] = r.typ
	}
	return out
}()

// TypeFor is the event type whose data is a D; false when no event's is.
func TypeFor[D any]() (Type, bool) { return typeOfData(reflect.TypeFor[D]()) }

// typeOfData is the event type whose data is of type want.
func typeOfData(want reflect.Type) (Type, bool) {
	for _, r := range registry {
		if reflect.TypeOf(r.data()).Elem() == want {
			return r.typ, true
		}
	}
	return "", false
}

// Topic is the topic events of type t go to; "" for a type this package
// does not know.
func (t Type) Topic() string { return rows[t].topic }

// NewData is a new value of the data type of events of type t, to decode
// into; false for a type this package does not know.
func (t Type) NewData() (any, bool) {
	r, ok := rows[t]
	if !ok {
		return nil, false
	}
	return r.data(), true
}

// Source is the CloudEvents source of what service publishes
// ("/sagaforge/order"); a consumer's dead letters come from
// Source("consumers/" + its group).
func Source(service string) string { return "/sagaforge/" + service }

// Envelope is an event: a CloudEvent 1.0 in JSON (structured mode, see
// wire.go), plus the "sagamode" extension. docs/events.md describes every
// type and its data; contracts/ holds their schemas.
type Envelope struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Type            Type            `json:"type"` // on the wire, its versioned CloudEvents type
	Source          string          `json:"source"`
	Subject         string          `json:"subject"` // the order ID
	Time            time.Time       `json:"time"`
	DataContentType string          `json:"datacontenttype"`
	DataSchema      string          `json:"dataschema,omitempty"`
	SagaMode        saga.Mode       `json:"sagamode"`
	Data            json.RawMessage `json:"data"`
}

// Topic is where the event goes: its type's topic.
func (e Envelope) Topic() string { return e.Type.Topic() }

// Service is the short name of the service that published e.
func (e Envelope) Service() string { return strings.TrimPrefix(e.Source, Source("")) }

// New builds an envelope with a fresh ID. data must be one of the *Data
// types below, which always encode.
func New(source string, typ Type, orderID string, mode saga.Mode, data any, now time.Time) Envelope {
	raw, err := json.Marshal(data)
	if err != nil {
		panic(fmt.Sprintf("encode %s data: %v", typ, err))
	}
	if mode == "" {
		mode = saga.Orchestration
	}
	return Envelope{SpecVersion: "1.0", ID: NewID(), Type: typ, Source: source, Subject: orderID,
		Time: now.UTC(), DataContentType: "application/json", DataSchema: typ.Schema(), SagaMode: mode, Data: raw}
}

// Decode parses and checks an envelope.
func Decode(b []byte) (Envelope, error) {
	var e Envelope
	if err := json.Unmarshal(b, &e); err != nil {
		return Envelope{}, fmt.Errorf("decode event: %w", err)
	}
	switch {
	case e.SpecVersion != "1.0":
		return Envelope{}, fmt.Errorf("decode event: specversion %q, want 1.0", e.SpecVersion)
	case e.ID == "" || e.Type == "" || e.Source == "" || e.Subject == "":
		return Envelope{}, fmt.Errorf("decode event: id, type, source and subject are required")
	}
	return e, nil
}

// NewID returns a random UUIDv4 string.
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// The data of each event type.
type (
	OrderCreatedData struct {
		OrderID    string       `json:"order_id"`
		CustomerID string       `json:"customer_id"`
		Items      []input.Item `json:"items"`
		TotalCents money.Cents  `json:"total_cents"`
	}
	OrderApprovedData struct {
		OrderID string `json:"order_id"`
	}
	OrderCancelledData struct {
		OrderID   string `json:"order_id"`
		Reason    string `json:"reason"`
		Tombstone bool   `json:"tombstone,omitempty"`
	}
	StockReservedData struct {
		OrderID string       `json:"order_id"`
		Items   []input.Item `json:"items"`
	}
	StockRejectedData struct {
		OrderID string       `json:"order_id"`
		Items   []input.Item `json:"items"`
		Reason  string       `json:"reason"`
	}
	StockReleasedData struct {
		OrderID string       `json:"order_id"`
		Items   []input.Item `json:"items"`
		// Reason is why the stock went back, when a saga said so.
		Reason string `json:"reason,omitempty"`
		// Voided is true when nothing was reserved: the release left a
		// tombstone instead.
		Voided bool `json:"voided,omitempty"`
	}
	// StockShippedData reports an approved order's stock sent out: what
	// was reserved has left the warehouse.
	StockShippedData struct {
		OrderID string       `json:"order_id"`
		Items   []input.Item `json:"items"`
	}
	PaymentCapturedData struct {
		OrderID     string      `json:"order_id"`
		CustomerID  string      `json:"customer_id"`
		AmountCents money.Cents `json:"amount_cents"`
	}
	PaymentDeclinedData struct {
		OrderID     string      `json:"order_id"`
		CustomerID  string      `json:"customer_id"`
		AmountCents money.Cents `json:"amount_cents"`
		Reason      string      `json:"reason"`
	}
	PaymentRefundedData struct {
		OrderID     string      `json:"order_id"`
		CustomerID  string      `json:"customer_id,omitempty"`
		AmountCents money.Cents `json:"amount_cents"`
		Voided      bool        `json:"voided,omitempty"`
	}
)

// What each event says in a few words, for timelines (Describe).
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

func (d *StockShippedData) describe() string { return "shipped " + lines(d.Items) }

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

// DeadLetter is the data of an EventDeadLettered, which a consumer publishes
// to TopicDeadLetter for an event it could not decode or handle; it keeps
// the original bytes for a replay ("starter deadletters --replay").
type DeadLetter struct {
	Consumer  string    `json:"consumer"`
	Topic     string    `json:"topic"`
	Partition int       `json:"partition"`
	Offset    int64     `json:"offset"`
	Key       string    `json:"key"`
	Reason    string    `json:"reason"`
	Attempts  int       `json:"attempts"`
	FailedAt  time.Time `json:"failed_at"`
	Payload   string    `json:"payload"`
}

// DeadLetter reads the data of an EventDeadLettered.
func (e Envelope) DeadLetter() (DeadLetter, error) {
	if e.Type != EventDeadLettered {
		return DeadLetter{}, fmt.Errorf("decode dead letter: type %s, want %s", e.Type, EventDeadLettered)
	}
	var dl DeadLetter
	if err := json.Unmarshal(e.Data, &dl); err != nil {
		return DeadLetter{}, fmt.Errorf("decode dead letter: %w", err)
	}
	return dl, nil
}
