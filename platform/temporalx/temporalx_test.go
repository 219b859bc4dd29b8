package temporalx

import (
	"os"
	"testing"
)

func TestLoopbackAddresses(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:7233": true, "localhost:7233": true, "[::1]:7233": true, "127.0.0.2:7233": true,
		"temporal:7233": false, "10.0.0.7:7233": false, "acme.tmprl.cloud:7233": false, "127.0.0.1": false,
	} {
		if got := loopback(addr); got != want {
			t.Errorf("loopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

func TestGRPCCompressionIsReadOnceAndChecked(t *testing.T) {
	t.Setenv("TEMPORAL_CONFIG_FILE", os.DevNull)
	for env, want := range map[string]string{"": "", "gzip": "gzip", "none": "none"} {
		t.Setenv("TEMPORAL_GRPC_COMPRESSION", env)
		cfg, err := Load("", "")
		if err != nil || cfg.Compression != want {
			t.Errorf("TEMPORAL_GRPC_COMPRESSION=%q: %q, %v; want %q", env, cfg.Compression, err, want)
		}
	}
	t.Setenv("TEMPORAL_GRPC_COMPRESSION", "zstd")
	if _, err := Load("", ""); err == nil {
		t.Error("TEMPORAL_GRPC_COMPRESSION=zstd was taken")
	}
}
