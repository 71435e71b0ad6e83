//go:build e2e

package main

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBertFlowOnEmbeddedAgent runs bert on the embedded agent: a clean
// loop call syncs (one-sided with echo, and two-sided), and a timeout
// shorter than mod_bert's first window fails every call bert_timeout,
// which the assertions turn into exit 1.
func TestBertFlowOnEmbeddedAgent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		with   string
		assert string
		code   ExitCode
		reason string
	}{
		{"echo", "{}", "flows.bert.lost_sync == 0 && flows.bert.timeouts == 0 && ok == calls", ExitPassed, ""},
		{"two sided", "{two_sided: true}", "flows.bert.lost_sync == 0 && flows.bert.timeouts == 0 && ok == calls", ExitPassed, ""},
		{"timeout before the first window", "{timeout: 500ms}", "flows.bert.timeouts == 0", ExitAssertionsFailed, "bert_timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			plan := `name: bert-e2e
stages:
  - {name: s, duration: 1s, rate: 2, hold: 2500ms, limit: 4}
flows:
  - {use: bert, with: ` + tt.with + `}
assertions:
  - {name: bert, expr: "` + tt.assert + `"}
`
			code, out, recs := runMediaPlan(t, plan)
			assert.Equal(t, tt.code, code, out)
			require.NotEmpty(t, recs)
			for _, r := range recs {
				assert.Equal(t, tt.reason, r.Reason, "call %s: %+v", r.Call, r)
				if tt.reason != "" {
					assert.Equal(t, "true", r.Fields["timed_out"])
					assert.Equal(t, int64(1), r.Counts["timeouts"])
					continue
				}
				ms, err := strconv.ParseFloat(r.Fields["sync_time_ms"], 64)
				require.NoError(t, err, "sync_time_ms of %+v", r.Fields)
				// mod_bert judges its first 1 s window with the frame after
				// it: about 1020 ms from answer (docs/media-apps.md).
				assert.Greater(t, ms, 900.0)
				assert.Less(t, ms, 2500.0)
				assert.Equal(t, "0", r.Fields["lost_sync"])
				assert.Equal(t, "false", r.Fields["timed_out"])
			}
		})
	}
}

// TestDTMFFlowOnEmbeddedAgent runs dtmf on the embedded agent in each
// direction: every digit arrives, in order, on the far leg.
func TestDTMFFlowOnEmbeddedAgent(t *testing.T) {
	t.Parallel()
	for _, from := range []string{"caller", "callee", "both"} {
		t.Run(from, func(t *testing.T) {
			t.Parallel()
			plan := `name: dtmf-e2e
stages:
  - {name: s, duration: 1s, rate: 2, hold: 1s, limit: 4}
flows:
  - {use: dtmf, with: {from: ` + from + `, digits: "0123456789*#ABCD", duration: 60ms, timeout: 1s}}
assertions:
  - {name: dtmf, expr: "flows.dtmf.missing == 0 && flows.dtmf.wrong == 0 && flows.dtmf.extra == 0 && ok == calls"}
`
			code, out, recs := runMediaPlan(t, plan)
			assert.Equal(t, ExitPassed, code, out)
			require.NotEmpty(t, recs)
			// 16 digits 460 ms apart: about 8 s a call.
			sent := "16"
			if from == "both" {
				sent = "32"
			}
			for _, r := range recs {
				assert.Equal(t, "", r.Reason, "call %s: %+v", r.Call, r.Fields)
				assert.Equal(t, sent, r.Fields["sent"])
				assert.Equal(t, sent, r.Fields["received"])
				assert.NotEmpty(t, r.Fields["worst_latency_ms"])
			}
		})
	}
}

// TestMediaScenarioOnEmbeddedAgent runs scenarios/media.yaml as shipped.
func TestMediaScenarioOnEmbeddedAgent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, out, errOut := runCLI(t, "run", "../../scenarios/media.yaml", "--out", dir, "--quiet")
	require.Equal(t, ExitPassed, code, "stdout %s\nstderr %s", out, errOut)
	for _, f := range []string{"bert", "dtmf", "tone", "playrec", "muted_playrec", "ringback"} {
		assert.Regexp(t, `flow:`+f+` +│ +[1-9]`, out)
	}
	assert.Regexp(t, `mos\.p5 = 4\.[0-9]`, out)
}

// TestMediaFlowsUnderLoss: with the embedded agent dropping 5 % of the RTP
// it sends (both directions of a loop call), bert with 100 ms windows and max_err 0 never
// holds sync and every bert call fails for it, the assertion exits 1, and
// dtmf either gets every digit (RFC 2833 repeats each end packet three
// times) or says which are missing. Needs the agent's impairment (node
// field impair).
func TestMediaFlowsUnderLoss(t *testing.T) {
	t.Parallel()
	plan := `name: lossy
nodes:
  - {uri: embedded, impair: {loss: 5}}
stages:
  - {name: s, duration: 2s, rate: 2, hold: 4s, limit: 8}
flows:
  - {use: bert, with: {window: 100ms, max_err: 0}}
  - {use: dtmf, with: {digits: "0123456789", timeout: 1s}}
assertions:
  - {name: bert, expr: "flows.bert.lost_sync + flows.bert.timeouts == 0"}
`
	code, out, recs := runMediaPlan(t, plan)
	assert.Equal(t, ExitAssertionsFailed, code, out)
	var berts, dtmfs int
	for _, r := range recs {
		t.Logf("%s %s %s %v", r.Flow, r.Outcome, r.Reason, r.Fields)
		switch r.Flow {
		case "bert":
			berts++
			assert.Contains(t, []string{"bert_timeout", "bert_lost_sync"}, r.Reason, "%+v", r.Fields)
		case "dtmf":
			dtmfs++
			assert.Contains(t, []string{"", "dtmf_missing"}, r.Reason, "%+v", r.Fields)
			sent, _ := strconv.Atoi(r.Fields["sent"])
			missing, _ := strconv.Atoi(r.Fields["missing"])
			received, _ := strconv.Atoi(r.Fields["received"])
			assert.Equal(t, 10, sent)
			assert.Equal(t, sent, received+missing, "every digit received or missing: %+v", r.Fields)
			assert.Equal(t, r.Reason == "", missing == 0)
		}
	}
	assert.Positive(t, berts)
	assert.Positive(t, dtmfs)
}
