package metrics

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// A second of the time series and a group of the summary fold the same
// ended calls into the same counts and histograms.
func TestSecondAndGroupFoldAlike(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	records := []Record{
		{Outcome: OutcomeOK, CallerCause: "NORMAL_CLEARING", SIPStatus: 200, OriginateSent: at(0),
			CallerProgress: at(40), CallerAnswer: at(90), CalleeCreate: at(20), CallerHangup: at(1090)},
		{Outcome: OutcomeFailed, Reason: "sip_486", CallerCause: "USER_BUSY", SIPStatus: 486,
			OriginateSent: at(0), CallerCreate: at(5), CallerProgress: at(30), CallerHangup: at(60)},
		{Outcome: OutcomeFailed, Reason: "no_callee_leg", OriginateResult: "-ERR NO_ANSWER"},
		{Outcome: OutcomeFailed, OriginateResult: "-ERR DESTINATION_OUT_OF_ORDER"},
		{Outcome: OutcomeUnknown, Reason: "node_lost"},
	}
	o := newOpenSecond(0, "s", 0)
	g := newGroupAcc()
	for i := range records {
		o.ended(&records[i])
		g.ended(at(2000), &records[i])
	}
	sec := Window([]Second{o.seal()})
	grp := g.snapshot(at(2000), false)
	for name, got := range map[string]Group{"second": sec, "group": grp} {
		assert.Equalf(t, int64(1), got.OK, "%s OK", name)
		assert.Equalf(t, int64(3), got.Failed, "%s Failed", name)
		assert.Equalf(t, int64(1), got.Unknown, "%s Unknown", name)
		assert.Equalf(t, map[string]int64{"NORMAL_CLEARING": 1, "USER_BUSY": 1, "NO_ANSWER": 1, "DESTINATION_OUT_OF_ORDER": 1},
			got.Causes, "%s Causes", name)
		assert.Equalf(t, map[string]int64{"200": 1, "486": 1}, got.SIP, "%s SIP", name)
		assert.Equalf(t, map[string]int64{"sip_486": 1, "no_callee_leg": 1}, got.Reasons,
			"%s Reasons: failed calls only, and only with a reason", name)
		assert.Equalf(t, int64(1), got.Duration.Count, "%s Duration count", name)
	}
	assert.Positive(t, sec.PDD.Count)
	assert.Equal(t, sec.PDD.Count, grp.PDD.Count)
	assert.Equal(t, sec.SetupLatency.Count, grp.SetupLatency.Count)
	assert.Equal(t, sec.AnswerLatency.Count, grp.AnswerLatency.Count)
}

// TestSIPStatusText: the kept texts are the numbers' own, inside the SIP
// range and out of it.
func TestSIPStatusText(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 99, 100, 180, 200, 487, 699, 700, 1000} {
		assert.Equal(t, strconv.Itoa(n), sipStatusText(n), "%d", n)
	}
}
