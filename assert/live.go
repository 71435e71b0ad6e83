package assert

import (
	"time"

	"github.com/callplan/callplan/metrics"
)

// Live evaluates the abort: true assertions while a run is going. The
// runner calls Check about once a second; the first failure it returns is
// the reason to stop originating, hang up and report "aborted by <name>".
// A Live is used by one goroutine (the runner's ticker); it holds no state
// between calls, so calling Check again after an abort is harmless.
type Live struct {
	items []*compiled
}

// Live returns the live evaluator of the set's abort: true assertions.
// With none it is a valid Live whose Check never aborts.
func (s *Set) Live() *Live {
	l := &Live{}
	if s == nil {
		return l
	}
	for _, c := range s.items {
		if c.a.Abort {
			l.items = append(l.items, c)
		}
	}
	return l
}

// Len is the number of abort: true assertions.
func (l *Live) Len() int { return len(l.items) }

// Check judges every abort assertion as of elapsed (time since the run
// started), from the live summary and the sealed seconds so far, and
// returns the first that fails, with Aborted set, or nil.
//
// Live, only finished calls are judged (metrics.Finished): calls is the
// calls that have ended, and asr, success and every other ratio are over
// them, because a call still ringing or held may yet end either way. An
// assertion is not judged before its abort_delay has passed, nor while its
// scope has no finished call. A windowed assertion is judged on the latest
// window only: the calls that ended in the last `window` sealed seconds
// (fewer while the run is younger than the window).
func (l *Live) Check(elapsed time.Duration, sum *metrics.Summary, secs []metrics.Second) *Verdict {
	var fin *metrics.Summary
	for _, c := range l.items {
		if elapsed < c.a.AbortDelay.D() {
			continue
		}
		if fin == nil && sum != nil {
			f := metrics.FinishedSummary(sum)
			fin = &f
		}
		v, judged := c.judgeLive(elapsed, fin, secs)
		if judged && !v.Pass {
			v.Aborted = true
			if c.window > 0 {
				v.FailedWindows = 1
			}
			return &v
		}
	}
	return nil
}

// Failing names the assertions that fail as of elapsed, judged as Check
// judges (finished calls only, latest window), every assertion and
// without abort_delay: the progress line's "failing: ..." so a long run
// shows trouble before its end. Scopes with no finished call yet are left
// out.
func (s *Set) Failing(elapsed time.Duration, sum *metrics.Summary, secs []metrics.Second) []string {
	if s == nil {
		return nil
	}
	var fin *metrics.Summary
	if sum != nil {
		f := metrics.FinishedSummary(sum)
		fin = &f
	}
	var out []string
	for _, c := range s.items {
		if v, judged := c.judgeLive(elapsed, fin, secs); judged && !v.Pass {
			out = append(out, c.a.Name)
		}
	}
	return out
}

// judgeLive evaluates c on the calls finished so far; fin is the live
// summary already judged on finished calls (metrics.FinishedSummary).
// judged is false when there was nothing to judge (no finished call in
// its scope or window yet).
func (c *compiled) judgeLive(elapsed time.Duration, fin *metrics.Summary, secs []metrics.Second) (Verdict, bool) {
	v := c.verdict()
	v.At = Sec(elapsed)
	if c.window > 0 {
		series := c.series(secs)
		if len(series) == 0 {
			return v, false
		}
		win := metrics.Last(series, c.window)
		g := metrics.FinishedWindow(win)
		if g.Calls == 0 {
			return v, false
		}
		c.run(&v, groupValue(g))
		v.Span = spanOf(win)
		v.Windows = 1
		return v, true
	}
	if fin == nil || c.scopeGroup(fin).Calls == 0 {
		return v, false
	}
	c.run(&v, c.envFor(fin, c.names()))
	return v, true
}

// scopeGroup is the group the assertion's scope names.
func (c *compiled) scopeGroup(sum *metrics.Summary) metrics.Group {
	switch {
	case c.a.Stage != "":
		return sum.Stages[c.a.Stage]
	case c.a.Flow != "":
		return sum.Flows[c.a.Flow]
	case c.a.Node != "":
		return sum.Nodes[c.a.Node]
	}
	return sum.Group
}
