package report

import (
	"fmt"
	"html/template"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/callplan/callplan/metrics"
)

// The HTML report's charts. Every chart's x axis is the second of the run,
// with the node events (timeline.go) marked on it. Latency is drawn as one
// small chart per interval, each on its own scale, because intervals differ
// by orders of magnitude (a sub-millisecond PDD lies flat on zero under a
// one-second answer latency).

// targetSeries is the plan's calls per second for each second of the
// series. The collector's clock starts before the first stage (preflight
// and the smoke call come first) and seconds before it carry no stage
// name, so the curve starts at the first second with one.
func targetSeries(p PlanInfo, by []*metrics.Second) []float64 {
	offset := stageOffset(by)
	target := make([]float64, len(by))
	for i := range target {
		if i >= offset {
			target[i] = p.TargetCPS(i - offset)
		}
	}
	return target
}

// stageOffset is the first series second that belongs to a stage.
func stageOffset(by []*metrics.Second) int {
	for i, s := range by {
		if s != nil && s.Stage != "" {
			return i
		}
	}
	return 0
}

// maxFailureCategories bounds the failure chart's legend; the rest are
// summed as "other".
const maxFailureCategories = 5

// Colours with a fixed meaning.
const (
	colourTarget  = "#000000"
	colourUnknown = "#8c8c8c"
)

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
	evs := chartEvents(r, by)
	out := []chart{
		{"Calls per second: target, achieved and answered", template.HTML(lineChart("calls per second", "calls/s", n, []series{
			{name: "target", values: downsample(targetSeries(r.Plan, by)), dash: dashLong, colour: colourTarget},
			{name: "achieved", values: val(func(s *metrics.Second) float64 { return float64(s.Calls) }), marker: markerCircle, colour: palette[0]},
			{name: "answered", values: val(func(s *metrics.Second) float64 { return float64(s.Answered) }), dash: dashDot, marker: markerSquare, colour: palette[2]},
		}, evs))},
		{"Active calls and erlangs", template.HTML(lineChart("active calls and erlangs", "calls", n, []series{
			{name: "active (end of second)", values: val(func(s *metrics.Second) float64 { return float64(s.Active) })},
			{name: "erlangs", values: val(func(s *metrics.Second) float64 { return s.Erlangs }), dash: dashLong, marker: markerSquare},
		}, evs))},
		failureChart(by, evs),
	}
	out = append(out, latencyCharts(r, n, val, evs)...)
	out = append(out, qualityCharts(r, val, n, evs)...)
	out = append(out, nodeCharts(r, by, evs)...)
	out = append(out, heartbeatCharts(by, evs)...)
	return out
}

// failureChart stacks each second's failed calls by reason (the largest
// few over the run), and the calls that ended unknown, which carry no
// reason: a lost node's calls would otherwise leave the chart empty.
func failureChart(by []*metrics.Second, evs []chartEvent) chart {
	n := len(by)
	totals := map[string]int64{}
	var unknown int64
	for _, s := range by {
		if s != nil {
			for k, v := range s.Reasons {
				totals[k] += v
			}
			unknown += s.Unknown
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
	named := len(cats)
	colours := make([]string, named, named+1)
	if unknown > 0 {
		cats = append(cats, "unknown")
		colours = append(colours, colourUnknown)
	}
	values := make([][]float64, len(cats))
	for c := range cats {
		values[c] = make([]float64, n)
	}
	for i, s := range by {
		if s == nil {
			continue
		}
		var counted int64
		for c, k := range cats[:named-1] {
			values[c][i] = float64(s.Reasons[k])
			counted += s.Reasons[k]
		}
		values[named-1][i] = float64(max(s.Failed-counted, 0))
		if unknown > 0 {
			values[named][i] = float64(s.Unknown)
		}
	}
	if len(cats) > 1 && allZero(values[named-1]) {
		// Every failure had one of the named reasons: no "other".
		cats = slices.Delete(cats, named-1, named)
		colours = slices.Delete(colours, named-1, named)
		values = slices.Delete(values, named-1, named)
	}
	for c := range values {
		values[c] = downsample(values[c])
	}
	return chart{"Failed and unknown calls by reason", template.HTML(stackedBars("failed calls by reason", "calls", n, cats, colours, values, evs))}
}

func allZero(vs []float64) bool {
	for _, v := range vs {
		if v != 0 {
			return false
		}
	}
	return true
}

// latencyCharts draws p50, p95 and p99 per second, one chart per
// interval that has any value.
func latencyCharts(r *Results, n int, val func(func(*metrics.Second) float64) []float64, evs []chartEvent) []chart {
	g := r.Summary.Group
	var out []chart
	for _, iv := range []struct {
		title string
		count int64
		hist  func(*metrics.Second) metrics.WindowHist
	}{
		{"Post-dial delay (pdd)", g.PDD.Count, func(s *metrics.Second) metrics.WindowHist { return s.PDD }},
		{"Setup latency", g.SetupLatency.Count, func(s *metrics.Second) metrics.WindowHist { return s.SetupLatency }},
		{"Answer latency", g.AnswerLatency.Count, func(s *metrics.Second) metrics.WindowHist { return s.AnswerLatency }},
	} {
		if iv.count == 0 {
			continue
		}
		pct := func(f func(metrics.Latency) time.Duration) []float64 {
			return val(func(s *metrics.Second) float64 {
				l := iv.hist(s).Latency()
				if l.Count == 0 {
					return math.NaN()
				}
				return float64(f(l)) / float64(time.Millisecond)
			})
		}
		out = append(out, chart{iv.title + " per second", template.HTML(lineChart(iv.title, "ms", n, []series{
			{name: "p50", values: pct(func(l metrics.Latency) time.Duration { return l.P50 }), marker: markerCircle},
			{name: "p95", values: pct(func(l metrics.Latency) time.Duration { return l.P95 }), dash: dashLong, marker: markerSquare},
			{name: "p99", values: pct(func(l metrics.Latency) time.Duration { return l.P99 }), dash: dashDot, marker: markerTriangle},
		}, evs))})
	}
	return out
}

// nodeCharts draws calls placed per second by each caller node and calls
// received per second by each callee node, so an uneven spread (a load
// balancer favouring one node) is visible at a glance. One node needs no
// such chart.
func nodeCharts(r *Results, by []*metrics.Second, evs []chartEvent) []chart {
	n := len(by)
	var out []chart
	if len(r.NodeSeries) >= 2 {
		perNode := map[string][]float64{}
		var names []string
		for _, ns := range r.NodeSeries {
			v := make([]float64, n)
			for j := range v {
				if j < len(ns.Placed) {
					v[j] = float64(ns.Placed[j])
				}
			}
			names = append(names, ns.Node)
			perNode[ns.Node] = v
		}
		out = append(out, chart{"Calls placed per second by node", template.HTML(lineChart("calls placed by node", "calls/s", n, nodeLines(names, perNode), evs))})
	}
	if names := slices.Sorted(maps.Keys(r.Summary.CalleeNodes)); len(names) >= 2 {
		perNode := map[string][]float64{}
		for _, name := range names {
			v := make([]float64, n)
			for j, s := range by {
				if s != nil {
					v[j] = float64(s.Callees[name].Received)
				}
			}
			perNode[name] = v
		}
		out = append(out, chart{"Calls received per second by callee node", template.HTML(lineChart("calls received by callee node", "calls/s", n, nodeLines(names, perNode), evs))})
	}
	return out
}

// nodeLines is one line per node, told apart by dash and marker.
func nodeLines(names []string, values map[string][]float64) []series {
	dashes := []string{"", dashLong, dashDot}
	markers := []string{markerCircle, markerSquare, markerTriangle}
	ss := make([]series, len(names))
	for i, name := range names {
		ss[i] = series{name: name, values: downsample(values[name]), dash: dashes[i%len(dashes)], marker: markers[i%len(markers)]}
	}
	return ss
}

// chartEvents are the run's node events and throttling bursts as chart
// markers, labelled "fs2 down".
func chartEvents(r *Results, by []*metrics.Second) []chartEvent {
	var out []chartEvent
	for _, e := range append(append([]NodeEvent(nil), r.Events...), throttleEvents(by)...) {
		label := e.Kind
		if e.Node != "" {
			label = fmt.Sprintf("%s %s", e.Node, e.Kind)
		}
		out = append(out, chartEvent{sec: e.Second, label: label})
	}
	return out
}

// qualityCharts draw the audio quality of each second's calls: MOS (median
// and lowest) and loss (mean and highest, percent), over the calls that
// ended in the second, since a call's figures are known at its hangup. A
// second in which no call with media ended leaves a gap. A run without
// media has neither chart.
func qualityCharts(r *Results, val func(func(*metrics.Second) float64) []float64, n int, evs []chartEvent) []chart {
	if r.Summary.MOS.Count == 0 {
		return nil
	}
	score := func(s metrics.Score, f func(metrics.Score) float64) float64 {
		if s.Count == 0 {
			return math.NaN()
		}
		return f(s)
	}
	mos := func(f func(metrics.Score) float64) []float64 {
		return val(func(s *metrics.Second) float64 { return score(s.MOSScore(), f) })
	}
	loss := func(f func(metrics.Score) float64) []float64 {
		return val(func(s *metrics.Second) float64 {
			return score(s.LossScore(), func(x metrics.Score) float64 { return 100 * f(x) })
		})
	}
	return []chart{
		{"MOS over time (calls ending each second, worse direction)", template.HTML(lineChart("MOS", "MOS", n, []series{
			{name: "median", values: mos(func(s metrics.Score) float64 { return s.P50 }), marker: markerCircle},
			{name: "lowest", values: mos(func(s metrics.Score) float64 { return s.Min }), dash: dashLong, marker: markerTriangle},
		}, evs))},
		{"Packet loss over time (calls ending each second, worse direction)", template.HTML(lineChart("packet loss", "%", n, []series{
			{name: "mean", values: loss(func(s metrics.Score) float64 { return s.Mean }), marker: markerCircle},
			{name: "highest", values: loss(func(s metrics.Score) float64 { return s.Max }), dash: dashLong, marker: markerTriangle},
		}, evs))},
	}
}
