package web_test

import (
	"testing"

	"github.com/sagaforge/saga/internal/platform/web"
)

func TestLoopbackAddresses(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:7233": true, "localhost:7233": true, "[::1]:7233": true, "127.0.0.2:7233": true,
		"temporal:7233": false, "10.0.0.7:7233": false, "acme.tmprl.cloud:7233": false, "127.0.0.1": false,
	} {
		if got := web.Loopback(addr); got != want {
			t.Errorf("Loopback(%q) = %v, want %v", addr, got, want)
		}
	}
}
