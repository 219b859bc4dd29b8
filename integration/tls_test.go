package integration

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sagaforge/saga/starter"
)

// secureFrontend is Temporal as a cloud or an mTLS cluster serves it: gRPC
// over TLS, each call carrying an API key. It terminates TLS, refuses a
// call without the key (Unauthenticated, as Temporal Cloud does), and
// passes the rest to the stack's plain dev server.
type secureFrontend struct {
	addr, caPath    string
	passed, refused atomic.Int64
}

func newSecureFrontend(t *testing.T, backend, apiKey string) *secureFrontend {
	t.Helper()
	f := &secureFrontend{}
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: backend})
	h2c := &http.Transport{Protocols: new(http.Protocols)}
	h2c.Protocols.SetUnencryptedHTTP2(true)
	proxy.Transport = h2c
	proxy.FlushInterval = -1 // gRPC streams: pass each frame on
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+apiKey {
			f.refused.Add(1)
			w.Header().Set("Content-Type", "application/grpc")
			w.Header().Set("Grpc-Status", "16") // Unauthenticated
			w.Header().Set("Grpc-Message", "missing or wrong API key")
			w.WriteHeader(http.StatusOK)
			return
		}
		f.passed.Add(1)
		proxy.ServeHTTP(w, r)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	f.addr = strings.TrimPrefix(srv.URL, "https://")
	// httptest's certificate is its own CA: the client trusts it, and
	// nothing else, through the profile.
	f.caPath = filepath.Join(t.TempDir(), "ca.pem")
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(f.caPath, ca, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// The worker and the starter reach a Temporal that wants TLS and an API
// key through a Temporal CLI profile, as they would Temporal Cloud: the
// saga runs on a worker that can only have reached it that way, and a
// wrong key, an untrusted server or a missing profile each fail in one
// line.
func TestWorkerAndStarterReachTemporalOverTLSWithAnAPIKey(t *testing.T) {
	s := startStack(t)
	const key = "test-api-key"
	fe := newSecureFrontend(t, s.Temporal().Address, key)
	config := filepath.Join(t.TempDir(), "temporal.toml")
	profiles := fmt.Sprintf(`[profile.secure]
address = %q
namespace = "default"
api_key = %q

[profile.secure.tls]
server_ca_cert_path = %q

[profile.untrusted]
address = %q
api_key = %q
`, fe.addr, key, fe.caPath, fe.addr, key)
	if err := os.WriteFile(config, []byte(profiles), 0o600); err != nil {
		t.Fatal(err)
	}
	// What the shell of someone with a profile holds: where the services
	// and the broker are, and nothing of Temporal's but the config file.
	env := append(os.Environ(), append(s.Endpoints().Environ(), "TEMPORAL_CONFIG_FILE="+config)...)

	// Only a worker that came in through the secure frontend can run it.
	if err := s.Kill("worker"); err != nil {
		t.Fatal(err)
	}
	var workerLog bytes.Buffer
	worker := exec.Command(filepath.Join(binDir, "worker"), "--profile", "secure", "--addr", "127.0.0.1:0")
	worker.Env, worker.Stdout, worker.Stderr = env, &workerLog, &workerLog
	if err := worker.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = worker.Process.Kill()
		_ = worker.Wait()
		if t.Failed() {
			t.Logf("worker through the secure frontend:\n%s", workerLog.String())
		}
	})

	run := func(extraEnv []string, args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(filepath.Join(binDir, "starter"), args...)
		cmd.Env = append(slices.Clone(env), extraEnv...)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		_ = cmd.Run()
		return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
	}
	code, stdout, stderr := run(nil, "purchase", "--profile", "secure", "--customer", "alice", "--item", "SKU-1:1", "--wait", "--wait-timeout", "60s", "-o", "json")
	var rep starter.Report
	if code != 0 || json.Unmarshal([]byte(stdout), &rep) != nil || rep.Status != "APPROVED" {
		t.Fatalf("purchase over TLS: exit %d: %s%s", code, stdout, stderr)
	}
	if fe.passed.Load() == 0 {
		t.Fatal("no call came through the secure frontend")
	}
	wantConsistent(t, clientsOf(s), rep.OrderID, "APPROVED")

	for _, tc := range []struct {
		name string
		env  []string
		args []string
		code int
		says string
	}{
		{"wrong API key", []string{"TEMPORAL_API_KEY=wrong"}, []string{"list", "--profile", "secure"}, starter.ExitFailure, "API key"},
		{"server not trusted", nil, []string{"list", "--profile", "untrusted"}, starter.ExitFailure, "certificate"},
		{"no such profile", nil, []string{"list", "--profile", "nope"}, starter.ExitUsage, "profile nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			refused := fe.refused.Load()
			code, _, stderr := run(tc.env, tc.args...)
			if code != tc.code || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tc.says) {
				t.Fatalf("exit %d, stderr %q; want exit %d saying %q", code, stderr, tc.code, tc.says)
			}
			if tc.name == "wrong API key" && fe.refused.Load() == refused {
				t.Fatal("the frontend refused nothing")
			}
		})
	}
}
