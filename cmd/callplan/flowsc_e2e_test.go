//go:build e2e

package main

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/metrics"
)

// park with keep_media on the embedded agent: each leg receives about one
// packet per 20 ms of the hold (silence_stream://-1 from the far leg);
// without it, a parked leg receives nothing (fixtures/rtp: a parked
// FreeSWITCH leg sends no RTP, and the agent's does the same).
func TestParkKeepMediaOnEmbeddedAgent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		with  string
		media bool
	}{
		{"keep_media", "{keep_media: true}", true},
		{"parked legs stay silent", "{}", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			plan := `name: park-media
stages:
  - {name: s, duration: 1s, rate: 2, hold: 2s, limit: 4}
flows:
  - {use: park, with: ` + tt.with + `}
assertions:
  - {name: ok, expr: "ok == calls"}
`
			code, out, recs := runMediaPlan(t, plan)
			require.Equal(t, ExitPassed, code, out)
			require.Len(t, recs, 2, out)
			for _, r := range recs {
				assert.Equal(t, metrics.OutcomeOK, r.Outcome, "call %s: %s", r.Call, r.Reason)
				if !tt.media {
					assert.Zero(t, r.CallerMedia.Packets, "caller %+v", r.CallerMedia)
					assert.Zero(t, r.CalleeMedia.Packets, "callee %+v", r.CalleeMedia)
					continue
				}
				// 2 s of hold is 100 frames; allow for the answer-to-play
				// delay and a loaded machine.
				assert.Greater(t, r.CallerMedia.Packets, int64(60), "caller %+v", r.CallerMedia)
				assert.Greater(t, r.CalleeMedia.Packets, int64(60), "callee %+v", r.CalleeMedia)
			}
		})
	}
}

// ringback with hear_ringback on the embedded agent: with early media the
// caller's tone_detect hears the 440+480 Hz tone the callee plays; a
// detector for a tone that is not played, or a 180 without media, hears
// nothing and the calls fail ringback_not_heard.
func TestRingbackHearRingbackOnEmbeddedAgent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		with   string
		code   ExitCode
		reason string
	}{
		{"early media carries the tone", "{mode: pre_answer, ring_for: 1500ms, hear_ringback: true}", ExitPassed, ""},
		{"early media, then the caller hangs up", "{mode: pre_answer, ring_for: 1500ms, then: caller_hangup, hear_ringback: true}", ExitPassed, ""},
		{"a tone never played", "{mode: pre_answer, ring_for: 1500ms, hear_ringback: true, freqs: 425}", ExitAssertionsFailed, "ringback_not_heard"},
		{"180 without early media", "{mode: ring_ready, ring_for: 1500ms, hear_ringback: true}", ExitAssertionsFailed, "ringback_not_heard"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			plan := `name: ringback-hear
originate: {ignore_early_media: false}
stages:
  - {name: s, duration: 1s, rate: 2, hold: 500ms, limit: 4}
flows:
  - {use: ringback, with: ` + tt.with + `}
assertions:
  - {name: heard, expr: "flows.ringback.heard == calls"}
`
			code, out, recs := runMediaPlan(t, plan)
			require.Equal(t, tt.code, code, out)
			require.Len(t, recs, 2, out)
			for _, r := range recs {
				assert.Equal(t, tt.reason, r.Reason, "call %s: %+v", r.Call, r.Fields)
				if tt.reason != "" {
					assert.Equal(t, int64(1), r.Counts["not_heard"])
					continue
				}
				assert.Equal(t, int64(1), r.Counts["heard"])
				ms, err := strconv.ParseFloat(r.Fields["ringback_heard_ms"], 64)
				require.NoError(t, err, "%+v", r.Fields)
				assert.Less(t, ms, 1500.0, "heard while ringing")
			}
		})
	}
}

// muted_playrec on the embedded agent: both legs play the milliwatt tone;
// each round the leg facing the muted one records digital silence and the
// muted leg records the tone, with the mute on the callee first, then on
// the caller. A clip of silence fails the open direction.
func TestMutedPlayRecOnEmbeddedAgent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		with   string
		code   ExitCode
		reason string
	}{
		{"the mute moves each round", "{record_for: 1s, iterations: 2}", ExitPassed, ""},
		{"the caller muted first", "{record_for: 1s, iterations: 1, mute_first: caller, verify: file}", ExitPassed, ""},
		{"a silent clip", "{record_for: 1s, iterations: 1, clip: \"silence_stream://-1\"}", ExitAssertionsFailed, "recording_silent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			plan := `name: muted-playrec
stages:
  - {name: s, duration: 1s, rate: 2, hold: 1s, limit: 4}
flows:
  - {use: muted_playrec, with: ` + strings.Replace(tt.with, "{", "{dir: "+dir+", ", 1) + `}
assertions:
  - {name: every recording good, expr: "flows.muted_playrec.not_silent == 0 && flows.muted_playrec.silent == 0 && ok == calls"}
`
			code, out, recs := runMediaPlan(t, plan)
			require.Equal(t, tt.code, code, out)
			require.Len(t, recs, 2, out)
			for _, r := range recs {
				assert.Equal(t, tt.reason, r.Reason, "call %s: %+v %+v", r.Call, r.Fields, r.Counts)
				if tt.reason != "" {
					continue
				}
				assert.Equal(t, "-200.0", r.Fields["muted_dbfs"], "the muted direction is digital silence")
				open, err := strconv.ParseFloat(r.Fields["open_dbfs"], 64)
				require.NoError(t, err, "%+v", r.Fields)
				assert.Greater(t, open, -30.0, "the open direction carries the tone")
				ms, err := strconv.ParseFloat(r.Fields["record_ms"], 64)
				require.NoError(t, err)
				assert.InDelta(t, 1000, ms, 300)
				assert.Zero(t, r.Counts["by_event"])
			}
		})
	}
}

// Every media flow with the caller leg on one agent and the callee leg on
// another: the mixed case a FreeSWITCH node calling an agent (or the
// reverse) forms. Each leg's commands must go to the node it lives on and
// each leg's events come from there; a flow that sent a command to the
// wrong node would fail its call.
func TestMediaFlowsAcrossTwoAgents(t *testing.T) {
	t.Parallel()
	port := freeUDPPort(t)
	dir := t.TempDir()
	plan := fmt.Sprintf(`name: two-agents
nodes:
  - {uri: embedded, name: gen, role: caller}
  - {uri: embedded, name: b, role: callee, sip_port: %d}
originate:
  destination: media@127.0.0.1:%d
  timeout: 5s
  ignore_early_media: false
stages:
  - {name: s, duration: 2s, rate: 4, hold: 2500ms, limit: 16}
flows:
  - {use: bert}
  - {use: dtmf, with: {digits: "19*#", timeout: 1s}}
  - {use: tone, with: {timeout: 2s}}
  - {use: playrec, with: {record_for: 1s, dir: %s}}
  - {use: muted_playrec, with: {record_for: 1s, dir: %s}}
  - {use: ringback, with: {mode: pre_answer, ring_for: 1s, hear_ringback: true}}
  - {use: park, with: {keep_media: true}}
assertions:
  - {name: every call passed its flow, expr: "ok == calls"}
`, port, port, dir, dir)
	code, out, recs := runMediaPlan(t, plan)
	require.Equal(t, ExitPassed, code, out)
	seen := map[string]int{}
	for _, r := range recs {
		seen[r.Flow]++
		assert.Equal(t, metrics.OutcomeOK, r.Outcome, "%s call %s: %s %+v", r.Flow, r.Call, r.Reason, r.Fields)
		assert.Equal(t, "gen", r.CallerNode, "%s call %s", r.Flow, r.Call)
		assert.Equal(t, "b", r.CalleeNode, "%s call %s", r.Flow, r.Call)
	}
	for _, f := range []string{"bert", "dtmf", "tone", "playrec", "muted_playrec", "ringback", "park"} {
		assert.Positive(t, seen[f], "no %s call in %v", f, seen)
	}
}
