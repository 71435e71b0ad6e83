package runner

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sec(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }

// arrivals runs a pacer the way the runner does, as if every wait were
// honoured exactly, and returns the arrival offsets.
func arrivals(t *testing.T, p Pacer, limit int) []time.Duration {
	t.Helper()
	var out []time.Duration
	var elapsed time.Duration
	for hits := uint64(0); ; hits++ {
		wait, stop := p.Pace(elapsed, hits)
		if stop {
			return out
		}
		elapsed += wait
		out = append(out, elapsed)
		require.Less(t, len(out), limit, "pacer did not stop")
	}
}

func TestUniformPacerExactOffsets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		segs []Segment
		want []time.Duration
	}{
		{
			name: "constant 10/s for 1s",
			segs: []Segment{{Duration: time.Second, From: 10, To: 10}},
			want: []time.Duration{0, sec(.1), sec(.2), sec(.3), sec(.4), sec(.5), sec(.6), sec(.7), sec(.8), sec(.9)},
		},
		{
			// N(t) = t²/2 over 4 s → 8 arrivals, k-th at √(2k).
			name: "ramp 0→4/s over 4s",
			segs: []Segment{{Duration: 4 * time.Second, From: 0, To: 4}},
			want: []time.Duration{0, sec(math.Sqrt(2)), sec(2), sec(math.Sqrt(6)), sec(math.Sqrt(8)), sec(math.Sqrt(10)), sec(math.Sqrt(12)), sec(math.Sqrt(14))},
		},
		{
			// 2/s for 1 s (0, .5), pause 1 s, then 2→4/s over 1 s:
			// N(t) = 2t + t², 3 arrivals: t=0, t=√2−1, t=√3−1 after 2 s.
			name: "chained with a pause",
			segs: []Segment{
				{Duration: time.Second, From: 2, To: 2},
				{Duration: time.Second},
				{Duration: time.Second, From: 2, To: 4},
			},
			want: []time.Duration{0, sec(.5), sec(2), sec(2 + math.Sqrt(2) - 1), sec(2 + math.Sqrt(3) - 1)},
		},
		{
			// Ramp down 4→0 over 2 s: N(t) = 4t − t², total 4 → arrivals
			// at 2−√(4−k) for k = 0..3.
			name: "ramp down to zero",
			segs: []Segment{{Duration: 2 * time.Second, From: 4, To: 0}},
			want: []time.Duration{0, sec(2 - math.Sqrt(3)), sec(2 - math.Sqrt(2)), sec(1)},
		},
		{
			// 1.5 arrivals integrate: 2 arrivals (0 and 2/3 s).
			name: "fractional total rounds up",
			segs: []Segment{{Duration: time.Second, From: 1.5, To: 1.5}},
			want: []time.Duration{0, sec(2.0 / 3)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := NewSchedule(tt.segs...)
			require.NoError(t, err)
			got := arrivals(t, UniformPacer{s}, 1000)
			require.Len(t, got, len(tt.want), "arrivals of %s", s)
			for i := range got {
				assert.InDelta(t, tt.want[i], got[i], float64(time.Microsecond), "arrival %d of %s", i, s)
			}
		})
	}
}

func TestPaceWaitsAndStops(t *testing.T) {
	t.Parallel()
	s, err := NewSchedule(Segment{Duration: time.Second, From: 10, To: 10})
	require.NoError(t, err)
	p := UniformPacer{s}
	tests := []struct {
		elapsed time.Duration
		hits    uint64
		wait    time.Duration
		stop    bool
	}{
		{0, 0, 0, false},
		{0, 1, sec(.1), false},
		{sec(.05), 1, sec(.05), false},
		{sec(.5), 1, 0, false}, // behind schedule: go now
		{sec(.95), 9, 0, false},
		{sec(.95), 10, 0, true},
	}
	for _, tt := range tests {
		wait, stop := p.Pace(tt.elapsed, tt.hits)
		assert.InDelta(t, tt.wait, wait, float64(time.Microsecond), "Pace(%s, %d) = (%v, %v); want (%v, %v)", tt.elapsed, tt.hits, wait, stop, tt.wait, tt.stop)
		assert.Equal(t, tt.stop, stop, "Pace(%s, %d) = (%v, %v); want (%v, %v)", tt.elapsed, tt.hits, wait, stop, tt.wait, tt.stop)
	}
	assert.Equal(t, 10.0, p.Rate(sec(.5)))
	assert.Equal(t, 0.0, p.Rate(sec(2)))
}

func TestScheduleRejectsBadRates(t *testing.T) {
	t.Parallel()
	for _, g := range []Segment{{Duration: -1}, {Duration: 1, From: -1}, {Duration: 1, To: math.NaN()}, {Duration: 1, From: math.Inf(1)}} {
		_, err := NewSchedule(g)
		assert.Error(t, err, "NewSchedule(%+v)", g)
	}
}

func randomSchedule(r *rand.Rand) *Schedule {
	n := 1 + r.IntN(4)
	segs := make([]Segment, n)
	for i := range segs {
		segs[i] = Segment{
			Duration: time.Duration(1+r.IntN(5000)) * time.Millisecond,
			From:     float64(r.IntN(200)) * r.Float64(),
			To:       float64(r.IntN(200)) * r.Float64(),
		}
		if r.IntN(4) == 0 {
			segs[i].To = segs[i].From
		}
	}
	s, _ := NewSchedule(segs...)
	return s
}

// Property: uniform arrivals are monotonic, lie inside the schedule, the
// count is the integral rounded up, and before any moment T there are
// exactly ⌈∫₀ᵀ rate⌉ of them.
func TestUniformPacerProperties(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 300 {
		s := randomSchedule(r)
		got := arrivals(t, UniformPacer{s}, 10_000)
		want := int(math.Ceil(s.Total() - 1e-9))
		require.InDelta(t, want, len(got), 1, "trial %d: count of %s", trial, s)
		for i := 1; i < len(got); i++ {
			require.GreaterOrEqual(t, got[i], got[i-1], "trial %d: arrival %d of %s went back", trial, i, s)
		}
		if len(got) > 0 {
			require.Less(t, got[len(got)-1], s.Duration()+time.Microsecond, "trial %d: arrival after the end of %s", trial, s)
		}
		for range 5 {
			at := time.Duration(r.Int64N(int64(s.Duration()) + 1))
			before := 0
			for _, a := range got {
				if a < at {
					before++
				}
			}
			exp := math.Ceil(s.Integral(at) - 1e-9)
			require.InDelta(t, exp, before, 1, "trial %d: arrivals before %v of %s", trial, at, s)
		}
	}
}

func TestPoissonPacer(t *testing.T) {
	t.Parallel()
	s, err := NewSchedule(Segment{Duration: 100 * time.Second, From: 100, To: 100})
	require.NoError(t, err)
	a := arrivals(t, NewPoissonPacer(s, 42), 100_000)
	b := arrivals(t, NewPoissonPacer(s, 42), 100_000)
	c := arrivals(t, NewPoissonPacer(s, 43), 100_000)
	assert.Equal(t, a, b, "same seed, same arrivals")
	assert.NotEqual(t, a, c, "another seed, other arrivals")
	// Poisson(10000): standard deviation 100; 5σ bound.
	assert.InDelta(t, 10_000, len(a), 500)
	for i := 1; i < len(a); i++ {
		require.GreaterOrEqual(t, a[i], a[i-1], "arrival %d went back", i)
	}
	// Interarrival gaps are exponential: their coefficient of variation is
	// 1 (uniform arrivals would give 0).
	var sum, sq float64
	for i := 1; i < len(a); i++ {
		g := (a[i] - a[i-1]).Seconds()
		sum += g
		sq += g * g
	}
	n := float64(len(a) - 1)
	mean := sum / n
	cv := math.Sqrt(sq/n-mean*mean) / mean
	assert.InDelta(t, 1.0, cv, 0.05, "coefficient of variation of gaps")
	assert.InDelta(t, 0.01, mean, 0.001, "mean gap")
}

func TestScheduleStage(t *testing.T) {
	t.Parallel()
	s, err := NewSchedule(Segment{Duration: time.Second, From: 1, To: 1}, Segment{Duration: 2 * time.Second, From: 1, To: 3})
	require.NoError(t, err)
	assert.Equal(t, 0, s.Stage(0))
	assert.Equal(t, 1, s.Stage(time.Second))
	assert.Equal(t, -1, s.Stage(3*time.Second))
	assert.Equal(t, 2.0, s.Rate(2*time.Second))
	assert.InDelta(t, 1+2+2, s.Total(), 1e-9)
}
