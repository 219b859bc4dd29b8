package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A listener other machines can reach needs a token; loopback, or a
// container published on the host's loopback only, does not.
func TestListenersOthersCanReachNeedAToken(t *testing.T) {
	for _, tc := range []struct {
		addr, token, exposedOn string
		refused                bool
	}{
		{"127.0.0.1:8081", "", "", false},
		{"[::1]:8081", "", "", false},
		{"localhost:8081", "", "", false},
		{"0.0.0.0:8081", "", "", true},
		{":8081", "", "", true},
		{"10.0.0.5:8081", "", "", true},
		{"0.0.0.0:8081", "s3cret", "", false},
		{"0.0.0.0:8081", "", "127.0.0.1", false},
		{"0.0.0.0:8081", "", "0.0.0.0", true},
		{"0.0.0.0:8081", "", "192.168.1.10", true},
	} {
		err := Guarded(tc.addr, tc.token, tc.exposedOn)
		if (err != nil) != tc.refused {
			t.Errorf("listen %s, token %q, exposed on %q: %v; want refused=%v", tc.addr, tc.token, tc.exposedOn, err, tc.refused)
		}
	}
}

// A call without the token is refused with 401, which says how to
// authenticate (RFC 9110, RFC 6750); reads need none.
func TestAMutatingCallWithoutTheTokenIsToldHowToAuthenticate(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/x", func(w http.ResponseWriter, r *http.Request) {})
	h := Middleware(slog.New(slog.DiscardHandler), "s3cret", mux)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/x", nil))
	if rec.Code != http.StatusUnauthorized || !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
		t.Fatalf("POST without the token: %d, WWW-Authenticate %q; want 401 naming the Bearer scheme", rec.Code, rec.Header().Get("WWW-Authenticate"))
	}
	rec = httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/x", nil)
	req.Header.Set("Authorization", "Bearer s3cret")
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("POST with the token: %d", rec.Code)
	}
}
