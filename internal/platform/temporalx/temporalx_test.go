package temporalx

import (
	"os"
	"testing"
)

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
