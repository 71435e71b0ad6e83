package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/callplan/callplan/assert"
	"github.com/callplan/callplan/metrics"
)

//go:embed report.html.tmpl
var htmlSource string

var htmlTemplate = template.Must(template.New("report").Parse(htmlSource))

// HTML writes one self-contained page: styles inline, charts as inline SVG
// (svg.go), no script and nothing fetched, so it opens from a CI artifact
// store or a mail attachment as it is.
func HTML(r *Results) Reporter {
	return func(w io.Writer) error {
		if err := htmlTemplate.Execute(w, newPage(r)); err != nil {
			return fmt.Errorf("rendering html: %w", err)
		}
		return nil
	}
}

// page is the template's data: every figure already formatted.
type page struct {
	R        *Results
	Title    string
	Status   string
	Failed   int
	Started  string
	Elapsed  string
	Summary  [][2]string
	Groups   [][]string
	Latency  [][]string
	Causes   [][]string
	Gens     [][]string
	Verdicts []verdictRow
	Baseline *Comparison
	Charts   []chart
	Files    []string
}

type verdictRow struct {
	Pass     bool
	Mark     string
	V        assert.Verdict
	Observed string
}

type chart struct {
	Title string
	SVG   template.HTML
}

func newPage(r *Results) page {
	s := &r.Summary
	g := s.Group
	p := page{
		R: r, Title: fmt.Sprintf("callplan %s: %s", r.Plan.Name, r.Status), Status: string(r.Status),
		Elapsed: s.Elapsed.Round(time.Millisecond).String(), Baseline: r.Baseline,
	}
	if !s.Started.IsZero() {
		p.Started = s.Started.UTC().Format(time.RFC3339)
	}
	p.Summary = [][2]string{
		{"calls", count(g.Calls)}, {"answered", count(g.Answered)}, {"ok", count(g.OK)},
		{"failed", count(g.Failed)}, {"unknown", count(g.Unknown)}, {"dropped", count(g.Dropped)},
		{"throttled", count(g.Throttled)}, {"ASR", pct(g.ASR)}, {"success", pct(g.Success)},
		{"cps target (mean / peak)", num(r.Plan.targetMean()) + " / " + num(r.Plan.targetPeak())},
		{"cps achieved (mean / peak)", num(g.CPS.Mean) + " / " + num(g.CPS.Max)},
		{"erlangs (mean / peak)", num(g.Erlangs.Mean) + " / " + num(g.Erlangs.Max)},
	}
	for _, gr := range groups(s) {
		x := gr.g
		p.Groups = append(p.Groups, []string{gr.kind, gr.name, count(x.Calls), count(x.Answered), count(x.Failed),
			count(x.Unknown), count(x.Dropped), pct(x.ASR), pct(x.Success), num(x.CPS.Mean), num(x.Erlangs.Max), ms(x.PDD.P95, x.PDD.Count)})
	}
	for _, l := range []struct {
		name string
		v    metrics.Latency
	}{{"pdd", g.PDD}, {"setup_latency", g.SetupLatency}, {"answer_latency", g.AnswerLatency}, {"duration", g.Duration}} {
		v := l.v
		p.Latency = append(p.Latency, []string{l.name, count(v.Count), ms(v.Min, v.Count), ms(v.Mean, v.Count), ms(v.P50, v.Count),
			ms(v.P90, v.Count), ms(v.P95, v.Count), ms(v.P99, v.Count), ms(v.Max, v.Count)})
	}
	p.Causes = causeRows(g)
	for _, n := range slices.Sorted(maps.Keys(s.Generators)) {
		x := s.Generators[n]
		health := "ok"
		if !x.Healthy() {
			health = "unhealthy"
		}
		p.Gens = append(p.Gens, []string{n, health, fmt.Sprint(x.Saturated), fmt.Sprint(x.AtMaxSessions),
			num(x.MinIdleCPU), count(x.Disconnects), count(x.DroppedEvents)})
	}
	for _, v := range r.Verdicts {
		row := verdictRow{Pass: v.Pass, Mark: "✓", V: v, Observed: v.ObservedText()}
		if !v.Pass {
			row.Mark, p.Failed = "✗", p.Failed+1
		}
		p.Verdicts = append(p.Verdicts, row)
	}
	for _, f := range []string{r.Files.CDRCSV, r.Files.CDRJSONL, r.Files.TimeSeriesCSV} {
		if f != "" {
			p.Files = append(p.Files, f)
		}
	}
	p.Charts = charts(r)
	return p
}

// perSecond lays the series out by second index (seconds are contiguous
// from 0 in a collector's output, but a report.json from elsewhere need not
// be). Indexes outside [0, maxSeconds) are dropped so a damaged file cannot
// make the charts allocate without bound.
func perSecond(secs []metrics.Second) []*metrics.Second {
	n := 0
	for _, s := range secs {
		if s.Index >= 0 && s.Index < maxSeconds {
			n = max(n, s.Index+1)
		}
	}
	out := make([]*metrics.Second, n)
	for i := range secs {
		if idx := secs[i].Index; idx >= 0 && idx < maxSeconds {
			out[idx] = &secs[i]
		}
	}
	return out
}

// maxSeconds is the longest series charted: 30 days.
const maxSeconds = 30 * 24 * 3600

// targetSeries is the plan's calls per second for each second of the
// series. The collector's clock starts before the first stage (preflight
// and the smoke call come first) and seconds before it carry no stage
// name, so the curve starts at the first second with one.
func targetSeries(p PlanInfo, by []*metrics.Second) []float64 {
	offset := 0
	for i, s := range by {
		if s != nil && s.Stage != "" {
			offset = i
			break
		}
	}
	target := make([]float64, len(by))
	for i := range target {
		if i >= offset {
			target[i] = p.TargetCPS(i - offset)
		}
	}
	return target
}

// maxFailureCategories bounds the failure chart's legend; the rest are
// summed as "other".
const maxFailureCategories = 5

func charts(r *Results) []chart {
	by := perSecond(r.Seconds)
	n := len(by)
	if n == 0 {
		return nil
	}
	val := func(f func(*metrics.Second) float64) []float64 {
		out := make([]float64, n)
		for i, s := range by {
			if s == nil {
				out[i] = math.NaN()
				continue
			}
			out[i] = f(s)
		}
		return downsample(out)
	}
	target := downsample(targetSeries(r.Plan, by))
	out := []chart{
		{"Calls per second: target and achieved", template.HTML(lineChart("calls per second", "calls/s", n, []series{
			{name: "target", values: target, dashed: true},
			{name: "achieved", values: val(func(s *metrics.Second) float64 { return float64(s.Calls) })},
			{name: "answered", values: val(func(s *metrics.Second) float64 { return float64(s.Answered) })},
		}))},
		{"Active calls and erlangs", template.HTML(lineChart("active calls and erlangs", "calls", n, []series{
			{name: "active (end of second)", values: val(func(s *metrics.Second) float64 { return float64(s.Active) })},
			{name: "erlangs", values: val(func(s *metrics.Second) float64 { return s.Erlangs })},
		}))},
	}
	// Failures by reason, the largest categories over the whole run.
	totals := map[string]int64{}
	for _, s := range by {
		if s != nil {
			for k, v := range s.Reasons {
				totals[k] += v
			}
		}
	}
	cats := byCount(totals)
	if len(cats) > maxFailureCategories {
		cats = cats[:maxFailureCategories]
	}
	// "other" is every failed call not in a named category: reasons past
	// the largest few, and failures that carried no reason.
	if len(cats) == 0 {
		cats = append(cats, "failed")
	} else {
		cats = append(cats, "other")
	}
	values := make([][]float64, len(cats))
	for c := range cats {
		values[c] = make([]float64, n)
	}
	for i, s := range by {
		if s == nil {
			continue
		}
		var named int64
		for c, k := range cats[:len(cats)-1] {
			values[c][i] = float64(s.Reasons[k])
			named += s.Reasons[k]
		}
		values[len(cats)-1][i] = float64(max(s.Failed-named, 0))
	}
	for c := range values {
		values[c] = downsample(values[c])
	}
	out = append(out, chart{"Failed calls by reason", template.HTML(stackedBars("failed calls by reason", "calls", n, cats, values))})
	lat := func(f func(metrics.Latency) time.Duration, h func(*metrics.Second) metrics.WindowHist) []float64 {
		return val(func(s *metrics.Second) float64 {
			l := h(s).Latency()
			if l.Count == 0 {
				return math.NaN()
			}
			return float64(f(l)) / float64(time.Millisecond)
		})
	}
	pdd := func(s *metrics.Second) metrics.WindowHist { return s.PDD }
	answer := func(s *metrics.Second) metrics.WindowHist { return s.AnswerLatency }
	out = append(out, chart{"Latency percentiles per second", template.HTML(lineChart("latency percentiles", "ms", n, []series{
		{name: "pdd p50", values: lat(func(l metrics.Latency) time.Duration { return l.P50 }, pdd)},
		{name: "pdd p95", values: lat(func(l metrics.Latency) time.Duration { return l.P95 }, pdd)},
		{name: "pdd p99", values: lat(func(l metrics.Latency) time.Duration { return l.P99 }, pdd)},
		{name: "answer p95", values: lat(func(l metrics.Latency) time.Duration { return l.P95 }, answer)},
	}))})
	return out
}
