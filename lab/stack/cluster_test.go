package stack

import (
	"slices"
	"strings"
	"testing"
)

// init.sql is run statement by statement, comments dropped.
func TestSQLStatementsSplitsInitSQL(t *testing.T) {
	got := sqlStatements("-- two databases\nCREATE DATABASE a;\nCREATE DATABASE\n  b; -- the second\n")
	want := []string{"CREATE DATABASE a", "CREATE DATABASE\n  b"}
	if !slices.Equal(got, want) {
		t.Fatalf("sqlStatements = %q, want %q", got, want)
	}
}

// HAProxy puts both replicas of each service, and both workers, behind
// the public port, health-checked, and sends a request again only when
// its connection failed or its replica died before answering.
func TestHAProxyConfigBalancesEveryReplica(t *testing.T) {
	cfg := Config{Host: "127.0.0.1", OrderPort: 8081, InventoryPort: 8082, PaymentPort: 8083, WorkerPort: 8080}
	cfg.cluster.Services = [3][Replicas]int{{20001, 20002}, {20003, 20004}, {20005, 20006}}
	cfg.cluster.Workers = [Replicas]int{20007, 20008}
	conf := (&Stack{cfg: cfg}).haproxyConfig()
	for _, want := range []string{
		"frontend order\n  bind 127.0.0.1:8081", "server order-1 127.0.0.1:20001 check", "server order-2 127.0.0.1:20002 check",
		"bind 127.0.0.1:8082", "server inventory-2 127.0.0.1:20004 check",
		"bind 127.0.0.1:8083", "server payment-1 127.0.0.1:20005 check",
		"bind 127.0.0.1:8080", "server worker-2 127.0.0.1:20008 check",
		"option httpchk GET /healthz", "retry-on conn-failure empty-response 503",
	} {
		if !strings.Contains(conf, want) {
			t.Errorf("haproxy.cfg lacks %q:\n%s", want, conf)
		}
	}
}
