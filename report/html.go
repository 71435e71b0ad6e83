package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"maps"
	"path"
	"slices"
	"strings"
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
	R      *Results
	Title  string
	Status string
	// Reason is the one line at the top when the status is
	// infrastructure.
	Reason  string
	Failed  int
	Started string
	Elapsed string
	Summary [][2]string
	Groups  [][]string
	// Callees are the calls by callee node; CalleeTitle carries the
	// imbalance.
	Callees     [][]string
	CalleeTitle string
	Latency     [][]string
	Causes      [][]string
	Gens        [][]string
	Verdicts    []verdictRow
	Baseline    *Comparison
	Charts      []chart
	Files       []fileLink
}

// fileLink is one of the run's files and the link to it from the page.
type fileLink struct {
	Name, Href string
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
	for _, n := range slices.Sorted(maps.Keys(s.CalleeNodes)) {
		c := s.CalleeNodes[n]
		p.Callees = append(p.Callees, []string{n, count(c.Received), count(c.Answered), count(c.Failed), pct(c.Share)})
	}
	if len(p.Callees) > 0 {
		p.CalleeTitle = "By callee node: imbalance " + imbalanceText(s.Imbalance)
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
		health, notes := nodeNotes(r, n, x)
		p.Gens = append(p.Gens, []string{n, strings.ToLower(health), fmt.Sprint(x.Saturated), fmt.Sprint(x.AtMaxSessions),
			idleCPU(x.MinIdleCPU), count(x.Disconnects), count(x.DroppedEvents), notes})
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
			p.Files = append(p.Files, fileLink{Name: f, Href: path.Join(r.LinkBase, f)})
		}
	}
	p.Charts = markCharts(charts(r), len(perSecond(r.Seconds)), r.Summary.Faults)
	p.Reason = infraReason(r)
	return p
}

// perSecond lays the series out by second index (seconds are contiguous
// from 0 in a collector's output, but a report.json from elsewhere need not
// be). A bucket of older seconds (Span > 1, metrics/tiers.go) stands for
// each second it covers as its mean second. Indexes outside [0, maxSeconds)
// are dropped so a damaged file cannot make the charts allocate without
// bound.
func perSecond(secs []metrics.Second) []*metrics.Second {
	n := 0
	for _, s := range secs {
		if s.Index >= 0 && s.Index < maxSeconds {
			n = max(n, min(s.Index+s.Width(), maxSeconds))
		}
	}
	out := make([]*metrics.Second, n)
	for i := range secs {
		idx, w := secs[i].Index, secs[i].Width()
		if idx < 0 || idx >= maxSeconds {
			continue
		}
		one := &secs[i]
		if w > 1 {
			m := secs[i].Mean()
			one = &m
		}
		for k := idx; k < min(idx+w, maxSeconds); k++ {
			out[k] = one
		}
	}
	return out
}

// maxSeconds is the longest series charted: 30 days.
const maxSeconds = 30 * 24 * 3600
