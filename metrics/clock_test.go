package metrics

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var clockEpoch = time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)

// eventTimes are n true event times from a seeded Poisson process of rate
// per second, starting at clockEpoch.
func eventTimes(seed uint64, n int, rate float64) []time.Time {
	rng := rand.New(rand.NewPCG(seed, 7))
	out := make([]time.Time, n)
	t := clockEpoch
	for i := range out {
		t = t.Add(time.Duration(rng.ExpFloat64() / rate * float64(time.Second)))
		out[i] = t
	}
	return out
}

// ticking stamps events as FreeSWITCH's cached runtime clock does: with
// the time of the last tick (src/switch_time.c), ticks step apart with
// phase and up to jitter of lateness each.
func ticking(ts []time.Time, step, phase, jitter time.Duration, seed uint64) []time.Time {
	rng := rand.New(rand.NewPCG(seed, 11))
	late := map[int64]time.Duration{}
	out := make([]time.Time, len(ts))
	for i, t := range ts {
		k := int64(t.Sub(clockEpoch.Add(phase)) / step)
		if _, ok := late[k]; !ok && jitter > 0 {
			late[k] = time.Duration(rng.Int64N(int64(jitter)))
		}
		out[i] = clockEpoch.Add(phase + time.Duration(k)*step + late[k])
	}
	return out
}

func TestResolution(t *testing.T) {
	t.Parallel()
	busy := eventTimes(1, 1000, 200) // 200 events/s for 5 s
	sparse := eventTimes(2, 60, 5)   // 5 events/s
	// A call every second on FreeSWITCH: create, progress 15 ms later,
	// answer 40 ms later, park and hangup events.
	var calls []time.Time
	for i := range 30 {
		at := clockEpoch.Add(time.Duration(i)*time.Second + time.Duration(i*37%1000)*time.Millisecond)
		for _, d := range []time.Duration{0, 15, 40, 41, 2000} {
			calls = append(calls, at.Add(d*time.Millisecond))
		}
	}
	for _, tc := range []struct {
		name    string
		stamps  []time.Time
		want    time.Duration // 0: unknown
		within  time.Duration
		coarse  bool
		unknown bool
	}{
		{"FreeSWITCH default 20 ms tick", ticking(busy, 20*time.Millisecond, 7*time.Millisecond, 300*time.Microsecond, 1), 20 * time.Millisecond, time.Millisecond, true, false},
		{"20 ms tick, one call a second", ticking(calls, 20*time.Millisecond, 3*time.Millisecond, 200*time.Microsecond, 2), 20 * time.Millisecond, time.Millisecond, true, false},
		{"1ms-timer", ticking(busy, time.Millisecond, 0, 20*time.Microsecond, 3), time.Millisecond, 200 * time.Microsecond, false, false},
		{"microsecond clock, busy", ticking(busy, time.Microsecond, 0, 0, 4), 0, 100 * time.Microsecond, false, false},
		{"microsecond clock, sparse: no lattice, not taken for coarse", ticking(sparse, time.Microsecond, 0, 0, 5), 0, 0, false, true},
		{"too few stamps", busy[:10], 0, 0, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := Resolution(tc.stamps)
			if tc.unknown {
				assert.False(t, ok, "Resolution = %v, want unknown", got)
				return
			}
			require.True(t, ok, "Resolution unknown")
			assert.InDelta(t, float64(tc.want), float64(got), float64(tc.within), "Resolution = %v; want %v ± %v", got, tc.want, tc.within)
			nc := NodeClock{Resolution: got, ResolutionKnown: ok}
			assert.Equal(t, tc.coarse, nc.Coarse())
		})
	}
}

// TestResolutionIgnoresAnEarlyTick: a tick that came early after a stall
// (the timer thread catching up) is not taken for the step.
func TestResolutionIgnoresAnEarlyTick(t *testing.T) {
	t.Parallel()
	stamps := ticking(eventTimes(3, 1000, 200), 20*time.Millisecond, 0, 0, 6)
	stamps = append(stamps, stamps[500].Add(2*time.Millisecond))
	got, ok := Resolution(stamps)
	require.True(t, ok)
	assert.Equal(t, 20*time.Millisecond, got)
}

func TestClockOffset(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(9, 9))
	truth := eventTimes(4, 500, 100)
	for _, tc := range []struct {
		name   string
		offset time.Duration // node minus runner
		step   time.Duration // node's tick; 0 fine
	}{
		{"same host, fine clock", 0, 0},
		{"node 3 s ahead", 3 * time.Second, 0},
		{"node 250 ms behind, 20 ms tick", -250 * time.Millisecond, 20 * time.Millisecond},
	} {
		node := make([]time.Time, len(truth))
		rx := make([]time.Time, len(truth))
		for i, tt := range truth {
			n := tt.Add(tc.offset)
			if tc.step > 0 {
				n = n.Truncate(tc.step)
			}
			node[i] = n
			rx[i] = tt.Add(50*time.Microsecond + time.Duration(rng.Int64N(int64(2*time.Millisecond))))
		}
		got, ok := ClockOffset(node, rx)
		require.True(t, ok, tc.name)
		// Short of the truth by the smallest delay (50 µs and a little),
		// plus, on a ticking clock, a little of a tick's staleness.
		assert.LessOrEqual(t, got, tc.offset, "%s: ClockOffset = %v", tc.name, got)
		assert.GreaterOrEqual(t, got, tc.offset-time.Millisecond, "%s: ClockOffset = %v; want within 1 ms of %v", tc.name, got, tc.offset)
	}
	_, ok := ClockOffset(nil, nil)
	assert.False(t, ok)
}

// TestClockBookChoosesTheClock: a node with a fine clock has its calls
// measured on its own clock once known; a coarse one on the receipt
// clock, and so is every call before the node's clock is known.
func TestClockBookChoosesTheClock(t *testing.T) {
	t.Parallel()
	b := NewClockBook()
	rec := func(node string) *Record {
		return &Record{CallerNode: node, CallerCreate: clockEpoch, Received: Received{CallerCreate: clockEpoch}}
	}
	early := rec("fine")
	b.assign(early)
	assert.Equal(t, ClockReceipt, early.Clock, "unknown clock: receipt")

	truth := eventTimes(5, 400, 200)
	coarse := ticking(truth, 20*time.Millisecond, 0, 0, 7)
	for i, tt := range truth {
		b.Observe("fine", tt, tt.Add(100*time.Microsecond))
		b.Observe("fs", coarse[i], tt.Add(100*time.Microsecond))
	}
	fine, fs := rec("fine"), rec("fs")
	b.assign(fine)
	b.assign(fs)
	assert.Equal(t, ClockNode, fine.Clock)
	assert.Equal(t, ClockReceipt, fs.Clock)
	byHand := &Record{CallerNode: "fs", CallerCreate: clockEpoch}
	b.assign(byHand)
	assert.Equal(t, ClockNode, byHand.Clock, "a record without receipt times keeps the only clock it has")

	clocks := b.Clocks()
	assert.True(t, clocks["fs"].Coarse())
	assert.Equal(t, ClockReceipt, clocks["fs"].Latencies)
	assert.Equal(t, int64(1), clocks["fs"].ReceiptCalls)
	assert.Equal(t, int64(1), clocks["fs"].NodeCalls)
	assert.Equal(t, int64(400), clocks["fs"].Events)
	assert.False(t, clocks["fine"].Coarse())
	assert.Equal(t, ClockNode, clocks["fine"].Latencies)
	assert.Equal(t, int64(1), clocks["fine"].NodeCalls)
	assert.Equal(t, int64(1), clocks["fine"].ReceiptCalls)
	assert.InDelta(t, float64(-100*time.Microsecond), float64(clocks["fine"].Offset), float64(time.Microsecond))
}

// TestIntervalsOnOneClock: each interval has both ends on one clock: the
// node's stamps, or the receipt times when the record says so; setup
// latency across two nodes is on the receipt clock.
func TestIntervalsOnOneClock(t *testing.T) {
	t.Parallel()
	ms := func(n int) time.Time { return clockEpoch.Add(time.Duration(n) * time.Millisecond) }
	// A 20 ms clock stamps create and progress in one tick; the runner
	// received them 26 ms apart.
	r := Record{
		CallerNode: "fs", CalleeNode: "fs",
		CallerCreate: ms(0), CallerProgress: ms(0), CallerAnswer: ms(40), CalleeCreate: ms(0), CallerHangup: ms(2040),
		Received: Received{CallerCreate: ms(3), CallerProgress: ms(29), CallerAnswer: ms(61), CalleeCreate: ms(4), CallerHangup: ms(2055)},
	}
	node := r
	pdd, _ := node.PDD()
	assert.Equal(t, time.Duration(0), pdd, "the node's 20 ms clock: pdd 0")
	recv := r
	recv.Clock = ClockReceipt
	for _, tc := range []struct {
		name string
		got  func() (time.Duration, bool)
		want time.Duration
	}{
		{"pdd", recv.PDD, 26 * time.Millisecond},
		{"answer_latency", recv.AnswerLatency, 58 * time.Millisecond},
		{"setup_latency", recv.SetupLatency, time.Millisecond},
		{"duration", recv.Duration, 1994 * time.Millisecond},
	} {
		got, ok := tc.got()
		assert.True(t, ok, tc.name)
		assert.Equal(t, tc.want, got, "%s on the receipt clock", tc.name)
	}
	// Two nodes: setup on the receipt clock even when the rest is on the
	// node's clock.
	cross := r
	cross.CalleeNode = "fs2"
	cross.CalleeCreate = ms(-900) // fs2's clock is 900 ms behind
	assert.Equal(t, ClockReceipt, cross.SetupClock())
	setup, ok := cross.SetupLatency()
	require.True(t, ok)
	assert.Equal(t, time.Millisecond, setup)
	assert.Equal(t, ClockNode, cross.IntervalClock())
}

// TestClockBookRecomputesAtMostOnceASecond: once a node's clock is known,
// new events make its estimate stale only when there are clockRecompute
// of them and they came at least clockRecomputeAge after the last
// estimate (on the receipt clock); a slow node's 64 events always span a
// second. The offset moving from -100 µs to +5 ms shows a recompute.
func TestClockBookRecomputesAtMostOnceASecond(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		gap     time.Duration // between the new events
		n       int           // new events
		updated bool
	}{
		{"a busy node, 100 events in 100 ms", time.Millisecond, 100, false},
		{"a busy node, 1 200 events in 1.2 s", time.Millisecond, 1200, true},
		{"fewer than 64 events, even after 2 s", 40 * time.Millisecond, 50, false},
		{"a slow node, 64 events in 1.28 s", 20 * time.Millisecond, 64, true},
	} {
		b := NewClockBook()
		at := clockEpoch
		for range 200 {
			at = at.Add(time.Millisecond)
			b.Observe("n", at, at.Add(100*time.Microsecond))
		}
		before := b.Clock("n")
		require.True(t, before.ResolutionKnown, tc.name)
		require.InDelta(t, float64(-100*time.Microsecond), float64(before.Offset), float64(time.Microsecond), tc.name)
		for range tc.n {
			at = at.Add(tc.gap)
			b.Observe("n", at, at.Add(-5*time.Millisecond))
		}
		after := b.Clock("n")
		assert.Equal(t, int64(200+tc.n), after.Events, tc.name)
		if tc.updated {
			assert.Equal(t, 5*time.Millisecond, after.Offset, tc.name)
		} else {
			assert.Equal(t, before.Offset, after.Offset, tc.name)
		}
	}
}
