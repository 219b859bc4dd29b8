package stack

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
)

// A second stack on the ports of a running one must not start: its checks
// would pass against the first one's processes.
func TestStartRefusesATakenPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port

	cfg := Config{BinDir: t.TempDir(), DataDir: t.TempDir(), Host: "127.0.0.1", OrderPort: port}
	s, err := Start(context.Background(), cfg)
	if err == nil {
		s.Stop()
		t.Fatal("Start succeeded on a taken port")
	}
	if !strings.Contains(err.Error(), "order port 127.0.0.1:"+strconv.Itoa(port)+" is taken") {
		t.Fatalf("error does not name the taken port: %v", err)
	}
}
