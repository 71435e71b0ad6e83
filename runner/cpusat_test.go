package runner

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestWatchCPU: idle CPU under 10% held for 2 s saturates a node, which is
// then held back until its idle CPU is back at 20%; a node that is also
// the SUT is flagged but never held back.
func TestWatchCPU(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	type poll struct {
		idle      float64
		sat, held bool
	}
	for _, tc := range []struct {
		name      string
		sut       bool
		inProcess bool
		polls     []poll // one a second
	}{
		{"a dip shorter than 2 s is not saturation", false, false, []poll{{50, false, false}, {5, false, false}, {6, false, false}, {40, false, false}, {3, false, false}}},
		{"under 10% for 2 s saturates; back at 20%", false, false, []poll{{5, false, false}, {4, false, false}, {2, true, true}, {15, true, true}, {19.9, true, true}, {20, false, false}}},
		{"between the thresholds restarts the clock", false, false, []poll{{5, false, false}, {12, false, false}, {5, false, false}, {5, false, false}, {5, true, true}}},
		{"unknown idle CPU changes nothing", false, false, []poll{{5, false, false}, {-1, false, false}, {5, true, true}}},
		{"the SUT is flagged, not held", true, false, []poll{{5, false, false}, {5, false, false}, {1, true, false}}},
		{"the in-process agent reports the shared host's CPU: not judged on it", false, true, []poll{{5, false, false}, {5, false, false}, {1, false, false}, {0, false, false}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n := newNode(0, NodeSpec{Name: "fs1", Caller: true, SUT: tc.sut, InProcess: tc.inProcess})
			for i, p := range tc.polls {
				n.watchCPU(t0.Add(time.Duration(i)*time.Second), p.idle)
				assert.Equal(t, p.sat, n.cpu.sat, "poll %d (idle %v): saturated", i, p.idle)
				assert.Equal(t, p.held, n.cpuHeld(), "poll %d (idle %v): held back", i, p.idle)
				ok, _ := n.canTake()
				assert.Equal(t, !p.held, ok, "poll %d: canTake", i)
			}
		})
	}
}

func TestWatchCPUHealth(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	for _, sut := range []bool{false, true} {
		n := newNode(0, NodeSpec{Name: "fs1", Caller: true, SUT: sut})
		for i, idle := range []float64{30, 8, 7, 3, 50} {
			n.watchCPU(t0.Add(time.Duration(i)*time.Second), idle)
		}
		g := n.health()
		assert.True(t, g.Saturated)
		assert.Equal(t, 3.0, g.MinIdleCPU)
		assert.Equal(t, sut, g.SUT)
		assert.Equal(t, sut, g.Healthy(), "a saturated generator is unhealthy unless it is the SUT")
		assert.Len(t, g.Notes, 1)
	}
}

func TestStatusIdleCPU(t *testing.T) {
	t.Parallel()
	// status as FreeSWITCH 1.10.12 prints it (esl fixture 10a).
	status := "UP 0 years, 0 days, 0 hours, 2 minutes, 11 seconds, 88 milliseconds, 367 microseconds\n" +
		"FreeSWITCH (Version 1.10.12-release  64bit) is ready\n37 session(s) since startup\n" +
		"0 session(s) - peak 6, last 5min 6 \n0 session(s) per Sec out of max 100, peak 6, last 5min 6 \n" +
		"500 session(s) max\nmin idle cpu 0.00/98.30\nCurrent Stack Size/Max 240K/8192K\n"
	v, ok := statusIdleCPU(status)
	assert.True(t, ok)
	assert.Equal(t, 98.3, v)
	_, ok = statusIdleCPU("UP 0 years\n")
	assert.False(t, ok)
	_, ok = statusIdleCPU("min idle cpu 0.00\n")
	assert.False(t, ok)
}
