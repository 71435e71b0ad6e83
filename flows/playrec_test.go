package flows

import (
	"context"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/metrics"
)

// writeWAV writes n samples of a 1004 Hz tone at amplitude amp (0 for
// silence) as 16-bit mono 8 kHz, as the recorders do.
func writeWAV(t *testing.T, path string, n int, amp float64) {
	t.Helper()
	b := make([]byte, 44+2*n)
	copy(b[0:], "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+2*n))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1)
	binary.LittleEndian.PutUint16(b[22:], 1)
	binary.LittleEndian.PutUint32(b[24:], 8000)
	binary.LittleEndian.PutUint32(b[28:], 16000)
	binary.LittleEndian.PutUint16(b[32:], 2)
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(2*n))
	for i := 0; i < n; i++ {
		v := int16(amp * math.Sin(2*math.Pi*1004*float64(i)/8000))
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(v))
	}
	require.NoError(t, os.WriteFile(path, b, 0o600))
}

func recStop(leg Leg, path string, d time.Duration, status string) Event {
	return Event{Kind: RecordStopped, Leg: leg, Payload: Payload{Media: MediaResult{Path: path, Status: status, Duration: d}}}
}

func TestPlayRecEventOrders(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const loud, quiet = 8000.0, 0.0
	tests := []struct {
		name string
		with map[string]string
		// run gets the paths the flow will record to and plays the
		// call's events after the caller's answer.
		run     func(t *testing.T, f Flow, c *Call, caller *fakeLeg, p1, p2 string)
		callee  []string // what the recording leg did
		outcome metrics.Outcome
		reason  string
		counts  map[string]int64
		fields  []string
	}{
		{"two good recordings", map[string]string{"verify": "file"}, func(t *testing.T, f Flow, c *Call, caller *fakeLeg, p1, p2 string) {
			writeWAV(t, p1, 16000, loud)
			assert.Equal(t, 1, caller.fireOnly(2*time.Second), "the stop")
			require.NoError(t, f.On(ctx, c, recStop(LegCallee, p1, 2000*time.Millisecond, "success-maxtime")))
			require.NoError(t, f.On(ctx, c, recStop(LegCallee, p1, 2000*time.Millisecond, "success-maxtime")), "a second stop is ignored")
			writeWAV(t, p2, 15800, loud)
			assert.Equal(t, 1, caller.fireOnly(2*time.Second))
			require.NoError(t, f.On(ctx, c, recStop(LegCallee, p2, 1980*time.Millisecond, "success-maxtime")))
			assert.Equal(t, 2, caller.fireOnly(7*time.Second), "the watchdogs fire and do nothing")
			assert.NoFileExists(t, p1, "removed once checked")
		}, nil, metrics.OutcomeOK, "", map[string]int64{"recordings": 2}, []string{"record_ms", "level_dbfs"}},
		{"no RECORD_STOP: the watchdog ends the call", nil, func(t *testing.T, f Flow, c *Call, caller *fakeLeg, p1, _ string) {
			assert.Equal(t, 1, caller.fireOnly(2*time.Second))
			require.NoError(t, f.On(ctx, c, recStop(LegCaller, p1, time.Second, "success-maxtime")), "the wrong leg")
			require.NoError(t, f.On(ctx, c, recStop(LegCallee, "/elsewhere.wav", time.Second, "success-maxtime")), "not our file")
			assert.Equal(t, 1, caller.fireOnly(7*time.Second))
			assert.Contains(t, caller.did, "hangup NORMAL_CLEARING")
		}, []string{}, metrics.OutcomeFailed, "recording_missing", map[string]int64{"missing": 2}, nil},
		{"silent recording", map[string]string{"iterations": "1", "keep": "true"}, func(t *testing.T, f Flow, c *Call, caller *fakeLeg, p1, _ string) {
			writeWAV(t, p1, 16000, quiet)
			require.NoError(t, f.On(ctx, c, recStop(LegCallee, p1, 2*time.Second, "success-maxtime")))
			assert.FileExists(t, p1, "kept")
		}, []string{}, metrics.OutcomeFailed, "recording_silent", map[string]int64{"silent": 1}, []string{"record_ms", "level_dbfs", "kept"}},
		{"too short", map[string]string{"iterations": "1"}, func(t *testing.T, f Flow, c *Call, caller *fakeLeg, p1, _ string) {
			writeWAV(t, p1, 8000, loud)
			require.NoError(t, f.On(ctx, c, recStop(LegCallee, p1, time.Second, "no-input-timeout")))
		}, []string{}, metrics.OutcomeFailed, "recording_length", map[string]int64{"wrong_length": 1}, []string{"record_ms", "level_dbfs"}},
		{"empty-file", map[string]string{"iterations": "1"}, func(t *testing.T, f Flow, c *Call, caller *fakeLeg, p1, _ string) {
			require.NoError(t, f.On(ctx, c, recStop(LegCallee, p1, 0, "empty-file")))
		}, []string{}, metrics.OutcomeFailed, "recording_missing", map[string]int64{"missing": 1}, nil},
		{"verify file but no file here", map[string]string{"iterations": "1", "verify": "file"}, func(t *testing.T, f Flow, c *Call, caller *fakeLeg, p1, _ string) {
			require.NoError(t, f.On(ctx, c, recStop(LegCallee, p1, 2*time.Second, "success-maxtime")))
		}, []string{}, metrics.OutcomeFailed, "recording_missing", map[string]int64{"missing": 1}, nil},
		{"auto without the file: the event decides", map[string]string{"iterations": "1"}, func(t *testing.T, f Flow, c *Call, caller *fakeLeg, p1, _ string) {
			require.NoError(t, f.On(ctx, c, recStop(LegCallee, p1, 2*time.Second, "success-maxtime")))
		}, []string{}, metrics.OutcomeOK, "", map[string]int64{"recordings": 1, "by_event": 1}, []string{"record_ms"}},
		{"not a WAV", map[string]string{"iterations": "1"}, func(t *testing.T, f Flow, c *Call, caller *fakeLeg, p1, _ string) {
			require.NoError(t, os.WriteFile(p1, []byte("RIFF....WAVEjunk"), 0o600))
			require.NoError(t, f.On(ctx, c, recStop(LegCallee, p1, 2*time.Second, "success-maxtime")))
		}, []string{}, metrics.OutcomeFailed, "recording_missing", map[string]int64{"missing": 1}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			with := map[string]string{"dir": dir, "iterations": "2"}
			for k, v := range tt.with {
				with[k] = v
			}
			f := ForCall(build(t, "playrec", with))
			c, caller, callee := newCall(time.Minute)
			p1, p2 := filepath.Join(dir, "c1-1.wav"), filepath.Join(dir, "c1-2.wav")
			require.NoError(t, f.On(ctx, c, Event{Kind: CalleeArrived, Leg: LegCallee}))
			require.NoError(t, f.On(ctx, c, Event{Kind: CalleeAnswered, Leg: LegCallee}))
			assert.Empty(t, caller.timer, "the stage's hold does not apply")
			require.NoError(t, f.On(ctx, c, Event{Kind: CallerAnswered, Leg: LegCaller}))
			assert.Equal(t, []string{"answer", "record " + p1 + " 7s"}, callee.did)
			assert.Equal(t, []string{"play " + DefaultClip}, caller.did)
			tt.run(t, f, c, caller, p1, p2)

			r := answeredRecord()
			f.Judge(&r)
			assert.Equal(t, tt.outcome, r.Outcome)
			assert.Equal(t, tt.reason, r.Reason)
			assert.Equal(t, tt.counts, r.Counts)
			var fields []string
			for _, name := range []string{"record_ms", "level_dbfs", "kept"} {
				if _, ok := r.Fields[name]; ok {
					fields = append(fields, name)
				}
			}
			assert.Equal(t, tt.fields, fields)
		})
	}
}

func TestPlayRecTwoIterationsDoWhatTheySay(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	f := ForCall(build(t, "playrec", map[string]string{"dir": dir, "iterations": "2", "play_on": "callee", "verify": "event", "record_for": "1s"}))
	c, caller, callee := newCall(time.Minute)
	p1, p2 := filepath.Join(dir, "c1-1.wav"), filepath.Join(dir, "c1-2.wav")
	require.NoError(t, f.On(ctx, c, Event{Kind: CalleeArrived}))
	require.NoError(t, f.On(ctx, c, Event{Kind: CallerAnswered}))
	assert.Equal(t, 1, caller.fireOnly(time.Second))
	require.NoError(t, f.On(ctx, c, recStop(LegCaller, p1, time.Second, "success-maxtime")))
	assert.Equal(t, 1, caller.fireOnly(time.Second))
	require.NoError(t, f.On(ctx, c, recStop(LegCaller, p2, time.Second, "success-maxtime")))
	assert.Equal(t, []string{"answer", "play " + DefaultClip, "stop_playback", "play " + DefaultClip, "stop_playback"}, callee.did)
	assert.Equal(t, []string{"record " + p1 + " 6s", "stop_record " + p1, "record " + p2 + " 6s", "stop_record " + p2, "hangup NORMAL_CLEARING"}, caller.did)
	require.NoError(t, f.On(ctx, c, Event{Kind: CallerAnswered}), "a repeated answer starts nothing")
	assert.Len(t, caller.did, 5)

	// Dropped before the first recording stopped: the park reason, and
	// the recordings counted missing.
	r := answeredRecord()
	r.EndedByFlow = false
	g := ForCall(build(t, "playrec", map[string]string{"dir": dir}))
	g.Judge(&r)
	assert.Equal(t, "early_hangup", r.Reason)
	assert.Equal(t, map[string]int64{"missing": 1}, r.Counts)

	for _, bad := range []map[string]string{{"dir": "relative"}, {"clip": "a b"}, {"record_for": "10ms"}, {"iterations": "0"}} {
		_, err := New("playrec", bad)
		assert.Error(t, err, "%v", bad)
	}
}

func TestWAVLevel(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "a.wav")
	writeWAV(t, p, 8000, 16384)
	l, err := readWAVLevel(p)
	require.NoError(t, err)
	assert.Equal(t, time.Second, l.Length)
	assert.InDelta(t, -9.03, l.DBFS, 0.1, "a half-scale sine is 3 dB under its peak")
	writeWAV(t, p, 800, 0)
	l, err = readWAVLevel(p)
	require.NoError(t, err)
	assert.True(t, math.IsInf(l.DBFS, -1))
	assert.Equal(t, 100*time.Millisecond, l.Length)
	_, err = readWAVLevel(filepath.Join(dir, "none.wav"))
	assert.ErrorIs(t, err, os.ErrNotExist)
	_, err = wavLevelOf([]byte("RIFF\x04\x00\x00\x00WAVE"))
	assert.ErrorIs(t, err, errNotWAV)
}
