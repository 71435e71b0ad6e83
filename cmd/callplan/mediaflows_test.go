package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/metrics"
)

// runMediaPlan runs plan (YAML text) on the embedded agent and returns the
// exit code, the table report and the call records.
func runMediaPlan(t *testing.T, plan string) (ExitCode, string, []metrics.Record) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "plan.yaml")
	require.NoError(t, os.WriteFile(path, []byte(plan), 0o600))
	out := filepath.Join(dir, "out")
	code, stdout, stderr := runCLI(t, "run", path, "--out", out, "--quiet")
	f, err := os.Open(filepath.Join(out, metrics.CDRJSONLFile))
	require.NoError(t, err, "stdout %s\nstderr %s", stdout, stderr)
	defer f.Close()
	var recs []metrics.Record
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r metrics.Record
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r))
		recs = append(recs, r)
	}
	require.NoError(t, sc.Err())
	return code, stdout + stderr, recs
}

// The tone flow on the embedded agent: the callee's echo returns the
// caller's 1004 Hz tone and the caller's tone_detect hears it; a detector
// listening for a tone that is not played hears nothing, and the calls
// fail tone_not_detected at the timeout.
func TestToneFlowOnEmbeddedAgent(t *testing.T) {
	t.Parallel()
	const plan = `name: tone-check
stages:
  - name: s
    duration: 1s
    rate: 2
    hold: 3s
    limit: 4
flows:
  - use: tone
    with:
      freqs: FREQS
      timeout: 2s
assertions:
  - name: every tone heard
    expr: flows.tone.detected == calls
`
	tests := []struct {
		name   string
		freqs  string
		code   ExitCode
		reason string
	}{
		{"the tone comes back", "1004", ExitPassed, ""},
		{"a tone never played", "2200", ExitAssertionsFailed, "tone_not_detected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, recs := runMediaPlan(t, strings.ReplaceAll(plan, "FREQS", tt.freqs))
			require.Equal(t, tt.code, code, out)
			require.Len(t, recs, 2, out)
			for _, r := range recs {
				assert.Equal(t, tt.reason, r.Reason, "call %s", r.Call)
				assert.True(t, r.Answered(), "call %s", r.Call)
				if tt.reason == "" {
					assert.Equal(t, metrics.OutcomeOK, r.Outcome)
					assert.Equal(t, int64(1), r.Counts["detected"])
					assert.NotEmpty(t, r.Fields["tone_ms"])
				} else {
					assert.Equal(t, int64(1), r.Counts["not_detected"])
					// Hung up at the 2 s timeout, not at the 3 s hold.
					assert.Less(t, r.CallerHangup.Sub(r.CallerAnswer).Seconds(), 2.9)
				}
			}
		})
	}
}
