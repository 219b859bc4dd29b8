//go:build cluster

// Package cluster runs the stack's cluster topology (stack up --topology
// cluster) and breaks it: PostgreSQL, a Temporal server on it with SQL
// visibility, the broker, two replicas of each service behind HAProxy and
// two workers, each a process of its own. It needs the binaries of make
// build and make cluster-tools, in SAGA_CLUSTER_BIN: make cluster-test.
package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/sagaforge/saga/internal/messaging/events"
	"github.com/sagaforge/saga/internal/messaging/kafkaio"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/internal/services/order/orderapi"
	"github.com/sagaforge/saga/lab/chaos"
	"github.com/sagaforge/saga/lab/scrape"
	"github.com/sagaforge/saga/lab/stack"
	"github.com/sagaforge/saga/lab/stack/stacktest"
	"github.com/sagaforge/saga/starter"
	"github.com/sagaforge/saga/workers/purchases"
)

var binDir = os.Getenv("SAGA_CLUSTER_BIN")

func TestMain(m *testing.M) {
	if binDir == "" {
		fmt.Fprintln(os.Stderr, "cluster tests need SAGA_CLUSTER_BIN, the folder of make build and make cluster-tools: run make cluster-test")
		os.Exit(1)
	}
	abs, err := filepath.Abs(binDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = abs
	os.Exit(m.Run())
}

// startCluster starts a fresh cluster topology on free ports, with env
// added to every process's, and stops it when the test ends.
func startCluster(t *testing.T, env ...string) *stack.Stack {
	t.Helper()
	s, _ := stacktest.Start(t, stack.Config{BinDir: binDir, DataDir: t.TempDir(), DeployDir: "../../deploy", Host: "127.0.0.1",
		Topology: stack.Cluster, Seed: "bench", Env: env}, nil, 4*time.Minute)
	return s
}

// load runs purchases in both modes through the load balancer, some
// declined, out of stock or cancelled by their customer in flight, and
// checks that each ended as it must and that the audit holds.
func load(ctx context.Context, s *stack.Stack, purchases, concurrency int) (chaos.Report, error) {
	return chaos.Run(ctx, s, chaos.Config{Purchases: purchases, Concurrency: concurrency, CancelShare: 0.1, Settle: 2 * time.Minute})
}

// loadUnderway starts load in the background and returns once created
// orders exist, so that what the test breaks next breaks mid-load; the
// function it returns waits for the load to end.
func loadUnderway(t *testing.T, s *stack.Stack, purchases, concurrency, created int) func() (chaos.Report, error) {
	t.Helper()
	done := make(chan struct{})
	var rep chaos.Report
	var err error
	go func() {
		defer close(done)
		rep, err = load(context.Background(), s, purchases, concurrency)
	}()
	orders := orderapi.NewClient(s.OrderURL(), nil, "")
	stacktest.WaitFor(t, time.Minute, fmt.Sprintf("%d of the purchases to be created", created), func() bool {
		list, err := orders.List(context.Background(), "")
		return err == nil && len(list.Orders) >= created
	})
	return func() (chaos.Report, error) {
		<-done
		return rep, err
	}
}

func requirePassed(t *testing.T, rep chaos.Report, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	var out strings.Builder
	rep.Print(&out)
	if !rep.Passed() {
		t.Fatalf("the purchases or the audit failed:\n%s", out.String())
	}
	t.Logf("%s", out.String())
}

// Purchases in both modes go through HAProxy to both replicas of each
// service and both workers; the sagas are found by their search
// attributes in SQL visibility on PostgreSQL.
func TestClusterRunsPurchasesThroughTheLoadBalancer(t *testing.T) {
	s := startCluster(t)
	ctx := context.Background()
	rep, err := load(ctx, s, 30, 4)
	requirePassed(t, rep, err)

	// Each replica served requests, and each worker ran activities.
	for _, name := range s.Names() {
		url := s.ProcessMetricsURL(name)
		if url == "" {
			continue
		}
		page, err := scrape.Get(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		metric := "http_server_request_duration_seconds_count"
		if strings.HasPrefix(name, "worker") {
			metric = "saga_step_duration_seconds_count"
		}
		if page.Sum(metric) == 0 {
			t.Errorf("%s has no %s: it got no share of the load", name, metric)
		}
	}
	// Both replicas of a service share its consumer groups' partitions.
	for group, members := range groupMembers(t, s) {
		if len(members) != stack.Replicas {
			t.Errorf("consumer group %s has %d members, want one per replica (%d): %v", group, len(members), stack.Replicas, members)
		}
	}

	// Search by attribute, on SQL visibility.
	var out, errOut bytes.Buffer
	if code := s.Starter(&out, &errOut).Run(ctx, []string{"purchase", "--customer", "alice", "--item", "SKU-1:1", "--wait", "--json"}); code != 0 {
		t.Fatalf("purchase: exit %d: %s", code, errOut.String())
	}
	var approved starter.Report
	if err := json.Unmarshal(out.Bytes(), &approved); err != nil || approved.Status != "APPROVED" {
		t.Fatalf("purchase: %v %+v", err, approved)
	}
	// The saga console's list, through a worker: both modes, the
	// orchestrated purchases with their sagas' records from SQL visibility
	// on PostgreSQL; and its page.
	page, err := purchases.NewClient(s.WorkerURL(), nil, s.Endpoints().Token).List(ctx, purchases.ListQuery{Limit: 40})
	if err != nil || page.Partial != "" {
		t.Fatalf("the purchase list: %+v, %v", page, err)
	}
	seen := map[saga.Mode]int{}
	for _, r := range page.Purchases {
		if r.Mode == saga.Choreography || r.RunID != "" {
			seen[r.Mode]++
		}
	}
	if seen[saga.Orchestration] == 0 || seen[saga.Choreography] == 0 {
		t.Errorf("the purchase list holds %v, want both modes, the orchestrated ones with their runs", seen)
	}
	resp, err := http.Get(s.WorkerURL() + "/console/purchases/" + approved.OrderID)
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(html, []byte(`class="bar"`)) {
		t.Errorf("the console's page of %s: %d %.300s", approved.OrderID, resp.StatusCode, html)
	}

	c := stacktest.Dial(t, s)
	for query, atLeast := range map[string]int64{
		fmt.Sprintf("OrderId = '%s' AND SagaStatus = 'APPROVED'", approved.OrderID):   1,
		"CustomerId = 'bob' AND SagaStatus = 'CANCELLED'":                             1,
		fmt.Sprintf("CustomerId = 'alice' AND OrderTotal >= %d", approved.TotalCents): 1,
	} {
		var n int64
		stacktest.WaitFor(t, 30*time.Second, "visibility to find "+query, func() bool {
			resp, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: query})
			if err != nil {
				t.Fatalf("count %q: %v", query, err)
			}
			n = resp.GetCount()
			return n >= atLeast
		})
	}
}

// A replica of each service killed mid-load: its consumer group
// partitions move to the other replica, the other replica's relay
// publishes the shared outbox in order, and nothing is lost.
func TestClusterSurvivesReplicasKilledMidLoad(t *testing.T) {
	s := startCluster(t)
	finished := loadUnderway(t, s, 60, 6, 20)
	for _, name := range []string{"order-1", "inventory-1", "payment-1"} {
		if err := s.Kill(name); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := finished()
	requirePassed(t, rep, err)
	// The survivors own every partition of their groups now.
	for group, members := range groupMembers(t, s) {
		if len(members) != 1 {
			t.Errorf("consumer group %s still has %d members after the kill: %v", group, len(members), members)
		}
	}
	checkEventOrder(t, s)
}

// A worker killed while it runs a saga's step: the other worker finishes
// the saga. The charge is slowed so that sagas are caught on it.
func TestClusterFinishesTheSagasOfAKilledWorker(t *testing.T) {
	s := startCluster(t, "SAGA_FAULTS=POST /payments=0:3s")
	ctx := context.Background()
	c := stacktest.Dial(t, s)
	var ids []string
	for range 6 {
		var out, errOut bytes.Buffer
		if code := s.Starter(&out, &errOut).Run(ctx, []string{"purchase", "--customer", "alice", "--item", "SKU-1:1", "--json"}); code != 0 {
			t.Fatalf("purchase: exit %d: %s", code, errOut.String())
		}
		var r starter.Report
		if err := json.Unmarshal(out.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.OrderID)
	}
	// Find a saga in a workflow task on a worker (its steps are local
	// activities, run inside the task), and kill that worker.
	var victim, caught string
	stacktest.WaitFor(t, 30*time.Second, "a saga's step to run on a worker", func() bool {
		for _, id := range ids {
			identity, open := lastWorkflowTask(t, c, id)
			if !open {
				continue
			}
			for _, w := range []string{"worker-1", "worker-2"} {
				if strings.HasPrefix(identity, strconv.Itoa(s.PID(w))+"@") {
					victim, caught = w, id
					return true
				}
			}
		}
		return false
	})
	victimID := strconv.Itoa(s.PID(victim)) + "@"
	if err := s.Kill(victim); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		var status saga.Status
		stacktest.WaitFor(t, 2*time.Minute, "saga "+id+" to end", func() bool {
			var out, errOut bytes.Buffer
			s.Starter(&out, &errOut).Run(ctx, []string{"status", id, "--json"})
			var r starter.Report
			_ = json.Unmarshal(out.Bytes(), &r)
			status = r.Status
			return status == "APPROVED" || status == "CANCELLED"
		})
		if status != "APPROVED" {
			t.Errorf("%s ended %s, want APPROVED", id, status)
		}
	}
	// The caught saga was finished by the other worker.
	if finisher, _ := lastWorkflowTask(t, c, caught); finisher == "" || strings.HasPrefix(finisher, victimID) {
		t.Errorf("saga %s's last workflow task ran on %q; want the worker that survived, not %s (%s)", caught, finisher, victim, victimID)
	}
	audit(t, s)
}

// The Temporal server killed mid-load and started again: the sagas in
// flight go on from their histories in PostgreSQL.
func TestClusterSurvivesATemporalServerRestart(t *testing.T) {
	s := startCluster(t)
	ctx := context.Background()
	finished := loadUnderway(t, s, 40, 4, 10)
	if err := s.Kill("temporal"); err != nil {
		t.Fatal(err)
	}
	restartCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := s.Restart(restartCtx, "temporal"); err != nil {
		t.Fatal(err)
	}
	rep, err := finished()
	requirePassed(t, rep, err)
}

// lastWorkflowTask is the identity of the worker that took a saga's last
// workflow task, and whether that task is still open (started, not yet
// completed, failed or timed out).
func lastWorkflowTask(t *testing.T, c client.Client, orderID string) (identity string, open bool) {
	t.Helper()
	iter := c.GetWorkflowHistory(context.Background(), "purchase-"+orderID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		e, err := iter.Next()
		if err != nil {
			t.Fatal(err)
		}
		switch e.GetEventType() {
		case enums.EVENT_TYPE_WORKFLOW_TASK_STARTED:
			identity, open = e.GetWorkflowTaskStartedEventAttributes().GetIdentity(), true
		case enums.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			identity, open = e.GetWorkflowTaskCompletedEventAttributes().GetIdentity(), false
		case enums.EVENT_TYPE_WORKFLOW_TASK_FAILED, enums.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
			open = false
		}
	}
	return identity, open
}

func audit(t *testing.T, s *stack.Stack) {
	t.Helper()
	var checks []starter.Check
	stacktest.WaitFor(t, time.Minute, "the audit to hold", func() bool {
		var err error
		checks, _, err = starter.Audit(context.Background(), s.Endpoints(), 0)
		return err == nil && starter.Passed(checks)
	})
}

// groupMembers are the members of the services' consumer groups with a
// member, by group.
func groupMembers(t *testing.T, s *stack.Stack) map[string][]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl := &kafka.Client{Addr: kafka.TCP(s.BrokerAddr())}
	groups, err := cl.ListGroups(ctx, &kafka.ListGroupsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, g := range groups.Groups {
		ids = append(ids, g.GroupID)
	}
	desc, err := cl.DescribeGroups(ctx, &kafka.DescribeGroupsRequest{GroupIDs: ids})
	if err != nil {
		t.Fatal(err)
	}
	members := map[string][]string{}
	for _, g := range desc.Groups {
		for _, m := range g.Members {
			members[g.GroupID] = append(members[g.GroupID], m.ClientHost+" "+m.MemberID)
		}
	}
	if len(members) == 0 {
		t.Fatal("no consumer group has a member")
	}
	return members
}

// stage is where an event comes in its order's life on its topic: what
// a service publishes first for an order, then what undoes or ends it.
var stage = map[events.Type]int{
	events.OrderCreated: 0, events.OrderApproved: 1, events.OrderCancelled: 1,
	events.StockReserved: 0, events.StockRejected: 0, events.StockReleased: 1,
	events.PaymentCaptured: 0, events.PaymentDeclined: 0, events.PaymentRefunded: 1,
}

// checkEventOrder checks that on each topic no order's first event comes
// after one that undoes or ends it: the relays of two replicas, one
// killed, published the shared outbox in commit order. (An undo with no
// first event is a tombstone: a compensation that ran before its step.)
func checkEventOrder(t *testing.T, s *stack.Stack) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, topic := range []string{events.TopicOrder, events.TopicInventory, events.TopicPayment} {
		msgs, err := kafkaio.ReadTopic(ctx, kafkaio.Plain(s.BrokerAddr()), topic)
		if err != nil {
			t.Fatal(err)
		}
		later := map[string]events.Type{}
		for _, m := range msgs {
			e, err := events.Decode(m.Value)
			if err != nil {
				t.Fatal(err)
			}
			st, ok := stage[e.Type]
			if !ok {
				continue
			}
			if st == 1 {
				later[e.Subject] = e.Type
			} else if l, ok := later[e.Subject]; ok {
				t.Errorf("%s: %s of %s was published after its %s", topic, e.Type, e.Subject, l)
			}
		}
		if len(msgs) == 0 {
			t.Errorf("%s is empty", topic)
		}
	}
}
