package process

import (
	"fmt"
	"os"
	"strings"
)

// Secret reads the setting key as Docker and Kubernetes secrets give it:
// from the file that key_FILE names (its content, without the final
// newline), else from key itself, else def. Both at once is an error, as
// one of them would be ignored.
func Secret(key, def string) (string, error) {
	path, fromFile := os.LookupEnv(key + "_FILE")
	if !fromFile || path == "" {
		return Env(key, def), nil
	}
	if v, set := os.LookupEnv(key); set && v != "" {
		return "", fmt.Errorf("%s and %s_FILE are both set: keep one", key, key)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s_FILE: %w", key, err)
	}
	v := strings.TrimRight(string(b), "\r\n")
	if v == "" {
		return "", fmt.Errorf("%s_FILE: %s is empty", key, path)
	}
	return v, nil
}
