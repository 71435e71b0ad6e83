package flows

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/callplan/callplan/metrics"
)

// DTMF is switchio's DtmfChecker without its bug of losing mismatches:
// once both legs are answered, one leg (or both) sends a digit sequence,
// one digit at a time with uuid_send_dtmf <uuid> <digit>@<ms> (RFC 2833
// on the wire; esl/testdata/fixtures 07-dtmf), and the far leg's DTMF
// events are compared with what was sent, in order.
type DTMF struct {
	Digits   string
	From     string // caller, callee or both
	Duration time.Duration
	Gap      time.Duration
	Timeout  time.Duration

	calls *callStates[dtmfCall]
}

var _ Flow = (*DTMF)(nil)

// dtmfDigits are the digits a plan may send: RFC 4733's 0-9, *, #, A-D.
const dtmfDigits = "0123456789*#ABCD"

// FreeSWITCH's digit timing (switch_core_session_send_dtmf_string keeps
// an "@<ms>" only over 50 ms; switch_rtp.c's do_2833 waits 400 ms after
// each digit before the next).
const (
	dtmfMinDuration = 50 * time.Millisecond
	dtmfMinGap      = 400 * time.Millisecond
)

func dtmfSpec() Spec {
	return Spec{
		Name: "dtmf",
		Doc: "DTMF check (switchio's DtmfChecker, without its bug of losing mismatches): the callee answers; once both legs are answered the sending leg sends `digits` " +
			"one at a time (`uuid_send_dtmf <uuid> <digit>@<ms>`, RFC 2833 events on the wire), `duration` each with `gap` between them, and the far leg's DTMF events are " +
			"compared with what was sent, in order. The call is held for the stage's hold time, or until `timeout` after the last digit was sent if that is later.",
		Params: []Param{
			{Name: "digits", Type: TypeString, Default: "0123456789*#", Doc: "The digits to send, in order: 0-9, *, #, A-D."},
			{Name: "from", Type: TypeEnum, Default: "caller", Enum: []string{"caller", "callee", "both"}, Doc: "Which leg sends; with both, each leg sends the sequence to the other at the same time."},
			{Name: "duration", Type: TypeDuration, Default: "100ms", Doc: "How long each digit lasts (the `@<ms>` of uuid_send_dtmf); more than 50ms, as FreeSWITCH ignores a shorter one and sends 250 ms."},
			{Name: "gap", Type: TypeDuration, Default: "400ms", Doc: "Time between the end of one digit and the start of the next; at least 400ms, the pause FreeSWITCH's RFC 2833 sender (switch_rtp.c) leaves after every digit, so a shorter gap would only queue digits on the node."},
			{Name: "timeout", Type: TypeDuration, Default: "2s", Doc: "How long after sending the last digit the far leg has to receive the rest; digits later than that are missing."},
		},
		Check: func(with map[string]string) []ParamError {
			if v, ok := with["digits"]; ok {
				if v == "" {
					return []ParamError{{Param: "digits", Msg: "must not be empty"}}
				}
				if i := strings.IndexFunc(v, func(r rune) bool { return !strings.ContainsRune(dtmfDigits, r) }); i >= 0 {
					return []ParamError{{Param: "digits", Msg: fmt.Sprintf("%q is not a DTMF digit (0-9, *, #, A-D)", v[i:i+1])}}
				}
			}
			var errs []ParamError
			if v, ok := with["duration"]; ok {
				if d, _ := time.ParseDuration(v); d <= dtmfMinDuration || d%time.Millisecond != 0 {
					errs = append(errs, ParamError{Param: "duration", Msg: fmt.Sprintf("must be whole milliseconds over 50ms (FreeSWITCH sends 250 ms for a shorter digit), got %s", v)})
				}
			}
			if v, ok := with["gap"]; ok {
				if d, _ := time.ParseDuration(v); d < dtmfMinGap {
					errs = append(errs, ParamError{Param: "gap", Msg: fmt.Sprintf("must be at least 400ms (FreeSWITCH pauses that long after every digit), got %s", v)})
				}
			}
			return errs
		},
		New: newDTMF,
		Judges: "Success: answered, the far leg received exactly the digits sent, in order, and the call ended as in park. " +
			"The received digits are aligned with the sent ones by the fewest edits: a sent digit not received is missing, one received as another digit is wrong, " +
			"a received digit nobody sent (or on a leg that sends none) is extra. Failure reasons: those of park first (a call that dropped is judged for the drop), " +
			"then `dtmf_missing`, `dtmf_wrong`, `dtmf_extra`. A digit that could not be sent (the node refused uuid_send_dtmf) is missing. " +
			"Digits that arrive after the flow has started hanging up are not counted.",
		Counters: []Measure{
			{Name: "missing", Doc: "digits sent but never received, summed over the calls"},
			{Name: "wrong", Doc: "digits received as another digit"},
			{Name: "extra", Doc: "digits received that were not sent"},
		},
		Fields: []Measure{
			{Name: "sent", Doc: "digits sent (both directions with from: both)"},
			{Name: "received", Doc: "digits the far leg(s) received"},
			{Name: "missing", Doc: "digits sent and not received"},
			{Name: "wrong", Doc: "digits received as another digit"},
			{Name: "extra", Doc: "digits received that were not sent"},
			{Name: "worst_latency_ms", Doc: "the longest time from sending a digit to the far leg's DTMF event for it, on the runner's clock, milliseconds"},
		},
		Figures: []Figure{
			{Name: "digit_latency", Duration: true, Doc: "a call's worst digit latency (`worst_latency_ms`), over the calls that received a digit: `flows.dtmf.digit_latency.p95 < duration(\"200ms\")`"},
		},
	}
}

func newDTMF(p Params) (Flow, error) {
	f := &DTMF{Digits: p["digits"], From: p["from"], calls: &callStates[dtmfCall]{}}
	var err error
	if f.Duration, err = p.duration("duration"); err != nil {
		return nil, err
	}
	if f.Gap, err = p.duration("gap"); err != nil {
		return nil, err
	}
	if f.Timeout, err = p.duration("timeout"); err != nil {
		return nil, err
	}
	return f, nil
}

// Use implements Flow.
func (*DTMF) Use() string { return "dtmf" }

// dtmfCall is what the flow saw of one call; dirs is indexed by the leg
// that receives. mu guards it: the send and hangup timers run beside the
// call's events.
type dtmfCall struct {
	mu                 sync.Mutex
	callerUp, calleeUp bool
	started, ending    bool
	dirs               [LegCallee + 1]dtmfDir
}

// dtmfDir is one direction: the digits sent toward a leg and what it got.
type dtmfDir struct {
	expect string      // the digits sent toward the leg ("" when none)
	sentAt []time.Time // when each was sent; zero when sending failed
	got    []gotDigit
}

type gotDigit struct {
	digit string
	at    time.Time
}

func (f *DTMF) state(id string) *dtmfCall {
	return f.calls.get(id, func() *dtmfCall { return &dtmfCall{} })
}

// senders are the legs that send, with the far leg that receives.
func (f *DTMF) senders() [][2]Leg {
	switch f.From {
	case "callee":
		return [][2]Leg{{LegCallee, LegCaller}}
	case "both":
		return [][2]Leg{{LegCaller, LegCallee}, {LegCallee, LegCaller}}
	}
	return [][2]Leg{{LegCaller, LegCallee}}
}

// On implements Flow.
func (f *DTMF) On(ctx context.Context, c *Call, ev Event) error {
	st := f.state(c.ID)
	switch ev.Kind {
	case CalleeArrived:
		if err := c.Callee.Answer(ctx); err != nil {
			return fmt.Errorf("answering callee: %w", err)
		}
	case CallerAnswered, CalleeAnswered:
		st.mu.Lock()
		if ev.Kind == CallerAnswered {
			st.callerUp = true
		} else {
			st.calleeUp = true
		}
		start := st.callerUp && st.calleeUp && !st.started
		st.started = st.started || start
		st.mu.Unlock()
		if start {
			f.start(c, st)
		}
	case DTMFReceived:
		st.mu.Lock()
		defer st.mu.Unlock()
		if !st.ending && (ev.Leg == LegCaller || ev.Leg == LegCallee) {
			d := &st.dirs[ev.Leg]
			d.got = append(d.got, gotDigit{digit: ev.Digit, at: time.Now()})
		}
	case LegHungUp:
		st.mu.Lock()
		st.ending = true
		st.mu.Unlock()
	}
	return nil
}

// start schedules every digit of every direction, then the hangup: at the
// hold time, or timeout after the last digit if that is later.
func (f *DTMF) start(c *Call, st *dtmfCall) {
	step := f.Duration + f.Gap
	arg := "@" + strconv.FormatInt(f.Duration.Milliseconds(), 10)
	for _, dir := range f.senders() {
		from, to := c.Leg(dir[0]), dir[1]
		st.mu.Lock()
		st.dirs[to].expect = f.Digits
		st.dirs[to].sentAt = make([]time.Time, len(f.Digits))
		st.mu.Unlock()
		for i := range f.Digits {
			digit := f.Digits[i : i+1]
			from.Schedule(time.Duration(i)*step, func(ctx context.Context) {
				// A digit the node refuses stays unsent: the judge counts
				// it missing.
				// Stamped before sending: the far leg's event may come
				// before the node's reply.
				at := time.Now()
				if from.SendDTMF(ctx, digit+arg) != nil {
					return
				}
				st.mu.Lock()
				st.dirs[to].sentAt[i] = at
				st.mu.Unlock()
			})
		}
	}
	last := time.Duration(len(f.Digits)-1)*step + f.Duration
	c.Caller.Schedule(max(c.Hold, last+f.Timeout), func(ctx context.Context) {
		st.mu.Lock()
		st.ending = true
		st.mu.Unlock()
		_ = c.Caller.Hangup(ctx, "NORMAL_CLEARING")
	})
}

// Judge implements Flow.
func (f *DTMF) Judge(r *metrics.Record) {
	st := f.calls.take(r.Call)
	if st == nil {
		st = &dtmfCall{}
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if !r.Answered() {
		judgeAnswered(r)
		return
	}
	var sent, received int
	var tally dtmfTally
	for _, l := range []Leg{LegCaller, LegCallee} {
		d := st.dirs[l]
		for _, at := range d.sentAt {
			if !at.IsZero() {
				sent++
			}
		}
		received += len(d.got)
		tally.add(d.compare())
	}
	field(r, "sent", strconv.Itoa(sent))
	field(r, "received", strconv.Itoa(received))
	field(r, "missing", strconv.Itoa(tally.missing))
	field(r, "wrong", strconv.Itoa(tally.wrong))
	field(r, "extra", strconv.Itoa(tally.extra))
	if tally.matched > 0 {
		field(r, "worst_latency_ms", msText(tally.worst))
		r.SetTiming("digit_latency", tally.worst)
	}
	for name, n := range map[string]int{"missing": tally.missing, "wrong": tally.wrong, "extra": tally.extra} {
		if n > 0 {
			if r.Counts == nil {
				r.Counts = map[string]int64{}
			}
			r.Counts[name] += int64(n)
		}
	}
	judgeAnswered(r)
	if r.Outcome != metrics.OutcomeOK {
		return
	}
	switch {
	case tally.missing > 0:
		fail(r, "dtmf_missing")
	case tally.wrong > 0:
		fail(r, "dtmf_wrong")
	case tally.extra > 0:
		fail(r, "dtmf_extra")
	}
}

// dtmfTally counts one or more directions' differences.
type dtmfTally struct {
	missing, wrong, extra, matched int
	worst                          time.Duration
}

func (t *dtmfTally) add(o dtmfTally) {
	t.missing += o.missing
	t.wrong += o.wrong
	t.extra += o.extra
	t.matched += o.matched
	t.worst = max(t.worst, o.worst)
}

// compare aligns what a leg received with what was sent toward it by the
// fewest edits (Levenshtein, backtracked): a deletion is a missing digit,
// a substitution a wrong one, an insertion an extra one. A digit that was
// never sent cannot be received: it is missing whatever arrived in its
// place, and what arrived is extra.
func (d dtmfDir) compare() dtmfTally {
	want, got := d.expect, d.got
	n, m := len(want), len(got)
	cost := make([][]int, n+1)
	for i := range cost {
		cost[i] = make([]int, m+1)
		cost[i][0] = i
	}
	for j := 0; j <= m; j++ {
		cost[0][j] = j
	}
	match := func(i, j int) bool { return !d.sentAt[i].IsZero() && want[i:i+1] == got[j].digit }
	for i := 1; i <= n; i++ {
		for j := 1; j <= m; j++ {
			sub := n + m + 1 // an unsent digit cannot be received wrong
			if match(i-1, j-1) {
				sub = cost[i-1][j-1]
			} else if !d.sentAt[i-1].IsZero() {
				sub = cost[i-1][j-1] + 1
			}
			cost[i][j] = min(sub, cost[i-1][j]+1, cost[i][j-1]+1)
		}
	}
	var t dtmfTally
	i, j := n, m
	for i > 0 || j > 0 {
		switch {
		case i > 0 && j > 0 && match(i-1, j-1) && cost[i][j] == cost[i-1][j-1]:
			t.matched++
			t.worst = max(t.worst, got[j-1].at.Sub(d.sentAt[i-1]))
			i, j = i-1, j-1
		case i > 0 && j > 0 && !d.sentAt[i-1].IsZero() && cost[i][j] == cost[i-1][j-1]+1:
			t.wrong++
			i, j = i-1, j-1
		case i > 0 && cost[i][j] == cost[i-1][j]+1:
			t.missing++
			i--
		default:
			t.extra++
			j--
		}
	}
	return t
}
