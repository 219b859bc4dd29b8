package stack

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// child is one process of the stack, with its output prefixed by its name.
type child struct {
	name  string
	path  string
	args  []string
	env   []string
	ready func(ctx context.Context) error
	out   *prefixWriter
	// grace is how long a SIGTERM may take before SIGKILL; 0 means 10 s.
	grace time.Duration
	// once is a step that runs to its end (a schema migration, a setup
	// script) before the next process starts; it must exit 0.
	once bool
	// cred runs the process as another user (PostgreSQL refuses root).
	cred *syscall.Credential

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
	stopped bool // stopped on purpose; an exit is not a crash
}

// terminate sends SIGTERM and waits out the process's grace.
func (p *child) terminate() error {
	return p.signal(syscall.SIGTERM, cmp.Or(p.grace, 10*time.Second))
}

func (p *child) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	cmd := p.command()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	p.cmd, p.done, p.stopped, p.waitErr = cmd, make(chan struct{}), false, nil
	done := p.done
	go func() {
		p.out.copyLines(p.name, stdout)
		err := cmd.Wait()
		p.mu.Lock()
		p.waitErr = err
		p.mu.Unlock()
		close(done)
	}()
	return nil
}

// command is the process's command, not started yet.
func (p *child) command() *exec.Cmd {
	cmd := exec.Command(p.path, p.args...)
	cmd.Env = append(os.Environ(), p.env...)
	// Own process group: Ctrl-C reaches the stack, which stops the children
	// in order. Pdeathsig: if the stack dies, its children die with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, Credential: p.cred}
	return cmd
}

// output runs the process to its end and returns what it printed.
func (p *child) output() ([]byte, error) {
	return p.command().CombinedOutput()
}

// finish waits for a step (once) to end, and fails unless it exited 0.
func (p *child) finish(ctx context.Context, timeout time.Duration) error {
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(timeout):
		_ = p.signal(syscall.SIGKILL, 0)
		return fmt.Errorf("%s did not finish within %s", p.name, timeout)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopped = true
	if p.waitErr != nil {
		return fmt.Errorf("%s failed (%v); see its log lines above", p.name, p.waitErr)
	}
	return nil
}

// running tells whether the process is up.
func (p *child) running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// signal sends sig and, when wait > 0, waits that long for the exit before
// killing it.
func (p *child) signal(sig syscall.Signal, wait time.Duration) error {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.stopped = true
	p.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	default:
	}
	if err := cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("signal %s: %w", p.name, err)
	}
	if wait <= 0 {
		<-done
		return nil
	}
	select {
	case <-done:
	case <-time.After(wait):
		_ = cmd.Process.Kill()
		<-done
		return fmt.Errorf("%s did not stop within %s and was killed", p.name, wait)
	}
	return nil
}

// waitReady polls the readiness check until it passes, the process exits or
// the timeout runs out.
func (p *child) waitReady(ctx context.Context, timeout time.Duration) error {
	if p.ready == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		check, cancelCheck := context.WithTimeout(ctx, 2*time.Second)
		last = p.ready(check)
		cancelCheck()
		if last == nil {
			return nil
		}
		p.mu.Lock()
		done, err := p.done, p.waitErr
		p.mu.Unlock()
		select {
		case <-done:
			return fmt.Errorf("%s exited while starting (%v); see its log lines above", p.name, err)
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s: %w", p.name, timeout, last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// prefixWriter interleaves the children's output line by line, each line
// prefixed with its process's name.
type prefixWriter struct {
	mu  sync.Mutex
	w   io.Writer
	pad int
}

func (pw *prefixWriter) copyLines(name string, r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		pw.line(name, sc.Text())
	}
}

// line writes one line as name's, whole, between the children's.
func (pw *prefixWriter) line(name, text string) {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	fmt.Fprintf(pw.w, "%-*s | %s\n", pw.pad, name, text)
}
