// Command histories records workflow histories from real runs on the dev
// server, one per path of the saga, for the replay tests in workflows/.
//
//	go run ./lab/cmd/histories --out workflows/testdata/v3   (make histories)
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/sagaforge/saga/internal/platform/input"
	"github.com/sagaforge/saga/internal/platform/process"
	"github.com/sagaforge/saga/internal/platform/temporalx"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/internal/services/inventory/inventoryapi"
	"github.com/sagaforge/saga/internal/services/order/orderapi"
	"github.com/sagaforge/saga/internal/services/payment/paymentapi"
	"github.com/sagaforge/saga/lab/stack"
	"github.com/sagaforge/saga/workers/purchases"
)

func main() {
	fs := flag.NewFlagSet("histories", flag.ContinueOnError)
	out := fs.String("out", "workflows/testdata/v3", "directory for the histories")
	binDir := fs.String("bin-dir", "bin", "where the stack's binaries are")
	process.ParseFlags(fs, os.Args[1:])
	ctx, stop := process.SignalContext()
	defer stop()
	if err := run(ctx, *binDir, *out); err != nil {
		fmt.Fprintln(os.Stderr, "histories:", err)
		os.Exit(1)
	}
}

type recorder struct {
	s   *stack.Stack
	c   client.Client
	out string
}

func run(ctx context.Context, binDir, out string) error {
	dataDir, err := os.MkdirTemp("", "histories-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dataDir)
	s, err := stack.Start(ctx, stack.Config{BinDir: binDir, DataDir: dataDir, Host: "127.0.0.1"})
	if err != nil {
		return err
	}
	defer s.Stop()
	c, err := temporalx.Dial(ctx, s.Temporal(), nil, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	r := &recorder{s: s, c: c, out: out}
	for _, sc := range scenarios {
		fmt.Printf("recording %-18s ", sc.name)
		if err := sc.run(ctx, r, "hist-"+sc.name); err != nil {
			return fmt.Errorf("%s: %w", sc.name, err)
		}
		if err := r.save(ctx, sc.name, "hist-"+sc.name); err != nil {
			return fmt.Errorf("%s: %w", sc.name, err)
		}
		fmt.Println("ok")
	}
	return nil
}

type scenario struct {
	name string
	run  func(ctx context.Context, r *recorder, orderID string) error
}

func buy(customer string, items ...input.Item) func(context.Context, *recorder, string) error {
	return func(ctx context.Context, r *recorder, orderID string) error {
		_, err := r.purchase(ctx, saga.Input{OrderID: orderID, CustomerID: customer, Items: items})
		return err
	}
}

var scenarios = []scenario{
	{"approved", buy("alice", input.Item{SKU: "SKU-1", Quantity: 2})},
	{"out-of-stock", buy("alice", input.Item{SKU: "SKU-1", Quantity: 1}, input.Item{SKU: "SKU-OUT", Quantity: 1})},
	{"declined", buy("bob", input.Item{SKU: "SKU-2", Quantity: 1})},
	{"approve-failure", func(ctx context.Context, r *recorder, orderID string) error {
		// The order exists and was cancelled behind the saga's back: create
		// finds it, stock and payment go through, approval is refused.
		orders := orderapi.NewClient(r.s.OrderURL(), nil, "")
		if _, err := orders.Create(ctx, orderapi.CreateOrderRequest{OrderID: orderID, CustomerID: "alice", Items: []input.Item{{SKU: "SKU-2", Quantity: 1}}}); err != nil {
			return err
		}
		if _, err := orders.Cancel(ctx, orderID, orderapi.CancelOrderRequest{Reason: "cancelled at the counter"}); err != nil {
			return err
		}
		return buy("alice", input.Item{SKU: "SKU-2", Quantity: 1})(ctx, r, orderID)
	}},
	{"cancelled-in-flight", func(ctx context.Context, r *recorder, orderID string) error {
		// The customer cancels while the saga waits on a dead payment service;
		// the refund then waits for it to come back.
		run, err := r.startWithoutPayment(ctx, saga.Input{OrderID: orderID, CustomerID: "alice", Items: []input.Item{{SKU: "SKU-2", Quantity: 1}}})
		if err != nil {
			return err
		}
		if _, err := r.c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: saga.WorkflowID(orderID), UpdateName: saga.UpdateCancel,
			Args: []any{saga.CancelRequest{Reason: "changed my mind"}}, WaitForStage: client.WorkflowUpdateStageAccepted}); err != nil {
			return err
		}
		if err := r.s.Restart(ctx, "payment"); err != nil {
			return err
		}
		var res saga.Result
		return run.Get(ctx, &res)
	}},
	{"cancel-meets-approval", func(ctx context.Context, r *recorder, orderID string) error {
		// The purchase went through at the counter, as a lost workflow
		// task would have left it. The saga starts with the order service
		// down, the customer cancels while its create retries, and the
		// fenced abort finds the order approved: the saga goes forward,
		// reads the total back, and refuses the cancel.
		items := []input.Item{{SKU: "SKU-2", Quantity: 1}}
		orders := orderapi.NewClient(r.s.OrderURL(), nil, "")
		o, err := orders.Create(ctx, orderapi.CreateOrderRequest{OrderID: orderID, CustomerID: "alice", Items: items})
		if err != nil {
			return err
		}
		if _, err := inventoryapi.NewClient(r.s.InventoryURL(), nil, "").Reserve(ctx, inventoryapi.ReserveRequest{OrderID: orderID, Items: items}); err != nil {
			return err
		}
		if _, err := paymentapi.NewClient(r.s.PaymentURL(), nil, "").Charge(ctx, paymentapi.ChargeRequest{OrderID: orderID, CustomerID: "alice", AmountCents: o.TotalCents}); err != nil {
			return err
		}
		if _, err := orders.Approve(ctx, orderID); err != nil {
			return err
		}
		if err := r.s.Kill("order"); err != nil {
			return err
		}
		run, err := r.start(ctx, saga.Input{OrderID: orderID, CustomerID: "alice", Items: items})
		if err != nil {
			return err
		}
		update, err := r.c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: saga.WorkflowID(orderID), UpdateName: saga.UpdateCancel,
			Args: []any{saga.CancelRequest{Reason: "changed my mind"}}, WaitForStage: client.WorkflowUpdateStageAccepted})
		if err != nil {
			return err
		}
		if err := r.s.Restart(ctx, "order"); err != nil {
			return err
		}
		var res saga.Result
		if err := run.Get(ctx, &res); err != nil {
			return err
		}
		if res.Status != saga.Approved || res.TotalCents != o.TotalCents {
			return fmt.Errorf("saga ended %+v, want APPROVED at %s", res, o.TotalCents)
		}
		if err := update.Get(ctx, &res); err == nil {
			return fmt.Errorf("the cancel was answered %+v, want it refused", res)
		}
		return nil
	}},
	{"transient-retries", func(ctx context.Context, r *recorder, orderID string) error {
		// Payment is down for a few seconds while the saga reaches the charge.
		run, err := r.startWithoutPayment(ctx, saga.Input{OrderID: orderID, CustomerID: "alice", Items: []input.Item{{SKU: "SKU-1", Quantity: 1}}})
		if err != nil {
			return err
		}
		time.Sleep(3 * time.Second) // a few failed charge attempts
		if err := r.s.Restart(ctx, "payment"); err != nil {
			return err
		}
		var res saga.Result
		return run.Get(ctx, &res)
	}},
}

// startWithoutPayment kills the payment service, starts the saga, and
// returns once it has reserved the stock: its next step is the charge,
// which waits for payment to come back.
func (r *recorder) startWithoutPayment(ctx context.Context, in saga.Input) (client.WorkflowRun, error) {
	if err := r.s.Kill("payment"); err != nil {
		return nil, err
	}
	run, err := r.start(ctx, in)
	if err != nil {
		return nil, err
	}
	stock := inventoryapi.NewClient(r.s.InventoryURL(), nil, "")
	for ctx.Err() == nil {
		if res, err := stock.Reservation(ctx, in.OrderID); err == nil && res.Status == inventoryapi.Reserved {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	return run, ctx.Err()
}

func (r *recorder) start(ctx context.Context, in saga.Input) (client.WorkflowRun, error) {
	return r.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: saga.WorkflowID(in.OrderID), TaskQueue: saga.TaskQueue,
		StaticSummary: purchases.Summary(in)}, saga.WorkflowType, in)
}

func (r *recorder) purchase(ctx context.Context, in saga.Input) (saga.Result, error) {
	run, err := r.start(ctx, in)
	if err != nil {
		return saga.Result{}, err
	}
	var res saga.Result
	err = run.Get(ctx, &res)
	return res, err
}

func (r *recorder) save(ctx context.Context, name, orderID string) error {
	iter := r.c.GetWorkflowHistory(ctx, saga.WorkflowID(orderID), "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var evs []json.RawMessage
	for iter.HasNext() {
		e, err := iter.Next()
		if err != nil {
			return err
		}
		raw, err := protojson.Marshal(e)
		if err != nil {
			return err
		}
		evs = append(evs, raw)
	}
	data, err := json.MarshalIndent(map[string]any{"events": evs}, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(r.out, name+".json"), append(data, '\n'), 0o644)
}
