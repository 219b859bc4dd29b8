package endpoints

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The token setting is checked where it is read: three tokens, from the
// variable or from its file, stop a process before it starts.
func TestFromEnvRefusesATokenSettingThatCannotWork(t *testing.T) {
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("a,b,c\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, env := range [][2]string{{EnvToken, "a,b,c"}, {EnvToken + "_FILE", file}} {
		t.Setenv(EnvToken, "")
		t.Setenv(EnvToken+"_FILE", "")
		t.Setenv(env[0], env[1])
		if _, err := FromEnv(); err == nil || !strings.Contains(err.Error(), "at most two") {
			t.Errorf("%s=%s: %v, want it refused", env[0], env[1], err)
		}
	}
	t.Setenv(EnvToken+"_FILE", "")
	t.Setenv(EnvToken, "new,old")
	if e, err := FromEnv(); err != nil || e.Token != "new,old" {
		t.Errorf("two tokens: %+v, %v", e, err)
	}
}
