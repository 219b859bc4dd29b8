package contracts_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sagaforge/saga/internal/messaging/consumer"
	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/messaging/kafkaio"
	"github.com/sagaforge/saga/internal/platform/money"
	"github.com/sagaforge/saga/internal/platform/web"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/internal/services/inventory"
	"github.com/sagaforge/saga/internal/services/inventory/inventoryapi"
	"github.com/sagaforge/saga/internal/services/order"
	"github.com/sagaforge/saga/internal/services/order/orderapi"
	"github.com/sagaforge/saga/internal/services/payment"
	"github.com/sagaforge/saga/internal/services/payment/paymentapi"
	"github.com/sagaforge/saga/lab/broker"
	"github.com/sagaforge/saga/workers/purchases"
)

var update = flag.Bool("update", false, "write the contracts from the code")

// enums are the string types that hold one of a few values.
var enums = map[reflect.Type][]string{
	reflect.TypeFor[orderapi.Status]():     {string(orderapi.StatusPending), string(orderapi.StatusApproved), string(orderapi.StatusCancelled)},
	reflect.TypeFor[inventoryapi.Status](): {string(inventoryapi.Reserved), string(inventoryapi.Rejected), string(inventoryapi.Released), string(inventoryapi.Voided), string(inventoryapi.Shipped)},
	reflect.TypeFor[paymentapi.Status]():   {string(paymentapi.Captured), string(paymentapi.Declined), string(paymentapi.Refunded), string(paymentapi.Voided)},
	reflect.TypeFor[saga.Mode]():           {string(saga.Orchestration), string(saga.Choreography)},
}

// schemaOf is the JSON Schema of t's JSON encoding. A struct that named
// gives a name to becomes a reference to it; others are written inline.
func schemaOf(t reflect.Type, named func(reflect.Type) (string, bool)) map[string]any {
	if values, ok := enums[t]; ok {
		return map[string]any{"type": "string", "enum": values}
	}
	switch t {
	case reflect.TypeFor[time.Time]():
		return map[string]any{"type": "string", "format": "date-time"}
	case reflect.TypeFor[money.Cents]():
		return map[string]any{"type": "integer", "description": "an amount of money in cents"}
	case reflect.TypeFor[events.Envelope]():
		return map[string]any{"type": "object", "description": "a CloudEvent 1.0 in structured mode, as asyncapi.yaml describes each type"}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int32, reflect.Int64:
		return map[string]any{"type": "integer"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem(), named)}
	case reflect.Pointer: // an optional object: omitempty leaves it out
		return schemaOf(t.Elem(), named)
	case reflect.Struct:
		if name, ok := named(t); ok {
			return map[string]any{"$ref": "#/components/schemas/" + name}
		}
		return objectOf(t, named)
	}
	panic(fmt.Sprintf("no JSON Schema for %s", t))
}

// objectOf is a struct's schema: its JSON fields, those without omitempty
// required. Embedded structs lend their fields.
func objectOf(t reflect.Type, named func(reflect.Type) (string, bool)) map[string]any {
	props := map[string]any{}
	required := []string{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for f := range t.Fields() {
			if f.Anonymous {
				walk(f.Type)
				continue
			}
			tag, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || tag == "-" || tag == "" {
				continue
			}
			props[tag] = schemaOf(f.Type, named)
			if !strings.Contains(opts, "omitempty") {
				required = append(required, tag)
			}
		}
	}
	walk(t)
	return map[string]any{"type": "object", "properties": props, "required": required}
}

func inline(reflect.Type) (string, bool) { return "", false }

// eventData is the Go type of each event type's data.
func eventData(t events.Type) reflect.Type {
	d, ok := t.NewData()
	if !ok {
		panic(fmt.Sprintf("no data type for %s", t))
	}
	return reflect.TypeOf(d).Elem()
}

// eventSchema is the JSON Schema file of one type's data.
func eventSchema(t events.Type) map[string]any {
	s := objectOf(eventData(t), inline)
	s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	s["$id"] = t.Schema()
	s["title"] = t.Wire()
	s["description"] = "The data of an event of type " + string(t) + " (docs/events.md)."
	return s
}

// route is one endpoint of a service, as the OpenAPI document gives it.
type route struct {
	service, summary string
	in, out          reflect.Type // in is nil for a request without a body
	status           int
	query            []string // query parameters, all optional strings
}

// routes are every endpoint of the three services but /healthz, by
// pattern. The test checks the services serve exactly these.
var routes = map[string]route{
	"POST /orders": {"order", "Create a PENDING order; order_id is the idempotency key (201 new, 200 a repeat)",
		reflect.TypeFor[orderapi.CreateOrderRequest](), reflect.TypeFor[orderapi.OrderResponse](), http.StatusCreated, nil},
	"GET /orders/{order_id}": {"order", "An order; with ?wait=10s, once it is no longer PENDING or the wait runs out",
		nil, reflect.TypeFor[orderapi.OrderResponse](), http.StatusOK, []string{"wait"}},
	"GET /orders": {"order", "Orders, newest first (?before= the next of the page before); ?after= pages in ID order",
		nil, reflect.TypeFor[orderapi.ListOrdersResponse](), http.StatusOK, []string{"status", "customer_id", "mode", "before", "after", "limit"}},
	"POST /orders/{order_id}/approve": {"order", "Approve a PENDING order: the saga's pivot",
		nil, reflect.TypeFor[orderapi.OrderResponse](), http.StatusOK, nil},
	"POST /orders/{order_id}/cancel": {"order", "Cancel a PENDING order with its reason; refused once approved",
		reflect.TypeFor[orderapi.CancelOrderRequest](), reflect.TypeFor[orderapi.OrderResponse](), http.StatusOK, nil},
	"POST /reservations": {"inventory", "Reserve every line or none; order_id is the idempotency key",
		reflect.TypeFor[inventoryapi.ReserveRequest](), reflect.TypeFor[inventoryapi.ReservationResponse](), http.StatusOK, nil},
	"POST /reservations/{order_id}/release": {"inventory", "Give a reservation back (a tombstone if none was made); refused once the order is approved",
		reflect.TypeFor[inventoryapi.ReleaseRequest](), reflect.TypeFor[inventoryapi.ReservationResponse](), http.StatusOK, nil},
	"POST /reservations/{order_id}/ship": {"inventory", "Ship an approved order's reserved stock, after the pivot (a repeat answers as the first); 409 if nothing is held",
		nil, reflect.TypeFor[inventoryapi.ReservationResponse](), http.StatusOK, nil},
	"GET /reservations/{order_id}": {"inventory", "An order's reservation",
		nil, reflect.TypeFor[inventoryapi.ReservationResponse](), http.StatusOK, nil},
	"GET /reservations": {"inventory", "Reservations in order-ID order",
		nil, reflect.TypeFor[inventoryapi.ListReservationsResponse](), http.StatusOK, []string{"after", "limit"}},
	"GET /stock/{sku}": {"inventory", "One SKU's stock",
		nil, reflect.TypeFor[inventoryapi.StockResponse](), http.StatusOK, nil},
	"GET /stock": {"inventory", "Every SKU's stock",
		nil, reflect.TypeFor[inventoryapi.ListStockResponse](), http.StatusOK, nil},
	"POST /payments": {"payment", "Charge a customer; order_id is the idempotency key",
		reflect.TypeFor[paymentapi.ChargeRequest](), reflect.TypeFor[paymentapi.PaymentResponse](), http.StatusOK, nil},
	"POST /payments/{order_id}/refund": {"payment", "Refund a payment (a tombstone if none was made); refused once the order is approved",
		nil, reflect.TypeFor[paymentapi.PaymentResponse](), http.StatusOK, nil},
	"GET /payments/{order_id}": {"payment", "An order's payment",
		nil, reflect.TypeFor[paymentapi.PaymentResponse](), http.StatusOK, nil},
	"GET /payments": {"payment", "Payments in order-ID order",
		nil, reflect.TypeFor[paymentapi.ListPaymentsResponse](), http.StatusOK, []string{"customer_id", "after", "limit"}},
	"GET /accounts/{customer_id}": {"payment", "A customer's balance",
		nil, reflect.TypeFor[paymentapi.AccountResponse](), http.StatusOK, nil},
	"GET /accounts": {"payment", "Every customer's balance",
		nil, reflect.TypeFor[paymentapi.ListAccountsResponse](), http.StatusOK, nil},
	"POST /purchases": {"worker", "Start a purchase in either mode, or attach to the one its order_id names; Prefer: wait=N answers 200 with the outcome if it comes in time, else 202 with Location",
		reflect.TypeFor[purchases.Request](), reflect.TypeFor[purchases.Report](), http.StatusOK, nil},
	"GET /purchases/{order_id}": {"worker", "A purchase in either mode: status, current step, steps done, compensations, reason; ?wait= for its outcome",
		nil, reflect.TypeFor[purchases.Report](), http.StatusOK, []string{"wait"}},
	"GET /purchases": {"worker", "Purchases in both modes, newest first: the order service's orders with each orchestrated saga's status from Temporal's visibility; ?cursor= the next of the page before",
		nil, reflect.TypeFor[purchases.Page](), http.StatusOK, []string{"status", "mode", "customer_id", "limit", "cursor"}},
	"GET /purchases/{order_id}/timeline": {"worker", "A purchase's steps and compensations on one time axis, who did each and when; a choreographed one's events with their hops (commit, publish, consume)",
		nil, reflect.TypeFor[purchases.Timeline](), http.StatusOK, nil},
	"GET /purchases/{order_id}/events": {"worker", "A purchase's events as they are on Kafka, with when each was published and where it is",
		nil, reflect.TypeFor[[]purchases.Event](), http.StatusOK, nil},
	"POST /purchases/{order_id}/cancel": {"worker", "Cancel a purchase in flight; answered 200 once its compensations are done, or 202 while they still run after the wait; refused once the approval began",
		reflect.TypeFor[purchases.CancelRequest](), reflect.TypeFor[purchases.Report](), http.StatusOK, nil},
}

var servers = map[string]string{"order": "http://127.0.0.1:8081", "inventory": "http://127.0.0.1:8082", "payment": "http://127.0.0.1:8083",
	"worker": "http://127.0.0.1:8080"}

// openAPI is the OpenAPI 3.1 document of the three services.
func openAPI() map[string]any {
	components := map[string]any{}
	var named func(reflect.Type) (string, bool)
	named = func(t reflect.Type) (string, bool) {
		if t.PkgPath() == "" || t == reflect.TypeFor[time.Time]() {
			return "", false
		}
		name := t.Name()
		if _, done := components[name]; !done {
			components[name] = nil // taken before its fields, for recursion
			components[name] = objectOf(t, named)
		}
		return name, true
	}
	problem := map[string]any{"description": "RFC 9457 problem: the code says what went wrong (docs/failures.md)",
		"content": map[string]any{"application/problem+json": map[string]any{"schema": schemaOf(reflect.TypeFor[web.Problem](), named)}}}
	paths := map[string]any{}
	for pattern, r := range routes {
		method, path, _ := strings.Cut(pattern, " ")
		op := map[string]any{"operationId": r.service + "." + operationName(method, path), "summary": r.summary, "tags": []string{r.service},
			"responses": map[string]any{
				fmt.Sprint(r.status): map[string]any{"description": http.StatusText(r.status),
					"content": map[string]any{"application/json": map[string]any{"schema": schemaOf(r.out, named)}}},
				"4XX": problem, "5XX": problem,
			}}
		if pattern == "POST /purchases" {
			op["responses"].(map[string]any)["202"] = map[string]any{"description": "Accepted: still running; follow it at Location",
				"headers": map[string]any{"Location": map[string]any{"schema": map[string]any{"type": "string"}, "description": "/purchases/{order_id}"}},
				"content": map[string]any{"application/json": map[string]any{"schema": schemaOf(r.out, named)}}}
			op["parameters"] = []any{map[string]any{"name": "Prefer", "in": "header", "description": "RFC 7240 wait=N: wait up to N seconds (at most 60) for the outcome",
				"schema": map[string]any{"type": "string"}},
				map[string]any{"name": "Idempotency-Key", "in": "header", "description": "draft-ietf-httpapi-idempotency-key-header: without an order_id, the same key buys under the same order ID, so a retry attaches instead of buying twice; the key with another request is refused with 422",
					"schema": map[string]any{"type": "string", "maxLength": 255}}}
		}
		if pattern == "POST /purchases/{order_id}/cancel" {
			op["responses"].(map[string]any)["202"] = map[string]any{"description": "Accepted: the compensations still run; follow it at Location",
				"headers": map[string]any{"Location": map[string]any{"schema": map[string]any{"type": "string"}, "description": "/purchases/{order_id}"}},
				"content": map[string]any{"application/json": map[string]any{"schema": schemaOf(r.out, named)}}}
			op["parameters"] = []any{map[string]any{"name": "Prefer", "in": "header", "description": "RFC 7240 wait=N: wait up to N seconds (at most 60, the default) for the compensations",
				"schema": map[string]any{"type": "string"}}}
		}
		var params []any
		if p, ok := op["parameters"].([]any); ok {
			params = p
		}
		for _, seg := range strings.Split(path, "/") {
			if name, ok := strings.CutPrefix(seg, "{"); ok {
				params = append(params, map[string]any{"name": strings.TrimSuffix(name, "}"), "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
			}
		}
		for _, q := range r.query {
			params = append(params, map[string]any{"name": q, "in": "query", "schema": map[string]any{"type": "string"}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if r.in != nil {
			op["requestBody"] = map[string]any{"required": !strings.HasSuffix(pattern, "/release"),
				"content": map[string]any{"application/json": map[string]any{"schema": schemaOf(r.in, named)}}}
		}
		item, _ := paths[path].(map[string]any)
		if item == nil {
			item = map[string]any{"servers": []any{map[string]any{"url": servers[r.service], "description": "the " + r.service + " service"}}}
			paths[path] = item
		}
		item[strings.ToLower(method)] = op
	}
	var all []any
	for _, s := range []string{"order", "inventory", "payment", "worker"} {
		all = append(all, map[string]any{"url": servers[s], "description": "the " + s + " service"})
	}
	paths["/healthz"] = map[string]any{"servers": all, "get": map[string]any{"operationId": "healthz", "summary": "200 while the service's database answers",
		"security": []any{}, "responses": map[string]any{"200": map[string]any{"description": "healthy"}, "503": problem}}}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "sagaforge services", "version": "1",
			"description": "The HTTP APIs of the order, inventory and payment services that both saga modes call, and the purchase API the worker serves to clients. Every mutating call is idempotent under retry. Errors are application/problem+json."},
		"servers":    all,
		"security":   []any{map[string]any{"bearer": []any{}}},
		"paths":      paths,
		"components": map[string]any{"schemas": components, "securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer", "description": "SAGA_SERVICE_TOKEN, when the services are started with one"}}},
	}
}

// operationName is "getOrders", "postOrdersApprove" and so on.
func operationName(method, path string) string {
	name := strings.ToLower(method)
	for _, seg := range strings.Split(path, "/") {
		if seg == "" || strings.HasPrefix(seg, "{") {
			continue
		}
		name += strings.ToUpper(seg[:1]) + seg[1:]
	}
	if strings.Contains(path, "{") && !strings.HasSuffix(path, "}") {
		return name
	}
	if strings.HasSuffix(path, "}") {
		name += "One"
	}
	return name
}

// asyncAPI is the AsyncAPI 3 document of the topics and their events:
// each topic's partitions as deploy/kafka/topics creates them, what each
// service publishes, and what each of its consumer groups receives.
func asyncAPI() (map[string]any, error) {
	channels, operations, messages := map[string]any{}, map[string]any{}, map[string]any{}
	topics, err := broker.ReadTopics("../deploy/kafka/topics")
	if err != nil {
		return nil, err
	}
	partitions := map[string]int{}
	for _, t := range topics {
		partitions[t.Name] = t.Partitions
	}
	publisher := map[string]string{events.TopicOrder: "order", events.TopicInventory: "inventory", events.TopicPayment: "payment", events.TopicDeadLetter: "a consumer that gives up on an event"}
	for _, topic := range events.Topics {
		name := strings.ReplaceAll(topic, ".", "_")
		refs := map[string]any{}
		for _, t := range events.Types {
			if t.Topic() != topic {
				continue
			}
			refs[string(t)] = map[string]any{"$ref": "#/components/messages/" + string(t)}
		}
		channels[name] = map[string]any{"address": topic, "messages": refs,
			"description": "Published by " + publisher[topic] + ", keyed by order ID: one order's events keep their order.",
			"bindings":    map[string]any{"kafka": map[string]any{"partitions": partitions[topic], "bindingVersion": "0.5.0"}}}
		var opMessages []any
		for t := range refs {
			opMessages = append(opMessages, map[string]any{"$ref": "#/channels/" + name + "/messages/" + t})
		}
		slices.SortFunc(opMessages, func(a, b any) int {
			return strings.Compare(a.(map[string]any)["$ref"].(string), b.(map[string]any)["$ref"].(string))
		})
		operations["publish_"+name] = map[string]any{"action": "send", "channel": map[string]any{"$ref": "#/channels/" + name}, "messages": opMessages}
	}
	// The services' consumer groups, as they wire them; a nil store is
	// never called here.
	var subs []consumer.Subscription
	for _, wire := range []func() ([]consumer.Subscription, error){
		func() ([]consumer.Subscription, error) { return order.Subscriptions(nil) },
		func() ([]consumer.Subscription, error) { return inventory.Subscriptions(nil) },
		func() ([]consumer.Subscription, error) { return payment.Subscriptions(nil) },
	} {
		got, err := wire()
		if err != nil {
			return nil, err
		}
		subs = append(subs, got...)
	}
	for _, sub := range subs {
		name := strings.ReplaceAll(strings.ReplaceAll(sub.Name, ".", "_"), "-", "_")
		channel := strings.ReplaceAll(sub.Topic, ".", "_")
		var opMessages []any
		for _, handlers := range []map[events.Type]consumer.Handler{sub.Handlers, sub.Compensations, sub.Fences, sub.Retriables} {
			for t := range handlers {
				opMessages = append(opMessages, map[string]any{"$ref": "#/channels/" + channel + "/messages/" + string(t)})
			}
		}
		slices.SortFunc(opMessages, func(a, b any) int {
			return strings.Compare(a.(map[string]any)["$ref"].(string), b.(map[string]any)["$ref"].(string))
		})
		opMessages = slices.CompactFunc(opMessages, func(a, b any) bool {
			return a.(map[string]any)["$ref"] == b.(map[string]any)["$ref"]
		})
		operations["receive_"+name] = map[string]any{"action": "receive", "channel": map[string]any{"$ref": "#/channels/" + channel},
			"messages": opMessages, "summary": "Consumer group " + sub.Name + ": the events it acts on; it skips the topic's others.",
			"bindings": map[string]any{"kafka": map[string]any{"groupId": map[string]any{"type": "string", "const": sub.Name}, "bindingVersion": "0.5.0"}}}
	}
	for _, t := range events.Types {
		messages[string(t)] = map[string]any{
			"name": t.Wire(), "title": string(t), "contentType": "application/cloudevents+json",
			"summary": "A CloudEvent in structured mode; its data follows the JSON Schema in dataschema. The consumers also accept the binding's binary mode (ce_ headers, the data alone as the value).",
			"headers": map[string]any{"type": "object", "properties": map[string]any{
				"content-type": map[string]any{"type": "string", "const": kafkaio.ContentType},
				"traceparent":  map[string]any{"type": "string", "description": "W3C trace context of the change that published it"}}},
			"payload": map[string]any{"type": "object", "required": []string{"specversion", "id", "type", "source", "subject", "time", "datacontenttype", "dataschema", "sagamode", "data"},
				"properties": map[string]any{
					"specversion": map[string]any{"const": "1.0"}, "id": map[string]any{"type": "string", "format": "uuid"},
					"type": map[string]any{"const": t.Wire()}, "source": map[string]any{"type": "string"},
					"subject": map[string]any{"type": "string", "description": "the order ID, also the Kafka key"},
					"time":    map[string]any{"type": "string", "format": "date-time"}, "datacontenttype": map[string]any{"const": "application/json"},
					"dataschema": map[string]any{"const": t.Schema()}, "sagamode": schemaOf(reflect.TypeFor[saga.Mode](), inline),
					"data": map[string]any{"$ref": "./events/" + t.Wire() + ".json"}}},
			"bindings": map[string]any{"kafka": map[string]any{"key": map[string]any{"type": "string", "description": "the order ID"}, "bindingVersion": "0.5.0"}},
		}
	}
	return map[string]any{
		"asyncapi": "3.0.0",
		"info": map[string]any{"title": "sagaforge domain events", "version": "1",
			"description": "Every state change of the order, inventory and payment services, published through a transactional outbox: at least once, deduplicated by id, keyed by order ID and partitioned by murmur2 (Kafka's default partitioner). docs/events.md says when each is published and how types change (compatibility)."},
		"servers":    map[string]any{"local": map[string]any{"host": "127.0.0.1:9092", "protocol": "kafka", "description": "make up's embedded broker, or compose's Kafka"}},
		"channels":   channels,
		"operations": operations,
		"components": map[string]any{"messages": messages},
	}, nil
}

// golden compares want, encoded, with the file at path; -update writes it.
func golden(t *testing.T, path string, want []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("%s is not what the code says (%v): go test ./contracts -update writes it again", path, err)
	}
}

func toYAML(t *testing.T, v any, header string) []byte {
	t.Helper()
	var b bytes.Buffer
	b.WriteString(header)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(ordered(v)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// first are the keys a reader looks for first, in this order; the others
// follow alphabetically.
var first = []string{"openapi", "asyncapi", "info", "title", "version", "name", "operationId", "summary", "description",
	"servers", "security", "channels", "operations", "paths", "address", "action", "channel", "tags", "parameters",
	"requestBody", "responses", "type", "format", "enum", "const", "required", "properties", "items"}

// ordered is v as a YAML node whose mappings list first's keys first.
func ordered(v any) *yaml.Node {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		rank := func(k string) int {
			if i := slices.Index(first, k); i >= 0 {
				return i
			}
			return len(first)
		}
		slices.SortFunc(keys, func(a, b string) int {
			if ra, rb := rank(a), rank(b); ra != rb {
				return ra - rb
			}
			return strings.Compare(a, b)
		})
		n := &yaml.Node{Kind: yaml.MappingNode}
		for _, k := range keys {
			n.Content = append(n.Content, ordered(k), ordered(v[k]))
		}
		return n
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for _, e := range v {
			n.Content = append(n.Content, ordered(e))
		}
		return n
	case []string:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for _, e := range v {
			n.Content = append(n.Content, ordered(e))
		}
		return n
	}
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		panic(err)
	}
	return &n
}

const generated = "# Generated from the code by contracts/contracts_test.go: go test ./contracts -update.\n"

func TestEventSchemasAreTheCodes(t *testing.T) {
	want := map[string]bool{}
	for _, typ := range events.Types {
		if _, ok := typ.NewData(); !ok {
			t.Fatalf("%s: events.Data knows no data type for it", typ)
		}
		b, err := json.MarshalIndent(eventSchema(typ), "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		name := typ.Wire() + ".json"
		want[name] = true
		golden(t, filepath.Join("events", name), append(b, '\n'))
	}
	files, _ := filepath.Glob("events/*.json")
	for _, f := range files {
		if !want[filepath.Base(f)] {
			t.Errorf("%s is the schema of no event type", f)
		}
	}
}

func TestAsyncAPIIsTheCodes(t *testing.T) {
	doc, err := asyncAPI()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "asyncapi.yaml", toYAML(t, doc, generated))
}

// The OpenAPI document describes exactly the routes the services serve,
// with their bodies' fields from the wire types.
func TestOpenAPIIsTheCodes(t *testing.T) {
	served := map[string]bool{}
	// The handlers are built, never called: stores with no database will do.
	for _, rs := range []web.Routes{order.Routes(nil, nil), inventory.Routes(&inventory.Store{}, nil), payment.Routes(&payment.Store{}, nil), purchases.Routes(nil, nil)} {
		for pattern := range rs {
			served[pattern] = true
			if _, ok := routes[pattern]; !ok {
				t.Errorf("%s is served but not in this test's routes (nor in openapi.yaml)", pattern)
			}
		}
	}
	for pattern := range routes {
		if !served[pattern] {
			t.Errorf("%s is in this test's routes but no service serves it", pattern)
		}
	}
	golden(t, "openapi.yaml", toYAML(t, openAPI(), generated))
}
