package starter

import (
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Waiting helps a server that is restarting, not one that refuses the
// caller: a wrong API key or an untrusted certificate fails at once.
func TestOnlyAnAbsentTemporalIsWaitedFor(t *testing.T) {
	reach := func(err error) error { return fmt.Errorf("cannot reach Temporal at 127.0.0.1:7233: %w", err) }
	for _, tc := range []struct {
		err  error
		wait bool
	}{
		{reach(status.Error(codes.Unavailable, "connection error: dial tcp 127.0.0.1:7233: connect: connection refused")), true},
		{reach(fmt.Errorf("failed reaching server: %w", status.Error(codes.Unavailable, "connection refused"))), true},
		{reach(errors.New("failed reaching server: context deadline exceeded")), true},
		{reach(status.Error(codes.Unauthenticated, "missing or wrong API key")), false},
		{reach(errors.New("failed reaching server: rpc error: code = Unauthenticated desc = missing or wrong API key")), false},
		{reach(status.Error(codes.Unavailable, `connection error: desc = "transport: authentication handshake failed: tls: failed to verify certificate"`)), false},
	} {
		if got := mayComeBack(tc.err); got != tc.wait {
			t.Errorf("mayComeBack(%v) = %v, want %v", tc.err, got, tc.wait)
		}
	}
}
