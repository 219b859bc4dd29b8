package fault

import (
	"fmt"
	"net/http"
	"testing"
)

// Every refusal about the order is final and leaves nothing to undo; an
// unavailable service (whose effect is unknown) and a token it did not
// accept (nothing done, a configuration fault) are worth another try. The
// workflow, the activities and the consumers rely on that split.
func TestRefusalsAreFinalAndOnlyOutagesAndTokensAreRetried(t *testing.T) {
	retried := map[error]bool{ErrUnavailable: true, ErrUnauthorized: true}
	seen := map[string]bool{}
	for _, m := range Meanings {
		if seen[m.Code] || seen[m.ErrType] {
			t.Fatalf("%s: code or type used twice", m.Code)
		}
		seen[m.Code], seen[m.ErrType] = true, true
		if m.Retryable != retried[m.Err] || m.NoEffect == (m.Err == ErrUnavailable) {
			t.Errorf("%s: retryable %v, no effect %v", m.Code, m.Retryable, m.NoEffect)
		}
		if got, ok := Of(fmt.Errorf("wrapped: %w", m.Err)); !ok || got.Code != m.Code {
			t.Errorf("Of(wrapped %v) = %v", m.Err, got.Code)
		}
		if (m.Status >= 500) != (m.Err == ErrUnavailable) || http.StatusText(m.Status) == "" {
			t.Errorf("%s: status %d", m.Code, m.Status)
		}
	}
	if _, ok := Of(fmt.Errorf("plain")); ok {
		t.Fatal("a plain error has a meaning")
	}
}
