package runner

import (
	"context"
	"math"
	"time"
)

// This file is the engine's pacing: arrivals stage by stage, kept from
// bunching, each dropped, throttled or originated.

// stagePacer paces stage i on its own: its arrivals start at the stage's
// start, uniform or Poisson as the stage says (each stage its own seeded
// stream, so changing one stage does not move another's arrivals). It also
// returns the stage's own schedule.
func (e *engine) stagePacer(i int) (Pacer, *Schedule) {
	st := e.cfg.Stages[i]
	s, _ := NewSchedule(Segment{Duration: st.Duration, From: st.From, To: st.To}) // checked in newEngine
	if st.Poisson {
		return NewPoissonPacer(s, e.cfg.Seed+uint64(i)*104729), s
	}
	return UniformPacer{s}, s
}

// pace originates calls stage by stage until the last stage ends or ctx
// is done.
func (e *engine) pace(ctx context.Context) error {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	sleepUntil := func(at time.Duration) error {
		wait := at - time.Since(e.started)
		// Go's timers wake about a millisecond late at best, so a sleep
		// shorter than that would cap the rate near 1000/s: arrivals due
		// within the next millisecond go now (at most 1 ms early).
		if wait <= time.Millisecond {
			return ctx.Err()
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			return nil
		}
	}
	pg := pacing{last: -1, window: -1}
	for si := range e.cfg.Stages {
		start := e.sched.StageStart(si)
		if err := sleepUntil(start); err != nil {
			return err
		}
		e.enterStage(si)
		p, ss := e.stagePacer(si)
		uniform := !e.cfg.Stages[si].Poisson
		for hits := uint64(0); ; hits++ {
			wait, stop := p.Pace(time.Since(e.started)-start, hits)
			if stop {
				break
			}
			// The rate the arrival was scheduled at (not the rate now,
			// which is 0 past the stage's end when the runner is behind).
			rate := 0.0
			if uniform {
				at, _ := ss.ArrivalTime(float64(hits))
				rate = ss.Rate(at)
			}
			if l := e.overdue(si, p, hits); l == stageOver {
				break
			} else if l == skipIt {
				continue
			}
			if err := e.paceSend(&pg, uniform, rate, time.Since(e.started)+wait, sleepUntil); err != nil {
				return err
			}
			if l := e.judgeArrival(si, p, hits); l == stageOver {
				break
			} else if l == skipIt {
				continue
			}
			full, done := e.arrive(si)
			if done {
				e.judgeStage(si)
				return nil
			}
			if full {
				// The stage's max_calls is reached: idle to its end.
				break
			}
		}
		e.judgeStage(si)
	}
	return sleepUntil(e.sched.Duration())
}

// pacing is the state that keeps uniform arrivals from bunching up.
type pacing struct {
	last   time.Duration // when the previous call was actually sent
	window int64         // current 100 ms window (since the run started)
	inWin  int           // calls sent in it
}

const paceWindow = 100 * time.Millisecond

// paceSend waits until a uniform arrival due at due may be sent. On
// schedule that is due itself. After a stall (GC, a busy host) the
// overdue calls are not sent at once: they catch up at most twice the
// rate, and no 100 ms window gets more than ⌈rate/10⌉+1 calls. The count
// stays exact; the stragglers are a little late instead of a burst that
// would hit the SUT with a spike the plan never asked for.
func (e *engine) paceSend(pg *pacing, uniform bool, rate float64, due time.Duration, sleepUntil func(time.Duration) error) error {
	at := due
	if uniform && pg.last >= 0 && rate > 0 {
		at = max(at, pg.last+time.Duration(0.5/rate*float64(time.Second)))
	}
	for {
		if err := sleepUntil(at); err != nil {
			return err
		}
		now := time.Since(e.started)
		if !uniform {
			return nil
		}
		w := int64(now / paceWindow)
		if w != pg.window {
			pg.window, pg.inWin = w, 0
		}
		r := max(rate, e.sched.Rate(time.Duration(w)*paceWindow), e.sched.Rate(time.Duration(w+1)*paceWindow-1))
		if pg.inWin < int(math.Ceil(r*paceWindow.Seconds()))+1 {
			pg.inWin++
			pg.last = now
			return nil
		}
		at = time.Duration(w+1) * paceWindow
	}
}

// enterStage records stage changes for the time series.
func (e *engine) enterStage(si int) {
	e.mu.Lock()
	changed := si != e.curStage
	e.curStage = si
	e.mu.Unlock()
	if changed {
		e.col.SetStage(e.cfg.Stages[si].Name)
	}
}

// arrive handles one arrival in stage si: drop, throttle or originate. It
// reports full when the stage's max_calls is reached and done when the
// run's is.
func (e *engine) arrive(si int) (full, done bool) {
	st := e.cfg.Stages[si]
	e.mu.Lock()
	if e.cfg.MaxCalls > 0 && e.runCalls >= e.cfg.MaxCalls {
		e.mu.Unlock()
		return false, true
	}
	if st.MaxCalls > 0 && e.stageCalls[si] >= st.MaxCalls {
		e.mu.Unlock()
		return true, false
	}
	fi := e.chooseFlow()
	fm := e.cfg.Flows[fi]
	e.col.Offered(st.Name, fm.Name)
	if st.Limit > 0 && e.active >= st.Limit {
		e.mu.Unlock()
		e.col.Dropped(st.Name, fm.Name)
		return false, false
	}
	n := e.sel.pick(e.nodes)
	if n == nil {
		e.mu.Unlock()
		e.col.Throttled(st.Name, fm.Name)
		return false, false
	}
	c := e.newCall(si, fm, n, false)
	e.stageCalls[si]++
	e.runCalls++
	full = st.MaxCalls > 0 && e.stageCalls[si] >= st.MaxCalls
	done = e.cfg.MaxCalls > 0 && e.runCalls >= e.cfg.MaxCalls
	e.mu.Unlock()
	e.col.Originated(st.Name, fm.Name, n.Name)
	e.wg.Add(1)
	e.origWG.Add(1)
	e.work.Go(func() { e.originate(c) })
	return full, done
}

func (e *engine) chooseFlow() int {
	if e.flowRand != nil {
		return e.flowRand.next()
	}
	return e.flowWRR.next(func(int) bool { return true })
}
