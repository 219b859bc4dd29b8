package console

import (
	"fmt"
	"html/template"
	"slices"
	"strings"
	"time"

	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/workers/purchases"
)

// timelineView is a timeline laid out on a scale: each span a bar whose
// left edge and width are percentages of the scale.
type timelineView struct {
	T     purchases.Timeline
	Scale time.Duration
	Took  time.Duration
	Bars  []bar
	Ticks []tick
	Hops  []hopView
	// Undone names the compensations in the order they ran, with their
	// services: "release (inventory), cancel (order)".
	Undone string
	Cancel bool // a cancel may still be asked for
	// Busy is the time some step or compensation ran; Idle the rest of
	// Took, spent between them.
	Busy, Idle           time.Duration
	Steps, Compensations int
}

type bar struct {
	purchases.Span
	Left, Width float64
	At, Took    time.Duration
	Running     bool
}

type tick struct {
	Left  float64
	Label string
}

type hopView struct {
	purchases.Hop
	At       time.Duration // its commit, from the purchase's start
	Publish  time.Duration // commit -> publish
	Consumes []consumeView
}

type consumeView struct {
	Consumer string
	Delay    time.Duration // publish -> consume
}

// drawTimeline lays t out on scale (at least t's own length).
func drawTimeline(t purchases.Timeline, scale time.Duration, now time.Time) timelineView {
	took := t.End.Sub(t.Start)
	scale = max(scale, took, time.Millisecond)
	v := timelineView{T: t, Scale: scale, Took: took, Cancel: t.Status == saga.Running}
	pct := func(d time.Duration) float64 { return min(max(float64(d)/float64(scale)*100, 0), 100) }
	var undone []string
	for _, sp := range t.Spans {
		b := bar{Span: sp, At: sp.Start.Sub(t.Start), Took: sp.Took(now), Running: sp.End.IsZero()}
		b.Left = pct(b.At)
		b.Width = max(pct(b.Took), 0.4) // a step of no length still shows
		if b.Left+b.Width > 100 {
			b.Left = 100 - b.Width
		}
		v.Bars = append(v.Bars, b)
		if sp.Kind == purchases.KindCompensation {
			undone = append(undone, fmt.Sprintf("%s (%s)", sp.Name, sp.Service))
		}
		if sp.Kind == purchases.KindStep && sp.Class == saga.Pivot && sp.Outcome != purchases.OutcomeRefused && !sp.End.IsZero() {
			v.Cancel = false // past the pivot: only forward
		}
	}
	v.Undone = strings.Join(undone, ", ")
	v.Busy = busy(t.Spans, now)
	v.Idle = max(took-v.Busy, 0)
	for _, sp := range t.Spans {
		switch sp.Kind {
		case purchases.KindStep:
			v.Steps++
		case purchases.KindCompensation:
			v.Compensations++
		}
	}
	for i := range 5 {
		d := scale * time.Duration(i) / 4
		v.Ticks = append(v.Ticks, tick{Left: float64(i) * 25, Label: ms(d)})
	}
	for _, h := range t.Hops {
		// A record's timestamp has milliseconds only: a delay it makes
		// look negative was under one.
		hv := hopView{Hop: h, At: h.Committed.Sub(t.Start), Publish: max(h.Published.Sub(h.Committed), 0)}
		for _, c := range h.Consumed {
			hv.Consumes = append(hv.Consumes, consumeView{Consumer: c.Consumer, Delay: max(c.At.Sub(h.Published), 0)})
		}
		v.Hops = append(v.Hops, hv)
	}
	return v
}

// busy is the time covered by at least one span: overlapping spans
// count once.
func busy(spans []purchases.Span, now time.Time) time.Duration {
	type iv struct{ from, to time.Time }
	var ivs []iv
	for _, sp := range spans {
		end := sp.End
		if end.IsZero() {
			end = now
		}
		if end.After(sp.Start) {
			ivs = append(ivs, iv{sp.Start, end})
		}
	}
	slices.SortFunc(ivs, func(a, b iv) int { return a.from.Compare(b.from) })
	var total time.Duration
	var cur iv
	for i, x := range ivs {
		switch {
		case i == 0:
			cur = x
		case !x.from.After(cur.to):
			cur.to = later(cur.to, x.to)
		default:
			total += cur.to.Sub(cur.from)
			cur = x
		}
	}
	if len(ivs) > 0 {
		total += cur.to.Sub(cur.from)
	}
	return total
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// ms writes a duration in milliseconds, as the timeline reads it.
func ms(d time.Duration) string {
	switch {
	case d < 0:
		return "-" + ms(-d)
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	case d < 10*time.Second:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	}
	return d.Round(100 * time.Millisecond).String()
}

var funcs = template.FuncMap{
	"ms": ms,
	"pct": func(f float64) template.CSS {
		return template.CSS(fmt.Sprintf("%.2f%%", f))
	},
	"clock": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Local().Format("15:04:05.000")
	},
	"date":         func(t time.Time) string { return t.Local().Format(time.DateTime) },
	"list":         func(vs ...*timelineView) []*timelineView { return vs },
	"lower":        func(s any) string { return strings.ToLower(fmt.Sprint(s)) },
	"orchestrated": func(m saga.Mode) bool { return m == saga.Orchestration },
}
