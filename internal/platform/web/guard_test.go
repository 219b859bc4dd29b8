package web

import (
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
