package flows

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/callplan/callplan/metrics"
)

// Bert is switchio's Bert: mod_bert's bert_test on the caller leg and echo
// on the callee leg (or bert_test on both, two_sided), held for the call's
// hold time. bert_test sends a known pattern and checks what comes back;
// it reports mod_bert::in_sync once the error rate of a window is at or
// under max_err, mod_bert::lost_sync when a window goes over it, and
// mod_bert::timeout when no sync came within timeout (mod_bert.c;
// esl/testdata/fixtures 06-bert).
type Bert struct {
	Window        time.Duration
	MaxErr        int
	Timeout       time.Duration
	HangupOnError bool
	TwoSided      bool

	calls *callStates[bertCall]
}

var _ Flow = (*Bert)(nil)

func bertSpec() Spec {
	return Spec{
		Name: "bert",
		Doc: "Bit-error-rate test (switchio's Bert): the callee answers and runs `echo` (or `bert_test` with `two_sided`), the caller runs `bert_test` once answered, " +
			"and the call is held for the stage's hold time. The parameters are set as mod_bert's channel variables (`bert_window_ms`, `bert_max_err`, `bert_timeout_ms`, " +
			"`bert_hangup_on_error`) on each leg before `bert_test`, as a real FreeSWITCH needs them. The hold must be longer than the first window (mod_bert judges a window " +
			"when the frame after it arrives: first sync about 1.02 s in with a 1 s window).",
		Params: []Param{
			{Name: "window", Type: TypeDuration, Default: "1s", Doc: "mod_bert's analysis window (`bert_window_ms`); a multiple of 20 ms, else mod_bert never judges one."},
			{Name: "max_err", Type: TypeInt, Default: "30", Min: 0, Max: 100, Doc: "Percent of samples in error in a window above which sync is lost (`bert_max_err`)."},
			{Name: "timeout", Type: TypeDuration, Default: "3s", Doc: "How long bert_test waits for the first sync before reporting a timeout (`bert_timeout_ms`)."},
			{Name: "hangup_on_error", Type: TypeBool, Default: "true", Doc: "The node hangs the leg up (MEDIA_TIMEOUT) on lost sync or timeout (`bert_hangup_on_error`)."},
			{Name: "two_sided", Type: TypeBool, Default: "false", Doc: "Run bert_test on the callee leg too instead of echo; each leg then checks the other's pattern."},
		},
		Check: func(with map[string]string) []ParamError {
			if v, ok := with["window"]; ok {
				if d, _ := time.ParseDuration(v); d < 20*time.Millisecond || d%(20*time.Millisecond) != 0 {
					return []ParamError{{Param: "window", Msg: fmt.Sprintf("must be a multiple of 20ms (mod_bert never judges another window), got %s", v)}}
				}
			}
			return nil
		},
		New: newBert,
		Judges: "Success: answered, every leg running bert_test reached sync and never lost it, and the call ended as in park. " +
			"Failure reasons: `bert_timeout` (a leg never synced within `timeout`: mod_bert::timeout), `bert_lost_sync` (a leg lost sync: mod_bert::lost_sync), " +
			"`bert_no_sync` (the call ended before a leg synced, with no timeout reported: the hold was too short to tell), or those of park. " +
			"BERT reports that arrive after the flow has started hanging the call up are not judged: tearing the call down stops the pattern.",
		Counters: []Measure{
			{Name: "lost_sync", Doc: "mod_bert::lost_sync reports, summed over the legs"},
			{Name: "timeouts", Doc: "calls with a leg that reported mod_bert::timeout"},
			{Name: "no_sync", Doc: "calls that ended before every bert leg synced, without a timeout"},
		},
		Fields: []Measure{
			{Name: "sync_time_ms", Doc: "time from answer to the first mod_bert::in_sync, milliseconds; with two_sided the slower leg's"},
			{Name: "lost_sync", Doc: "how many times sync was lost, over the legs"},
			{Name: "worst_lost_percent", Doc: "the highest sync_lost_percent a lost_sync reported"},
			{Name: "timed_out", Doc: "true when a leg reported mod_bert::timeout"},
		},
		Figures: []Figure{
			{Name: "sync_time", Duration: true, Doc: "answer to the first mod_bert::in_sync (with two_sided the slower leg's), over the calls whose every bert leg synced: `flows.bert.sync_time.p95 < duration(\"2s\")`"},
			{Name: "lost_percent", Doc: "the highest sync_lost_percent a call's lost_sync reported (0 when it never lost sync), over the answered calls"},
		},
	}
}

func newBert(p Params) (Flow, error) {
	window, err := p.duration("window")
	if err != nil {
		return nil, err
	}
	timeout, err := p.duration("timeout")
	if err != nil {
		return nil, err
	}
	maxErr, _, err := p.int("max_err")
	if err != nil {
		return nil, err
	}
	return &Bert{Window: window, MaxErr: maxErr, Timeout: timeout,
		HangupOnError: p["hangup_on_error"] == "true", TwoSided: p["two_sided"] == "true",
		calls: &callStates[bertCall]{}}, nil
}

// bertCall is what the flow saw of one call. mu guards it: the hold timer
// runs beside the call's events.
type bertCall struct {
	mu     sync.Mutex
	legs   [LegCallee + 1]bertLeg
	ending bool // the flow has sent its hangup, or a leg ended
}

// bertLeg is one leg's bert_test.
type bertLeg struct {
	running  bool // bert_test was started on it
	start    stamp
	synced   bool
	syncTime time.Duration
	lost     int
	worstPct float64
	timedOut bool
}

// stamp is when something happened: on the node's clock when the event
// said, and on the runner's when it arrived, so two stamps are compared on
// the node's clock when both have it.
type stamp struct{ node, rx time.Time }

func stampOf(ev Event) stamp { return stamp{node: ev.At, rx: time.Now()} }

func (s stamp) until(t stamp) time.Duration {
	if !s.node.IsZero() && !t.node.IsZero() {
		return t.node.Sub(s.node)
	}
	return t.rx.Sub(s.rx)
}

// Use implements Flow.
func (*Bert) Use() string { return "bert" }

func (f *Bert) state(id string) *bertCall {
	return f.calls.get(id, func() *bertCall { return &bertCall{} })
}

// vars are mod_bert's channel variables (mod_bert.c reads them when
// bert_test starts; fixture 06 sets bert_timeout_ms with uuid_setvar).
func (f *Bert) vars() [][2]string {
	return [][2]string{
		{"bert_window_ms", strconv.FormatInt(f.Window.Milliseconds(), 10)},
		{"bert_timeout_ms", strconv.FormatInt(f.Timeout.Milliseconds(), 10)},
		{"bert_max_err", strconv.Itoa(f.MaxErr)},
		{"bert_hangup_on_error", strconv.FormatBool(f.HangupOnError)},
	}
}

func (f *Bert) startBert(ctx context.Context, leg CallControl) error {
	for _, v := range f.vars() {
		if err := leg.SetVar(ctx, v[0], v[1]); err != nil {
			return fmt.Errorf("setting %s: %w", v[0], err)
		}
	}
	if err := leg.Execute(ctx, "bert_test", ""); err != nil {
		return fmt.Errorf("starting bert_test: %w", err)
	}
	return nil
}

// On implements Flow.
func (f *Bert) On(ctx context.Context, c *Call, ev Event) error {
	st := f.state(c.ID)
	switch ev.Kind {
	case CalleeArrived:
		if err := c.Callee.Answer(ctx); err != nil {
			return fmt.Errorf("answering callee: %w", err)
		}
		if f.TwoSided {
			return f.startBert(ctx, c.Callee)
		}
		if err := c.Callee.Execute(ctx, "echo", ""); err != nil {
			return fmt.Errorf("starting echo: %w", err)
		}
	case CalleeAnswered:
		if f.TwoSided {
			st.begin(LegCallee, ev)
		}
		c.Caller.Schedule(c.Hold, func(ctx context.Context) {
			st.mu.Lock()
			st.ending = true
			st.mu.Unlock()
			_ = c.Caller.Hangup(ctx, "NORMAL_CLEARING")
		})
	case CallerAnswered:
		st.begin(LegCaller, ev)
		return f.startBert(ctx, c.Caller)
	case BERTInSync, BERTLostSync, BERTTimeout:
		st.report(ev)
	case LegHungUp:
		st.mu.Lock()
		st.ending = true
		st.mu.Unlock()
	}
	return nil
}

func (st *bertCall) begin(leg Leg, ev Event) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.legs[leg].running = true
	st.legs[leg].start = stampOf(ev)
}

// report takes one mod_bert event of a leg that runs bert_test.
func (st *bertCall) report(ev Event) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.ending || ev.Leg != LegCaller && ev.Leg != LegCallee {
		return
	}
	l := &st.legs[ev.Leg]
	if !l.running {
		// A report before the answer that started the test: count it
		// from now, so it is judged and not lost.
		l.running, l.start = true, stampOf(ev)
	}
	switch ev.Kind {
	case BERTInSync:
		if !l.synced {
			l.synced = true
			l.syncTime = max(l.start.until(stampOf(ev)), 0)
		}
	case BERTLostSync:
		l.lost++
		l.worstPct = max(l.worstPct, ev.BERT.LostPercent)
	case BERTTimeout:
		l.timedOut = true
	}
}

// Judge implements Flow.
func (f *Bert) Judge(r *metrics.Record) {
	st := f.calls.take(r.Call)
	if st == nil {
		st = &bertCall{}
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if !r.Answered() {
		judgeAnswered(r)
		return
	}
	var lost int
	var worst float64
	var syncTime time.Duration
	timedOut, allSynced := false, true
	legs := []Leg{LegCaller}
	if f.TwoSided {
		legs = append(legs, LegCallee)
	}
	for _, leg := range legs {
		l := st.legs[leg]
		lost += l.lost
		worst = max(worst, l.worstPct)
		timedOut = timedOut || l.timedOut
		if l.synced {
			syncTime = max(syncTime, l.syncTime)
		} else {
			allSynced = false
		}
	}
	if allSynced {
		field(r, "sync_time_ms", msText(syncTime))
		r.SetTiming("sync_time", syncTime)
	}
	r.SetValue("lost_percent", worst)
	field(r, "lost_sync", strconv.Itoa(lost))
	field(r, "worst_lost_percent", strconv.FormatFloat(worst, 'f', 2, 64))
	field(r, "timed_out", strconv.FormatBool(timedOut))
	for i := 0; i < lost; i++ {
		count(r, "lost_sync")
	}
	switch {
	case timedOut:
		count(r, "timeouts")
		fail(r, "bert_timeout")
	case lost > 0:
		fail(r, "bert_lost_sync")
	default:
		judgeAnswered(r)
		if r.Outcome == metrics.OutcomeOK && !allSynced {
			count(r, "no_sync")
			fail(r, "bert_no_sync")
		}
	}
}
