package metrics

import (
	"strconv"
	"time"
)

// tally points at the counters and breakdowns that a call's end adds to.
// A Second of the time series and a Group of the summary both keep them,
// under the same names.
type tally struct {
	ok, failed, unknown  *int64
	reasons, causes, sip *map[string]int64
}

// recorder is a histogram of one per-call interval: an open second's bins
// (binCounter) or a group's HDR histogram (durHist).
type recorder interface{ add(time.Duration) }

// foldEnd adds one ended call to t and to the pdd, setup, answer and
// duration histograms: its outcome (and, when it failed, why), its hangup
// cause, its final SIP status, and each interval it has. It is the one fold
// the time series (openSecond.ended) and the summary (groupAcc.ended)
// share, so a second and a group count a call the same way.
func foldEnd(r *Record, t tally, pdd, setup, answer, duration recorder) {
	switch r.Outcome {
	case OutcomeOK:
		*t.ok++
	case OutcomeUnknown:
		*t.unknown++
	default:
		*t.failed++
		if r.Reason != "" {
			incr(t.reasons, r.Reason)
		}
	}
	if c := r.Cause(); c != "" {
		incr(t.causes, c)
	}
	if r.SIPStatus > 0 {
		incr(t.sip, sipStatusText(r.SIPStatus))
	}
	if v, ok := r.PDD(); ok {
		pdd.add(v)
	}
	if v, ok := r.SetupLatency(); ok {
		setup.add(v)
	}
	if v, ok := r.AnswerLatency(); ok {
		answer.add(v)
	}
	if v, ok := r.Duration(); ok {
		duration.add(v)
	}
}

// sipStatusTexts are the SIP statuses' decimal texts, made once: a call's
// end is folded into up to seven tallies (the run's, its stage's, flow's and
// node's, and the open second's three), and strconv.Itoa allocates for
// every number from 100 up.
var sipStatusTexts = func() (t [700]string) {
	for i := 100; i < len(t); i++ {
		t[i] = strconv.Itoa(i)
	}
	return t
}()

// sipStatusText is n in decimal, from sipStatusTexts when it is a SIP
// status.
func sipStatusText(n int) string {
	if n >= 100 && n < len(sipStatusTexts) {
		return sipStatusTexts[n]
	}
	return strconv.Itoa(n)
}

// incr counts k in *m, making the map on first use: a second's breakdowns
// stay nil (and out of its JSON) until something is counted.
func incr(m *map[string]int64, k string) {
	if *m == nil {
		*m = map[string]int64{}
	}
	(*m)[k]++
}
