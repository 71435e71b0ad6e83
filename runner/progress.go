package runner

import (
	"fmt"
	"strings"
	"time"
)

// Progress is the live state of a run, reported about once a second.
type Progress struct {
	Stage           string
	Elapsed, Total  time.Duration
	TargetCPS       float64 // the schedule's rate now
	AchievedCPS     float64 // originates in the last second
	Active          int64
	Calls, Answered int64
	Failed, Dropped int64
	Throttled       int64
	Missed          int64    // arrivals not sent in time (metrics/pacing.go)
	Saturated       []string // nodes the overdrive guard holds back
	Down            []string // nodes whose connection is lost
	FailingAsserts  []string // filled by the caller from the live assertions
}

// Line renders the progress as one status line.
func (p Progress) Line() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s/%s cps %.1f/%.1f active %d calls %d answered %d failed %d dropped %d",
		p.Stage, p.Elapsed.Truncate(time.Second), p.Total.Truncate(time.Second),
		p.AchievedCPS, p.TargetCPS, p.Active, p.Calls, p.Answered, p.Failed, p.Dropped)
	if p.Missed > 0 {
		fmt.Fprintf(&b, " missed %d", p.Missed)
	}
	if p.Throttled > 0 {
		fmt.Fprintf(&b, " throttled %d", p.Throttled)
	}
	if len(p.Saturated) > 0 {
		fmt.Fprintf(&b, " saturated: %s", strings.Join(p.Saturated, ","))
	}
	if len(p.Down) > 0 {
		fmt.Fprintf(&b, " down: %s", strings.Join(p.Down, ","))
	}
	if len(p.FailingAsserts) > 0 {
		fmt.Fprintf(&b, " failing: %s", strings.Join(p.FailingAsserts, "; "))
	}
	return b.String()
}

func (e *engine) progress() Progress {
	s := e.col.Summary()
	secs := e.col.Seconds()
	e.mu.Lock()
	defer e.mu.Unlock()
	p := Progress{
		Total:    e.sched.Duration(),
		Active:   int64(e.active),
		Calls:    s.Calls,
		Answered: s.Answered, Failed: s.Failed, Dropped: s.Dropped, Throttled: s.Throttled, Missed: s.Missed,
	}
	if !e.started.IsZero() {
		p.Elapsed = time.Since(e.started)
		p.TargetCPS = e.sched.Rate(p.Elapsed)
	}
	if e.curStage < len(e.cfg.Stages) {
		p.Stage = e.cfg.Stages[e.curStage].Name
	}
	if p.Elapsed >= p.Total {
		p.Stage = "draining"
	}
	if len(secs) > 0 {
		p.AchievedCPS = float64(secs[len(secs)-1].Calls)
	}
	// Answers as they happen (the summary counts them when calls end,
	// which with long holds lags far behind).
	var answered int64
	for i := range secs {
		answered += secs[i].Answered
	}
	p.Answered = max(p.Answered, answered)
	for _, n := range e.nodes {
		if n.saturated || n.cpu.sat {
			p.Saturated = append(p.Saturated, n.Name)
		}
		if !n.up {
			p.Down = append(p.Down, n.Name)
		}
	}
	return p
}
