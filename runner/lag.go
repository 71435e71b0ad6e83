package runner

import (
	"fmt"
	"strings"
	"time"

	"github.com/callplan/callplan/metrics"
)

// A stage keeps its time (metrics/pacing.go): the pacer measures how late
// each arrival is sent, counts as missed the arrivals it could not send
// within metrics.MissAfter of their due time and those still unsent when
// their stage ends, and at each stage's end says whether its load was
// delivered on time and, if not, whether the runner or the nodes held it
// back.

// lateness is what pace does with an arrival it is about to send.
type lateness int

const (
	sendNow   lateness = iota // on time, or late within the bound: send it
	skipIt                    // too late: counted missed, not sent
	stageOver                 // the stage has ended: this and the rest are missed
)

// judgeArrival measures arrival hits of stage si (pacer p), which pace is
// about to send now.
func (e *engine) judgeArrival(si int, p Pacer, hits uint64) lateness {
	return e.lateFor(si, p, hits, true)
}

// overdue is judgeArrival before the pacer spaces arrival hits out: an
// arrival already more than metrics.MissAfter late is counted missed and
// skipped at once, without taking a pacing slot. Otherwise a runner that
// fell far behind (a stall, a host out of CPU) spent the catch-up spacing
// on arrivals it would never send, and when its timers also woke late it
// never caught up: under four busy loops on two cores a run sent 23 calls
// and then missed every arrival for a minute. The lag of an arrival it
// sends is measured once, by judgeArrival.
func (e *engine) overdue(si int, p Pacer, hits uint64) lateness {
	return e.lateFor(si, p, hits, false)
}

func (e *engine) lateFor(si int, p Pacer, hits uint64, measure bool) lateness {
	st := e.cfg.Stages[si]
	start := e.sched.StageStart(si)
	now := time.Since(e.started)
	if now >= start+st.Duration {
		e.col.Missed(st.Name, unsent(p, hits))
		return stageOver
	}
	rel, _ := p.Pace(0, hits) // the arrival's due time within the stage
	lag := max(now-(start+rel), 0)
	if lag > metrics.MissAfter {
		e.col.Missed(st.Name, 1)
		return skipIt
	}
	if measure {
		e.col.PacingLag(st.Name, lag)
	}
	return sendNow
}

// unsent counts arrivals hits, hits+1, ... the pacer still had for the
// stage. Pace(0, k) is the arrival's due time and has no side effect but
// advancing a Poisson pacer's draws, which is what it would do anyway.
func unsent(p Pacer, hits uint64) int64 {
	var n int64
	for k := hits; n < 1<<24; k++ {
		if _, stop := p.Pace(0, k); stop {
			break
		}
		n++
	}
	return n
}

// judgeStage says, at the end of stage si's arrivals, whether its load was
// delivered on time, and if not, which side held it back: the runner when
// its pacing lagged (or missed arrivals) while no node refused calls, the
// nodes when arrivals were throttled because every node was saturated or
// full.
func (e *engine) judgeStage(si int) {
	name := e.cfg.Stages[si].Name
	g := e.col.Summary().Stages[name]
	e.mu.Lock()
	var saturated []string
	for _, n := range e.nodes {
		if n.saturated || n.saturatedEver && g.Throttled > 0 {
			saturated = append(saturated, n.Name)
		}
	}
	e.mu.Unlock()
	e.col.SetPacing(name, pacingVerdict(g, saturated))
}

// pacingVerdict is the rule judgeStage applies, apart for testing.
func pacingVerdict(g metrics.Group, saturated []string) metrics.StagePacing {
	late := g.Missed > 0 || g.PacingLag.P95 > metrics.LagBound
	held := g.Throttled > 0
	var why []string
	if late {
		why = append(why, fmt.Sprintf("pacing lag p95 %v, max %v, %d arrival(s) missed",
			g.PacingLag.P95.Round(time.Millisecond), g.PacingLag.Max.Round(time.Millisecond), g.Missed))
	}
	if held {
		w := fmt.Sprintf("%d arrival(s) throttled: every node saturated or full", g.Throttled)
		if len(saturated) > 0 {
			w += " (saturated: " + strings.Join(saturated, ", ") + ")"
		}
		why = append(why, w)
	}
	p := metrics.StagePacing{Bottleneck: metrics.BottleneckNone, Why: strings.Join(why, "; ")}
	switch {
	case late && held:
		p.Bottleneck = metrics.BottleneckBoth
	case late:
		p.Bottleneck = metrics.BottleneckRunner
		p.Why += " while the nodes took every call: the runner (or its host's CPU) is the bottleneck"
	case held:
		p.Bottleneck = metrics.BottleneckNode
	}
	return p
}
