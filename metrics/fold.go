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
		incr(t.sip, strconv.Itoa(r.SIPStatus))
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

// incr counts k in *m, making the map on first use: a second's breakdowns
// stay nil (and out of its JSON) until something is counted.
func incr(m *map[string]int64, k string) {
	if *m == nil {
		*m = map[string]int64{}
	}
	(*m)[k]++
}
