package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestWebUIShowsTheSaga opens a purchase's page in the Temporal Web UI with
// headless Chromium (Debian's package; .ci/run installs it) and checks what
// a person would look for: the workflow, its summary, and its activities
// with their summaries. The screenshot is kept in test-artifacts/.
func TestWebUIShowsTheSaga(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (apt-get install chromium); .ci/run installs it")
	}
	s := startStack(t)
	rep := buy(t, s, "--customer", "bob", "--item", "SKU-2:1", "--order-id", "webui-1")
	if rep.Status != "CANCELLED" {
		t.Fatalf("purchase %+v", rep)
	}
	url := s.Temporal().UIURL + "/namespaces/default/workflows/purchase-webui-1"
	headless := func(args ...string) []byte {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
			"--disable-component-update", "--no-first-run", "--disable-sync", "--user-data-dir=" + t.TempDir(),
			"--virtual-time-budget=15000", "--window-size=1400,1100"}
		out, err := exec.CommandContext(ctx, chromium, append(base, append(args, url)...)...).Output()
		if err != nil {
			t.Fatalf("chromium %v: %v", args, err)
		}
		return out
	}
	dom := string(headless("--dump-dom"))
	for _, want := range []string{
		"purchase-webui-1",             // the workflow
		"PurchaseWorkflow",             // its type
		"bob buys 1 x SKU-2",           // its summary
		"CreateOrder", "ChargePayment", // the steps (local activities)
		"ReleaseStock", "Release 1 x SKU-2", // a compensation and its summary
		"insufficient funds", // why
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("the Web UI page of the saga does not show %q", want)
		}
	}

	dir := os.Getenv("SAGA_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "test-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	shot, err := filepath.Abs(filepath.Join(dir, "webui-saga.png"))
	if err != nil {
		t.Fatal(err)
	}
	headless("--screenshot=" + shot)
	if info, err := os.Stat(shot); err != nil || info.Size() < 10_000 {
		t.Fatalf("screenshot %s: %v", shot, err)
	}
	t.Logf("screenshot: %s", shot)
}
