package progress

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/creack/pty"
)

// run shows a bar of 3 on w, all done, and stops it.
func run(w io.Writer) {
	var done atomic.Int64
	b := Start(context.Background(), w, "chaos", "purchases", 3, func() int { return int(done.Load()) }, func() string { return "kills 2" })
	done.Store(3)
	b.Stop()
	b.Stop() // a second Stop draws nothing more
}

// On a terminal the bar is one line, redrawn in place: carriage returns,
// and one newline when it stops.
func TestOnATerminalTheBarIsOneRedrawnLine(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer ptmx.Close()
	if !IsTerminal(tty) {
		t.Fatal("a pseudo-terminal is not taken for a terminal")
	}
	run(tty)
	tty.Close()
	var out bytes.Buffer
	_, _ = io.Copy(&out, ptmx) // ends with EIO once the tty side is closed
	// The terminal turns \n into \r\n; a redraw is a \r of its own.
	got := strings.ReplaceAll(out.String(), "\r\n", "\n")
	if !strings.Contains(got, "\r") || strings.Count(got, "\n") != 1 || !strings.Contains(got, "3/3") || !strings.Contains(got, "kills 2") ||
		!strings.Contains(got, "[====================]") {
		t.Fatalf("terminal output %q: want one line redrawn with \\r, ending 3/3 with its detail and a full bar", got)
	}
}

// Piped (CI, a file), it prints plain lines and never redraws.
func TestPipedItPrintsPlainLines(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	if IsTerminal(w) {
		t.Fatal("a pipe is taken for a terminal")
	}
	run(w)
	w.Close()
	out, _ := io.ReadAll(r)
	got := string(out)
	if strings.Contains(got, "\r") || strings.Count(got, "\n") != 1 || !strings.HasPrefix(got, "chaos | 0s  3/3 100% ") || !strings.HasSuffix(got, "  kills 2\n") {
		t.Fatalf("piped output %q: want one plain line", got)
	}
}

// PASS and FAIL are coloured on a terminal, unless NO_COLOR is set, and
// never in a pipe.
func TestVerdictsAreColouredOnlyOnATerminalWithoutNoColor(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	t.Setenv("NO_COLOR", "")
	if got := Verdict(tty, true); got != "\x1b[32mPASS\x1b[0m" {
		t.Errorf("on a terminal: %q", got)
	}
	var buf bytes.Buffer
	if got := Verdict(&buf, false); got != "FAIL" {
		t.Errorf("in a buffer: %q", got)
	}
	t.Setenv("NO_COLOR", "1")
	if got := Verdict(tty, false); got != "FAIL" {
		t.Errorf("with NO_COLOR: %q", got)
	}
}
