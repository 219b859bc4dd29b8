package integration

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sagaforge/saga/internal/saga"
)

// TestSagasUnderInjectedFaultsStayConsistent runs purchases of every outcome
// in both modes while 30% of the services' HTTP calls fail, half of them
// after the work was done: retries and idempotency must still leave the
// three databases consistent.
func TestSagasUnderInjectedFaultsStayConsistent(t *testing.T) {
	s := startStack(t, "SAGA_FAULTS=*=0.3")
	purchases := []struct {
		args []string
		want saga.Status
	}{
		{[]string{"--customer", "alice", "--item", "SKU-1:2"}, "APPROVED"},
		{[]string{"--customer", "alice", "--item", "SKU-2:1", "--item", "SKU-1:1"}, "APPROVED"},
		{[]string{"--customer", "bob", "--item", "SKU-2:1"}, "CANCELLED"},
		{[]string{"--customer", "alice", "--item", "SKU-OUT:1"}, "CANCELLED"},
	}
	// The group returns only when its parallel subtests have finished.
	t.Run("purchases", func(t *testing.T) {
		for _, mode := range []string{"orchestration", "choreography"} {
			for i, p := range purchases {
				t.Run(fmt.Sprintf("%s/%d", mode, i), func(t *testing.T) {
					t.Parallel()
					rep := buy(t, s, append([]string{"--mode", mode}, p.args...)...)
					if rep.Status != p.want {
						t.Errorf("purchase %v under faults: %s (%s), want %s", p.args, rep.Status, rep.Reason, p.want)
					}
				})
			}
		}
	})
	code, stdout, stderr := runStarter(t, s, "audit")
	if code != 0 || strings.Count(stdout, " pass ") != 8 {
		t.Fatalf("audit after faults: exit %d\n%s%s", code, stdout, stderr)
	}
}
