package metrics

import (
	"math"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// LegMedia is what one leg measured of the audio it received, from the
// leg's rtp_audio_in_* channel variables at hangup: FreeSWITCH sets them
// (src/switch_rtp.c, switch_core_media.c's set_stats) and the embedded
// agent sets the same names, so both kinds of node fill it alike. Zero
// Packets means the leg received no audio (a parked leg sends none).
type LegMedia struct {
	// Packets is rtp_audio_in_media_packet_count.
	Packets int64 `json:"packets"`
	// Lost is rtp_audio_in_flaw_total: FreeSWITCH counts one flaw per
	// packet missing from the sequence.
	Lost int64 `json:"lost"`
	// Jitter is the leg's interarrival jitter (RFC 3550 A.8).
	Jitter time.Duration `json:"jitter"`
	// MOS is rtp_audio_in_mos, FreeSWITCH's estimate from loss and jitter
	// (1.0-4.5).
	MOS float64 `json:"mos"`
}

// HasMedia reports whether the leg received any audio.
func (m LegMedia) HasMedia() bool { return m.Packets > 0 }

// LossRatio is lost / expected packets (0 with none expected).
func (m LegMedia) LossRatio() float64 {
	if m.Packets+m.Lost <= 0 {
		return 0
	}
	return float64(m.Lost) / float64(m.Packets+m.Lost)
}

// Quality is a call's audio quality: the worse of its two directions, as
// a user hears the worse side of a call. ok is false when neither leg
// received audio.
func (r *Record) Quality() (mos, loss float64, jitter time.Duration, ok bool) {
	mos = math.Inf(1)
	for _, m := range [...]LegMedia{r.CallerMedia, r.CalleeMedia} {
		if !m.HasMedia() {
			continue
		}
		ok = true
		mos = math.Min(mos, m.MOS)
		loss = math.Max(loss, m.LossRatio())
		jitter = max(jitter, m.Jitter)
	}
	if !ok {
		return 0, 0, 0, false
	}
	return mos, loss, jitter, true
}

// Score is the distribution of a per-call quality figure (MOS, loss ratio)
// over the calls that had media. Count is how many did; all zero when none.
type Score struct {
	Count int64   `json:"count" expr:"count"`
	Min   float64 `json:"min" expr:"min"`
	P1    float64 `json:"p1" expr:"p1"`
	P5    float64 `json:"p5" expr:"p5"`
	P50   float64 `json:"p50" expr:"p50"`
	Mean  float64 `json:"mean" expr:"mean"`
	P95   float64 `json:"p95" expr:"p95"`
	P99   float64 `json:"p99" expr:"p99"`
	Max   float64 `json:"max" expr:"max"`
}

// TimeScore is the distribution of a per-call duration with Score's
// quantiles: jitter over the calls that had media, and a flow's duration
// figures (figures.go).
type TimeScore struct {
	Count int64         `json:"count" expr:"count"`
	Min   time.Duration `json:"min" expr:"min"`
	P1    time.Duration `json:"p1" expr:"p1"`
	P5    time.Duration `json:"p5" expr:"p5"`
	P50   time.Duration `json:"p50" expr:"p50"`
	Mean  time.Duration `json:"mean" expr:"mean"`
	P95   time.Duration `json:"p95" expr:"p95"`
	P99   time.Duration `json:"p99" expr:"p99"`
	Max   time.Duration `json:"max" expr:"max"`
}

// scoreHist is an HDR histogram of a non-negative figure kept as an
// integer at a fixed scale: MOS in thousandths, loss in millionths, jitter
// in microseconds, each to 3 significant digits. It is made on first use.
type scoreHist struct {
	h     *hdr.Histogram
	scale float64 // stored value = figure x scale
	top   int64   // highest stored value
}

func (s *scoreHist) add(v float64) {
	if s.h == nil {
		s.h = hdr.New(1, s.top, 3)
	}
	n := int64(math.Round(v * s.scale))
	_ = s.h.RecordValue(min(max(n, 0), s.top)) // clamped into range: cannot fail
}

func (s *scoreHist) score() Score {
	if s.h == nil || s.h.TotalCount() == 0 {
		return Score{}
	}
	at := func(q float64) float64 { return float64(s.h.ValueAtQuantile(q)) / s.scale }
	return Score{
		Count: s.h.TotalCount(),
		Min:   float64(s.h.Min()) / s.scale, P1: at(1), P5: at(5), P50: at(50),
		Mean: s.h.Mean() / s.scale, P95: at(95), P99: at(99),
		Max: float64(s.h.Max()) / s.scale,
	}
}

// durationHist is a scoreHist of durations up to top, kept in µs.
func durationHist(top time.Duration) scoreHist {
	return scoreHist{scale: 1e-3, top: int64(top / time.Microsecond)} // ns -> µs
}

// qualityAcc accumulates a group's MOS, loss and jitter.
type qualityAcc struct{ mos, loss, jitter scoreHist }

func newQualityAcc() qualityAcc {
	return qualityAcc{
		mos:    scoreHist{scale: 1000, top: 5000},
		loss:   scoreHist{scale: 1e6, top: 1e6},
		jitter: durationHist(time.Minute),
	}
}

func (q *qualityAcc) add(r *Record) {
	mos, loss, jitter, ok := r.Quality()
	if !ok {
		return
	}
	q.mos.add(mos)
	q.loss.add(loss)
	q.jitter.add(float64(jitter))
}

func (q *qualityAcc) fill(g *Group) {
	g.MOS, g.Loss = q.mos.score(), q.loss.score()
	g.Jitter = q.jitter.timeScore()
}

// timeScore is score() of a histogram of durations (stored in µs at scale
// 1e-3 per ns), in durations.
func (s *scoreHist) timeScore() TimeScore {
	j := s.score()
	ns := func(v float64) time.Duration { return time.Duration(math.Round(v)) } // score() scaled back to ns
	return TimeScore{Count: j.Count, Min: ns(j.Min), P1: ns(j.P1), P5: ns(j.P5), P50: ns(j.P50),
		Mean: ns(j.Mean), P95: ns(j.P95), P99: ns(j.P99), Max: ns(j.Max)}
}
