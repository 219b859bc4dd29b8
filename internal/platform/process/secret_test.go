package process

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSecretsComeFromTheirFileOrTheirVariable(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "token")
	if err := os.WriteFile(file, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("X_TOKEN", "")
	t.Setenv("X_TOKEN_FILE", "")
	if v, err := Secret("X_TOKEN", "dflt"); err != nil || v != "dflt" {
		t.Errorf("neither set: %q, %v; want the default", v, err)
	}
	t.Setenv("X_TOKEN", "plain")
	if v, err := Secret("X_TOKEN", "dflt"); err != nil || v != "plain" {
		t.Errorf("the variable: %q, %v", v, err)
	}
	t.Setenv("X_TOKEN", "")
	t.Setenv("X_TOKEN_FILE", file)
	if v, err := Secret("X_TOKEN", "dflt"); err != nil || v != "s3cret" {
		t.Errorf("the file: %q, %v; want its content without the newline", v, err)
	}
	for name, tc := range map[string]struct{ value, file, says string }{
		"both":    {"plain", file, "both set"},
		"missing": {"", filepath.Join(dir, "nope"), "X_TOKEN_FILE"},
		"empty":   {"", os.DevNull, "is empty"},
	} {
		t.Setenv("X_TOKEN", tc.value)
		t.Setenv("X_TOKEN_FILE", tc.file)
		if _, err := Secret("X_TOKEN", ""); err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: err %v, want one saying %q", name, err, tc.says)
		}
	}
}
