package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
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

// The playrec flow on the embedded agent: the caller plays, the callee
// records into a directory the runner reads; a silent clip records
// silence and fails; verify: event trusts RECORD_STOP alone.
func TestPlayRecFlowOnEmbeddedAgent(t *testing.T) {
	t.Parallel()
	const plan = `name: playrec-check
stages:
  - name: s
    duration: 1s
    rate: 2
    hold: 3s
    limit: 4
flows:
  - use: playrec
    with:
      clip: CLIP
      record_for: 1s
      iterations: 2
      dir: DIR
      verify: VERIFY
      keep: KEEP
assertions:
  - name: every recording good
    expr: flows.playrec.recordings == 2 * calls
`
	tests := []struct {
		name, clip, verify, keep string
		code                     ExitCode
		reason                   string
		counts                   map[string]int64
	}{
		{"the tone is recorded", "tone_stream://%(1000,0,1004);loops=-1", "file", "true", ExitPassed, "", map[string]int64{"recordings": 2}},
		{"silence is recorded", "silence_stream://-1", "file", "false", ExitAssertionsFailed, "recording_silent", map[string]int64{"silent": 2}},
		{"checked by the event", "tone_stream://%(1000,0,1004);loops=-1", "event", "false", ExitPassed, "", map[string]int64{"recordings": 2, "by_event": 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			p := strings.NewReplacer("CLIP", tt.clip, "DIR", dir, "VERIFY", tt.verify, "KEEP", tt.keep).Replace(plan)
			code, out, recs := runMediaPlan(t, p)
			require.Equal(t, tt.code, code, out)
			require.Len(t, recs, 2, out)
			for _, r := range recs {
				assert.Equal(t, tt.reason, r.Reason, "call %s", r.Call)
				assert.Equal(t, tt.counts, r.Counts, "call %s", r.Call)
				ms, err := strconv.ParseFloat(r.Fields["record_ms"], 64)
				require.NoError(t, err)
				assert.InDelta(t, 1000, ms, 300, "the agent records about the frames of 1 s")
				kept := strings.Fields(r.Fields["kept"])
				if tt.keep == "true" {
					require.Len(t, kept, 2)
					for _, k := range kept {
						l, err := readWAVForTest(k)
						require.NoError(t, err)
						assert.InDelta(t, 1.0, l, 0.1, "seconds in %s", k)
					}
				} else {
					assert.Empty(t, kept)
				}
			}
			files, err := os.ReadDir(dir)
			require.NoError(t, err)
			want := 0
			if tt.keep == "true" {
				want = 4
			} else if tt.verify == "event" {
				want = 4 // the runner did not read them, so it leaves them
			}
			assert.Len(t, files, want, "recordings left in the directory")
		})
	}
}

// readWAVForTest returns a 16-bit mono 8 kHz WAV's length in seconds.
func readWAVForTest(path string) (float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	if len(b) < 44 || string(b[:4]) != "RIFF" {
		return 0, os.ErrInvalid
	}
	return float64(len(b)-44) / 2 / 8000, nil
}
