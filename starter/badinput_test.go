package starter_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sagaforge/saga/starter"
)

// TestBadInputIsOneLineExitTwoBeforeAnyCall feeds every command malformed,
// oversized, negative, zero, unknown and duplicate input. Temporal, Kafka and
// the services all point at a closed port, so a command that got past its
// validation would fail with exit 1 ("cannot reach"): exit 2 shows the input
// was refused before anything was called, so nothing can have been written.
func TestBadInputIsOneLineExitTwoBeforeAnyCall(t *testing.T) {
	t.Setenv("TEMPORAL_ADDRESS", "127.0.0.1:1")
	t.Setenv("ORDER_URL", "http://127.0.0.1:1")
	t.Setenv("INVENTORY_URL", "http://127.0.0.1:1")
	t.Setenv("PAYMENT_URL", "http://127.0.0.1:1")
	t.Setenv("KAFKA_BROKERS", "127.0.0.1:1")
	long := strings.Repeat("x", 65)
	for _, tc := range []struct {
		name string
		args []string
		says string
	}{
		{"unknown command", []string{"refund"}, "unknown command"},
		{"purchase: no customer", []string{"purchase", "--item", "SKU-1:1"}, "--customer"},
		{"purchase: blank customer", []string{"purchase", "--customer", "  ", "--item", "SKU-1:1"}, "--customer"},
		{"purchase: malformed customer", []string{"purchase", "--customer", "al ice", "--item", "SKU-1:1"}, "customer ID"},
		{"purchase: oversized customer", []string{"purchase", "--customer", long, "--item", "SKU-1:1"}, "customer ID"},
		{"purchase: no items", []string{"purchase", "--customer", "alice"}, "--item"},
		{"purchase: item without quantity", []string{"purchase", "--customer", "alice", "--item", "SKU-1"}, "SKU:QTY"},
		{"purchase: item without sku", []string{"purchase", "--customer", "alice", "--item", ":2"}, "SKU:QTY"},
		{"purchase: malformed sku", []string{"purchase", "--customer", "alice", "--item", "SKU 1:2"}, "SKU"},
		{"purchase: zero quantity", []string{"purchase", "--customer", "alice", "--item", "SKU-1:0"}, "quantity"},
		{"purchase: negative quantity", []string{"purchase", "--customer", "alice", "--item", "SKU-1:-1"}, "quantity"},
		{"purchase: fractional quantity", []string{"purchase", "--customer", "alice", "--item", "SKU-1:1.5"}, "quantity"},
		{"purchase: oversized quantity", []string{"purchase", "--customer", "alice", "--item", "SKU-1:99999999999999999999"}, "quantity"},
		{"purchase: duplicate sku", []string{"purchase", "--customer", "alice", "--item", "SKU-1:1", "--item", "SKU-1:2"}, "twice"},
		{"purchase: too many lines", append([]string{"purchase", "--customer", "alice"}, manyItems(101)...), "at most"},
		{"purchase: unknown flag", []string{"purchase", "--customer", "alice", "--item", "SKU-1:1", "--colour", "red"}, "colour"},
		{"purchase: unknown mode", []string{"purchase", "--customer", "alice", "--item", "SKU-1:1", "--mode", "yolo"}, "--mode"},
		{"purchase: malformed order id", []string{"purchase", "--customer", "alice", "--item", "SKU-1:1", "--order-id", "a/b"}, "order ID"},
		{"purchase: oversized order id", []string{"purchase", "--customer", "alice", "--item", "SKU-1:1", "--order-id", long}, "order ID"},
		{"purchase: stray argument", []string{"purchase", "extra", "--customer", "alice", "--item", "SKU-1:1"}, "unexpected argument"},
		{"purchase: bad bool", []string{"purchase", "--customer", "alice", "--item", "SKU-1:1", "--wait=maybe"}, "wait"},
		{"status: no order", []string{"status"}, "ORDER_ID"},
		{"status: two orders", []string{"status", "a", "b"}, "one ORDER_ID"},
		{"status: malformed order id", []string{"status", "no/slashes"}, "order ID"},
		{"status: oversized order id", []string{"status", long}, "order ID"},
		{"status: unknown flag", []string{"status", "a", "--verbose"}, "verbose"},
		{"cancel: no order", []string{"cancel"}, "ORDER_ID"},
		{"cancel: malformed order id", []string{"cancel", "a b"}, "order ID"},
		{"cancel: oversized reason", []string{"cancel", "a", "--reason", strings.Repeat("r", 501)}, "reason"},
		{"list: unknown status", []string{"list", "--status", "LOST"}, "--status"},
		{"list: zero limit", []string{"list", "--limit", "0"}, "--limit"},
		{"list: negative limit", []string{"list", "--limit", "-5"}, "--limit"},
		{"list: oversized limit", []string{"list", "--limit", "1000000"}, "--limit"},
		{"list: stray argument", []string{"list", "APPROVED"}, "unexpected argument"},
		{"list: unknown mode", []string{"list", "--mode", "saga"}, "--mode"},
		{"list: forged cursor", []string{"list", "--cursor", "x.y"}, "--cursor"},
		{"audit: negative settle", []string{"audit", "--settle", "-1s"}, "--settle"},
		{"audit: malformed settle", []string{"audit", "--settle", "soon"}, "settle"},
		{"events: malformed order id", []string{"events", "--order", "a/b"}, "order ID"},
		{"events: stray argument", []string{"events", "now"}, "unexpected argument"},
		{"list: unknown output", []string{"list", "-o", "yaml"}, "-o must be text, json or jsonl"},
		{"status: --json with jsonl", []string{"status", "a", "--json", "-o", "jsonl"}, "--json is -o json"},
		{"events: follow as one document", []string{"events", "--follow", "-o", "json"}, "-o jsonl"},
		{"audit: unknown output", []string{"audit", "--output=csv"}, "-o must be"},
		{"trace: unknown output", []string{"trace", "a", "-o", "xml"}, "-o must be"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := starter.Run(context.Background(), tc.args, &stdout, &stderr)
			line := stderr.String()
			if code != starter.ExitUsage || !strings.Contains(line, tc.says) || strings.Count(line, "\n") != 1 || stdout.Len() != 0 {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit 2 and one line mentioning %q", code, stdout.String(), line, tc.says)
			}
		})
	}
}

func manyItems(n int) []string {
	var args []string
	for i := range n {
		args = append(args, "--item", fmt.Sprintf("SKU-%d:1", i))
	}
	return args
}

// Ctrl-C ends a command with exit 130 and one line, whatever it was
// waiting for.
func TestInterruptedIsExit130(t *testing.T) {
	arrived := make(chan struct{}, 1)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		<-r.Context().Done()
	}))
	defer slow.Close()
	t.Setenv("ORDER_URL", slow.URL)
	ctx, interrupt := context.WithCancel(context.Background())
	go func() { <-arrived; interrupt() }()
	var stdout, stderr bytes.Buffer
	code := starter.Run(ctx, []string{"audit"}, &stdout, &stderr)
	if code != starter.ExitInterrupted || stderr.String() != "starter audit: interrupted\n" {
		t.Fatalf("exit %d, stderr %q; want 130 and one line", code, stderr.String())
	}
}

// What the README advertises is listed where a user looks: completion in
// the help, and a working completion script; every command shows an
// example.
func TestHelpListsCompletionAndExamples(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := starter.Run(context.Background(), []string{"--help"}, &stdout, &stderr); code != starter.ExitOK || !strings.Contains(stdout.String(), "  completion ") {
		t.Fatalf("starter --help: exit %d, no completion command listed:\n%s", code, stdout.String())
	}
	stdout.Reset()
	if code := starter.Run(context.Background(), []string{"completion", "bash"}, &stdout, &stderr); code != starter.ExitOK || !strings.Contains(stdout.String(), "complete -o default -F __start_starter starter") {
		t.Fatalf("starter completion bash: exit %d, stderr %q; no bash completion script", code, stderr.String())
	}
	for _, cmd := range []string{"purchase", "status", "cancel", "list", "audit", "events", "deadletters", "trace"} {
		stdout.Reset()
		if code := starter.Run(context.Background(), []string{cmd, "--help"}, &stdout, &stderr); code != starter.ExitOK || !strings.Contains(stdout.String(), "Examples:\n  starter "+cmd) {
			t.Errorf("starter %s --help: exit %d, no example of it:\n%s", cmd, code, stdout.String())
		}
	}
}
