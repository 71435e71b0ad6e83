package flows

import (
	"context"
	"testing"
	"time"

	"github.com/callplan/callplan/metrics"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// twiml does nothing to a leg but end the caller after the hold, counted
// from the caller's answer (there is no callee leg on a cloud node).
func TestTwimlHoldsThenHangsUp(t *testing.T) {
	t.Parallel()
	f := build(t, "twiml", nil)
	c, caller, callee := newCall(30 * time.Second)
	for _, k := range []EventKind{CallerProgress, CallerAnswered} {
		require.NoError(t, f.On(context.Background(), c, Event{Kind: k, Leg: LegCaller}))
	}
	assert.Empty(t, callee.did)
	assert.Equal(t, []time.Duration{30 * time.Second}, caller.fire())
	assert.Equal(t, []string{"hangup NORMAL_CLEARING"}, caller.did)
}

func TestTwimlJudge(t *testing.T) {
	t.Parallel()
	at := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name    string
		rec     metrics.Record
		outcome metrics.Outcome
		reason  string
	}{
		{"held and ended by callplan", metrics.Record{CallerAnswer: at, CallerCause: "NORMAL_CLEARING", EndedByFlow: true}, metrics.OutcomeOK, ""},
		{"TwiML hung up first", metrics.Record{CallerAnswer: at, CallerCause: "NORMAL_CLEARING"}, metrics.OutcomeFailed, "early_hangup"},
		{"busy", metrics.Record{CallerCause: "USER_BUSY"}, metrics.OutcomeFailed, "USER_BUSY"},
		{"no answer", metrics.Record{CallerCause: "NO_ANSWER"}, metrics.OutcomeFailed, "NO_ANSWER"},
		{"never rang", metrics.Record{}, metrics.OutcomeFailed, "not_answered"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := tt.rec
			Twiml{}.Judge(&r)
			assert.Equal(t, tt.outcome, r.Outcome)
			assert.Equal(t, tt.reason, r.Reason)
		})
	}
}

func TestTwimlParams(t *testing.T) {
	t.Parallel()
	tests := []struct {
		with    map[string]string
		wantErr string
	}{
		{nil, ""},
		{map[string]string{"twiml": "<Response><Hangup/></Response>"}, ""},
		{map[string]string{"url": "https://t.example.com/a.xml"}, ""},
		{map[string]string{"twiml": "hello"}, "want TwiML"},
		{map[string]string{"url": "ftp://x"}, "http(s) URL"},
		{map[string]string{"twiml": "<Response/>", "url": "https://t.example.com/a.xml"}, "twiml"},
	}
	for _, tt := range tests {
		_, err := New("twiml", tt.with)
		if tt.wantErr == "" {
			assert.NoError(t, err, "%v", tt.with)
		} else {
			assert.ErrorContains(t, err, tt.wantErr, "%v", tt.with)
		}
	}
}
