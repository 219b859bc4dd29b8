package progress

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/sagaforge/saga/internal/platform/process"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// PlainEvery is how often a run's progress is printed as a plain line when
// its output is not a terminal (CI logs, a file).
const PlainEvery = 5 * time.Second

// redraw is how often the bar is redrawn on a terminal.
const redraw = 250 * time.Millisecond

// Bar shows a long run's progress on w. On a terminal it is one line,
// redrawn in place: a bar, done of total, the rate and the time left.
// Otherwise it prints Line every PlainEvery, so a log reads as before.
// Println writes a line above it. It reads done and detail itself, at
// its own pace, from the functions Start is given.
type Bar struct {
	w      io.Writer
	label  string
	total  int
	done   func() int
	detail func() string
	start  time.Time

	mu      sync.Mutex
	bar     *progressbar.ProgressBar // nil when w is no terminal
	stop    context.CancelFunc
	wg      sync.WaitGroup
	stopped sync.Once
}

// Start shows the progress of label on w until Stop; done says how many
// of total (counted in unit, "purchases") are done, and detail (which may
// be nil) what else to show ("kills 3  faults 12"). A nil w shows nothing.
func Start(ctx context.Context, w io.Writer, label, unit string, total int, done func() int, detail func() string) *Bar {
	b := &Bar{w: w, label: label, total: total, done: done, detail: detail, start: time.Now()}
	if w == nil {
		return b
	}
	every := PlainEvery
	if IsTerminal(w) {
		every = redraw
		// The bar takes the terminal's width; a terminal that says none
		// (a pseudo-terminal without a size) gets a bar of 20.
		width := progressbar.OptionFullWidth()
		if cols, _, err := term.GetSize(int(w.(*os.File).Fd())); err != nil || cols < 60 {
			width = progressbar.OptionSetWidth(20)
		}
		b.bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(label),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString(unit),
			progressbar.OptionSetPredictTime(true), progressbar.OptionSetElapsedTime(true), width,
			progressbar.OptionThrottle(0), progressbar.OptionSetRenderBlankState(true), progressbar.OptionEnableColorCodes(Colour(w)),
			progressbar.OptionSetTheme(progressbar.ThemeASCII))
	}
	ctx, b.stop = context.WithCancel(ctx)
	b.wg.Go(func() { process.Every(ctx, every, b.show) })
	return b
}

// show draws the bar, or prints the plain line.
func (b *Bar) show() {
	b.mu.Lock()
	defer b.mu.Unlock()
	detail := ""
	if b.detail != nil {
		detail = b.detail()
	}
	done := b.done()
	if b.bar == nil {
		line := b.label + " | " + time.Since(b.start).Round(time.Second).String() + "  " + Line(done, b.total, time.Since(b.start))
		if detail != "" {
			line += "  " + detail
		}
		fmt.Fprintln(b.w, line)
		return
	}
	if detail != "" {
		b.bar.Describe(b.label + " | " + detail)
	}
	_ = b.bar.Set(done)
}

// Println writes a line: above the bar on a terminal, as it is otherwise.
func (b *Bar) Println(line string) {
	if b.w == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.bar != nil {
		_ = b.bar.Clear()
	}
	fmt.Fprintln(b.w, line)
	if b.bar != nil {
		_ = b.bar.RenderBlank()
	}
}

// Stop shows the last count and ends the bar's line; it may be called
// again, to no effect.
func (b *Bar) Stop() {
	if b.stop == nil {
		return
	}
	b.stopped.Do(func() {
		b.stop()
		b.wg.Wait()
		b.show()
		if b.bar != nil {
			fmt.Fprintln(b.w)
		}
	})
}

// IsTerminal tells whether w is a terminal, where a line can be redrawn.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Colour tells whether to colour what goes to w: on a terminal, unless
// NO_COLOR is set (no-color.org).
func Colour(w io.Writer) bool {
	if v, set := os.LookupEnv("NO_COLOR"); set && v != "" {
		return false
	}
	return IsTerminal(w)
}

// Verdict is "PASS" or "FAIL" as pass says, green or red where Colour
// allows.
func Verdict(w io.Writer, pass bool) string {
	word, code := "FAIL", "31"
	if pass {
		word, code = "PASS", "32"
	}
	if !Colour(w) {
		return word
	}
	return "\x1b[" + code + "m" + word + "\x1b[0m"
}
