package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/callplan/callplan/metrics"
)

// csvHeader is summary.csv's header. Latencies are milliseconds with
// microsecond precision, empty when no call had the interval; ratios are
// 0..1; the audio quality columns are empty when no call had media.
var csvHeader = []string{
	"scope", "name", "offered", "calls", "answered", "ok", "failed", "unknown", "dropped", "throttled",
	"asr", "success", "cps_mean", "cps_max", "erlangs_mean", "erlangs_max",
	"pdd_p50_ms", "pdd_p95_ms", "pdd_p99_ms", "setup_latency_p95_ms", "answer_latency_p95_ms", "duration_p50_ms",
	"mos_p5", "mos_p50", "loss_p95", "loss_max", "jitter_p95_ms",
}

// CSV writes summary.csv: one row for the run, then one per stage (in the
// order they ran), flow and node (sorted). The call records (cdr.csv) and
// the per-second time series (timeseries.csv) are written by the run
// itself as it goes; the other reports name them (Results.Files).
func CSV(r *Results) Reporter {
	return func(w io.Writer) error {
		cw := csv.NewWriter(w)
		if err := cw.Write(csvHeader); err != nil {
			return fmt.Errorf("writing csv: %w", err)
		}
		rows := append([]group{{"run", r.Summary.Run, r.Summary.Group}}, groups(&r.Summary)...)
		for _, gr := range rows {
			if err := cw.Write(csvRow(gr)); err != nil {
				return fmt.Errorf("writing csv: %w", err)
			}
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return fmt.Errorf("writing csv: %w", err)
		}
		return nil
	}
}

func csvRow(gr group) []string {
	g := gr.g
	i := func(v int64) string { return strconv.FormatInt(v, 10) }
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 6, 64) }
	d := func(v time.Duration, l metrics.Latency) string {
		if l.Count == 0 {
			return ""
		}
		return strconv.FormatFloat(float64(v)/float64(time.Millisecond), 'f', 3, 64)
	}
	media := g.MOS.Count > 0
	q := func(v float64) string {
		if !media {
			return ""
		}
		return f(v)
	}
	qms := func(v time.Duration) string {
		if !media {
			return ""
		}
		return strconv.FormatFloat(float64(v)/float64(time.Millisecond), 'f', 3, 64)
	}
	return []string{
		gr.kind, gr.name, i(g.Offered), i(g.Calls), i(g.Answered), i(g.OK), i(g.Failed), i(g.Unknown), i(g.Dropped), i(g.Throttled),
		f(g.ASR), f(g.Success), f(g.CPS.Mean), f(g.CPS.Max), f(g.Erlangs.Mean), f(g.Erlangs.Max),
		d(g.PDD.P50, g.PDD), d(g.PDD.P95, g.PDD), d(g.PDD.P99, g.PDD), d(g.SetupLatency.P95, g.SetupLatency),
		d(g.AnswerLatency.P95, g.AnswerLatency), d(g.Duration.P50, g.Duration),
		q(g.MOS.P5), q(g.MOS.P50), q(g.Loss.P95), q(g.Loss.Max), qms(g.Jitter.P95),
	}
}
