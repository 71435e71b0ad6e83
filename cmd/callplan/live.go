package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/callplan/callplan/metrics"
	"github.com/callplan/callplan/runner"
)

// The live status line. Every number carries its label ("cps 9.8 of 10.0"
// is achieved of target, "calls 1234", "ASR 95.6%"); on a terminal the line is redrawn in place
// and cut to the terminal's width, so a redraw never wraps and leaves a
// trail; in a CI log it is printed whole, one plain line per interval.

// segment is one labelled part of the live line. Parts are shown in the
// order they are listed; when the line is too wide the ones of least
// importance (highest prio) are left out first.
type segment struct {
	text string
	prio int
}

// liveSegments are the parts of the line for one progress report. pdd95 is
// the run's post-dial delay p95 so far, 0 before any call progressed.
func liveSegments(p runner.Progress, pdd95 time.Duration) []segment {
	segs := []segment{
		{fmt.Sprintf("%s %s/%s", p.Stage, p.Elapsed.Truncate(time.Second), p.Total.Truncate(time.Second)), 0},
	}
	if len(p.Down) > 0 {
		segs = append(segs, segment{"DOWN " + strings.Join(p.Down, ","), 1})
	}
	if len(p.Saturated) > 0 {
		segs = append(segs, segment{"saturated " + strings.Join(p.Saturated, ","), 2})
	}
	segs = append(segs,
		segment{fmt.Sprintf("cps %.1f of %.1f", p.AchievedCPS, p.TargetCPS), 1},
		segment{fmt.Sprintf("active %d", p.Active), 4},
		segment{fmt.Sprintf("calls %d", p.Calls), 2},
		segment{fmt.Sprintf("answered %d", p.Answered), 6},
		segment{fmt.Sprintf("failed %d", p.Failed), 3},
	)
	if p.Calls > 0 {
		// Answers as they happen over calls placed: calls still ringing
		// hold it a little under the final ASR.
		segs = append(segs, segment{fmt.Sprintf("ASR %.1f%%", 100*float64(p.Answered)/float64(p.Calls)), 2})
	}
	if pdd95 > 0 {
		segs = append(segs, segment{"pdd p95 " + shortDuration(pdd95), 3})
	}
	if p.Dropped > 0 {
		segs = append(segs, segment{fmt.Sprintf("dropped %d", p.Dropped), 5})
	}
	if p.Missed > 0 {
		segs = append(segs, segment{fmt.Sprintf("missed %d", p.Missed), 5})
	}
	if p.Throttled > 0 {
		segs = append(segs, segment{fmt.Sprintf("throttled %d", p.Throttled), 5})
	}
	if len(p.FailingAsserts) > 0 {
		segs = append(segs, segment{"failing: " + strings.Join(p.FailingAsserts, "; "), 3})
	}
	return segs
}

const liveSep = " | "

// fitLine joins the segments that fit in width runes, dropping the least
// important first; width 0 keeps them all. A single segment too long even
// alone (a long list of failing assertions) is cut with an ellipsis.
func fitLine(segs []segment, width int) string {
	keep := make([]bool, len(segs))
	for i := range keep {
		keep[i] = true
	}
	if width > 0 {
		order := make([]int, len(segs))
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(a, b int) int { return segs[b].prio - segs[a].prio })
		for _, i := range order {
			if lineWidth(segs, keep) <= width || i == 0 {
				break
			}
			keep[i] = false
		}
	}
	var parts []string
	for i, s := range segs {
		if keep[i] {
			parts = append(parts, s.text)
		}
	}
	line := strings.Join(parts, liveSep)
	if width > 0 && utf8.RuneCountInString(line) > width {
		r := []rune(line)
		line = string(r[:max(width-1, 0)]) + "…"
	}
	return line
}

func lineWidth(segs []segment, keep []bool) int {
	n, parts := 0, 0
	for i, s := range segs {
		if keep[i] {
			n += utf8.RuneCountInString(s.text)
			parts++
		}
	}
	return n + max(parts-1, 0)*len(liveSep)
}

// shortDuration writes a latency with three significant digits: 842µs,
// 1.23ms, 12.3ms, 142ms, 1.25s.
func shortDuration(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2fms", ms)
	case d < 100*time.Millisecond:
		return fmt.Sprintf("%.1fms", ms)
	case d < time.Second:
		return fmt.Sprintf("%.0fms", ms)
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}

// progressPrinter shows the live status line: redrawn in place every
// second on a terminal, a plain line every interval otherwise.
type progressPrinter struct {
	mu    sync.Mutex
	w     io.Writer
	width func() int // the terminal's columns; nil when not a terminal
	quiet bool
	every time.Duration
	last  time.Time
	shown bool
	// summary, when set, gives the run's figures so far for the latency
	// percentile.
	summary func() metrics.Summary
	// suffix, when set, gives a part shown after the figures (the faults
	// in force, faults.go); "" adds nothing.
	suffix func() string
}

func newProgressPrinter(w io.Writer, quiet bool, every time.Duration) *progressPrinter {
	p := &progressPrinter{w: w, quiet: quiet, every: every}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.width = func() int {
			if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
				return cols
			}
			return 80
		}
	}
	return p
}

// withSummary makes the line show the run's latency percentile from sum.
func (p *progressPrinter) withSummary(sum func() metrics.Summary) *progressPrinter {
	p.summary = sum
	return p
}

func (p *progressPrinter) update(pr runner.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.quiet {
		return
	}
	tty := p.width != nil
	now := time.Now()
	if !tty && !p.last.IsZero() && now.Sub(p.last) < p.every {
		return
	}
	p.last = now
	var pdd95 time.Duration
	if p.summary != nil {
		pdd95 = p.summary().PDD.P95
	}
	segs := liveSegments(pr, pdd95)
	if p.suffix != nil {
		if s := p.suffix(); s != "" {
			segs = append(segs, segment{s, 1})
		}
	}
	if tty {
		// One column short of the width: a line that fills the last
		// column makes some terminals wrap at once.
		fmt.Fprintf(p.w, "\r\x1b[K%s", fitLine(segs, p.width()-1))
		p.shown = true
		return
	}
	fmt.Fprintln(p.w, fitLine(segs, 0))
}

func (p *progressPrinter) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprintln(p.w)
		p.shown = false
	}
}

// terminalWidth is w's width in columns when it is a terminal, else 0
// (the table report's default of 100 columns).
func terminalWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil {
			return cols
		}
	}
	return 0
}
