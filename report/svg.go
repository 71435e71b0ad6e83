package report

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
)

// Charts are drawn as inline SVG by this file, so the HTML report needs no
// script and no network to show them, and its bytes are stable for golden
// tests. x is always the second of the run.

const (
	chartW, chartH         = 720, 238
	padL, padR, padT, padB = 56, 16, 30, 44
	plotW, plotH           = chartW - padL - padR, chartH - padT - padB
	legendY                = chartH - 8
	maxYTicks              = 5
	maxXTicks              = 8
)

// palette is colour-blind-safe (Okabe–Ito).
var palette = []string{"#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"}

// series is one line: a value per second; NaN leaves a gap. Lines that
// share a chart differ in colour, dash and marker, so they stay apart
// where they overlap and in a grey-scale print.
type series struct {
	name   string
	values []float64
	dash   string // stroke-dasharray, "" for solid
	marker string // markerCircle, markerSquare, markerTriangle or ""
	colour string // "" takes the palette's colour for the series' place
}

// Markers drawn on a line every few points and in its legend entry.
const (
	markerCircle   = "circle"
	markerSquare   = "square"
	markerTriangle = "triangle"
)

// Dash patterns.
const (
	dashLong = "8 4"
	dashDot  = "2 3"
)

// chartEvent is something that happened to a node at a second of the run,
// drawn as a vertical rule with a label (node lost, reconnected,
// saturated, throttled).
type chartEvent struct {
	sec   int
	label string
}

// niceStep is the smallest of 1, 2 and 5 times a power of ten that is at
// least v: tick steps of that size put ticks at round values.
func niceStep(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p*(1+1e-9) {
			return m * p
		}
	}
	return 10 * p
}

// yAxis picks a round step and the top of the axis (a whole number of
// steps, at most maxYTicks) for values up to vmax: 0, 2, 4, 6 rather
// than 0, 1.5, 3, 4.5. Counts (whole) get a step of at least 1: there is
// no 0.2 of a call.
func yAxis(vmax float64, whole bool) (step, top float64) {
	if vmax <= 0 || math.IsNaN(vmax) {
		vmax = 1
	}
	step = niceStep(vmax / maxYTicks)
	if whole {
		step = max(step, 1)
	}
	return step, math.Ceil(vmax/step-1e-9) * step
}

// xSteps are the tick steps, in seconds, the time axis may use: round to
// a reader (10 s, 30 s, 1 min, 5 min, 1 h ...).
var xSteps = []int{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400}

// xStep is the smallest round step that puts at most maxXTicks ticks on n
// seconds.
func xStep(n int) int {
	for _, s := range xSteps {
		if n/s <= maxXTicks {
			return s
		}
	}
	return xSteps[len(xSteps)-1] * (n/(xSteps[len(xSteps)-1]*maxXTicks) + 1)
}

// fmtSeconds writes a tick on the time axis: 45s, 2m, 1m30s, 1h.
func fmtSeconds(sec int) string {
	switch {
	case sec >= 3600 && sec%3600 == 0:
		return strconv.Itoa(sec/3600) + "h"
	case sec >= 60 && sec%60 == 0:
		return strconv.Itoa(sec/60) + "m"
	case sec >= 60:
		return strconv.Itoa(sec/60) + "m" + strconv.Itoa(sec%60) + "s"
	}
	return strconv.Itoa(sec) + "s"
}

func fmtTick(v float64) string {
	if v == math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// frame draws the axes, grid and labels for n seconds and y in [0, top],
// with a grid line every step.
func frame(b *strings.Builder, title, unit string, n int, step, top float64) {
	fmt.Fprintf(b, `<svg class="chart" role="img" viewBox="0 0 %d %d" xmlns="http://www.w3.org/2000/svg"><title>%s</title>`, chartW, chartH, html.EscapeString(title))
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="#fff" stroke="#999"/>`, padL, padT, plotW, plotH)
	for i := 0; float64(i)*step <= top*(1+1e-9); i++ {
		v := float64(i) * step
		y := float64(padT+plotH) - float64(plotH)*v/top
		fmt.Fprintf(b, `<line x1="%d" y1="%s" x2="%d" y2="%s" stroke="#ddd"/>`, padL, f1(y), padL+plotW, f1(y))
		fmt.Fprintf(b, `<text x="%d" y="%s" text-anchor="end" font-size="11">%s</text>`, padL-4, f1(y+4), fmtTick(roundTo(v, step)))
	}
	if n > 0 {
		xs := xStep(n)
		for sec := 0; sec <= n; sec += xs {
			x := float64(padL) + float64(plotW)*float64(sec)/float64(n)
			fmt.Fprintf(b, `<line x1="%s" y1="%d" x2="%s" y2="%d" stroke="#999"/>`, f1(x), padT+plotH, f1(x), padT+plotH+4)
			fmt.Fprintf(b, `<text x="%s" y="%d" text-anchor="middle" font-size="11">%s</text>`, f1(x), padT+plotH+16, fmtSeconds(sec))
		}
	}
	fmt.Fprintf(b, `<text x="12" y="%d" font-size="11" transform="rotate(-90 12 %d)" text-anchor="middle">%s</text>`, padT+plotH/2, padT+plotH/2, html.EscapeString(unit))
}

// roundTo removes the float noise of i*step (0.30000000000000004).
func roundTo(v, step float64) float64 {
	digits := max(0, -int(math.Floor(math.Log10(step)))+1)
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

// drawEvents draws each node event as a labelled vertical rule over the
// plot. Labels go in the first of two rows above the plot where they do
// not overlap an earlier one; a label that fits in neither is left to the
// rule's tooltip.
func drawEvents(b *strings.Builder, n int, evs []chartEvent) {
	const charW = 5.5 // font-size 10, roughly
	rowEnd := []float64{-1, -1}
	for _, e := range evs {
		if e.sec < 0 || e.sec > n || n == 0 {
			continue
		}
		x := float64(padL) + float64(plotW)*(float64(e.sec)+0.5)/float64(n)
		fmt.Fprintf(b, `<g class="event"><title>%s: %s</title><line x1="%s" y1="%d" x2="%s" y2="%d" stroke="#cf222e" stroke-width="1.5" stroke-dasharray="3 2"/>`,
			fmtSeconds(e.sec), html.EscapeString(e.label), f1(x), padT, f1(x), padT+plotH)
		half := charW * float64(len(e.label)) / 2
		for row := range rowEnd {
			if x-half > rowEnd[row] {
				rowEnd[row] = x + half + 4
				fmt.Fprintf(b, `<text x="%s" y="%d" font-size="10" fill="#cf222e" text-anchor="middle">%s</text>`, f1(x), padT-4-11*(len(rowEnd)-1-row), html.EscapeString(e.label))
				break
			}
		}
		b.WriteString("</g>")
	}
}

// marker draws a marker shape centred at x, y.
func marker(b *strings.Builder, shape, colour string, x, y float64) {
	switch shape {
	case markerCircle:
		fmt.Fprintf(b, `<circle cx="%s" cy="%s" r="3.5" fill="%s"/>`, f1(x), f1(y), colour)
	case markerSquare:
		fmt.Fprintf(b, `<rect x="%s" y="%s" width="7" height="7" fill="%s"/>`, f1(x-3.5), f1(y-3.5), colour)
	case markerTriangle:
		fmt.Fprintf(b, `<path d="M%s %sl4 7h-8z" fill="%s"/>`, f1(x), f1(y-4), colour)
	}
}

// legendEntry is one name in a chart's legend, drawn as its line or bar.
type legendEntry struct {
	name, colour, dash, marker string
	bar                        bool
}

func legend(b *strings.Builder, entries []legendEntry) {
	x := float64(padL)
	for _, e := range entries {
		if e.bar {
			fmt.Fprintf(b, `<rect x="%s" y="%d" width="14" height="10" fill="%s"/>`, f1(x+2), legendY-9, e.colour)
		} else {
			dash := ""
			if e.dash != "" {
				dash = ` stroke-dasharray="` + e.dash + `"`
			}
			fmt.Fprintf(b, `<line x1="%s" y1="%d" x2="%s" y2="%d" stroke="%s" stroke-width="2.5"%s/>`, f1(x), legendY-4, f1(x+22), legendY-4, e.colour, dash)
			marker(b, e.marker, e.colour, x+11, float64(legendY-4))
		}
		fmt.Fprintf(b, `<text x="%s" y="%d" font-size="11">%s</text>`, f1(x+26), legendY, html.EscapeString(e.name))
		x += 44 + 6.5*float64(len(e.name))
	}
}

// maxPoints bounds the points of one chart series: longer runs are shown
// as means over buckets of whole seconds (see downsample).
const maxPoints = 1800

// downsample averages values over buckets of k seconds so at most
// maxPoints remain; NaN values (no data) are skipped, and a bucket with no
// data stays NaN. It returns the values unchanged when they fit.
func downsample(values []float64) []float64 {
	if len(values) <= maxPoints {
		return values
	}
	k := (len(values) + maxPoints - 1) / maxPoints
	out := make([]float64, 0, (len(values)+k-1)/k)
	for i := 0; i < len(values); i += k {
		var sum float64
		n := 0
		for _, v := range values[i:min(i+k, len(values))] {
			if !math.IsNaN(v) {
				sum += v
				n++
			}
		}
		if n == 0 {
			out = append(out, math.NaN())
		} else {
			out = append(out, sum/float64(n))
		}
	}
	return out
}

// lineChart draws series over n seconds, and the node events.
func lineChart(title, unit string, n int, ss []series, evs []chartEvent) string {
	var b strings.Builder
	vmax := 0.0
	points := 0
	whole := true
	for _, s := range ss {
		points = max(points, len(s.values))
		for _, v := range s.values {
			if !math.IsNaN(v) {
				vmax = max(vmax, v)
				whole = whole && v == math.Trunc(v)
			}
		}
	}
	step, top := yAxis(vmax, whole)
	frame(&b, title, unit, n, step, top)
	drawEvents(&b, n, evs)
	xOf := func(i int) float64 { return float64(padL) + float64(plotW)*(float64(i)+0.5)/float64(max(points, 1)) }
	yOf := func(v float64) float64 { return float64(padT+plotH) - float64(plotH)*v/top }
	// About a dozen markers per line: enough to tell lines apart, few
	// enough not to hide them.
	every := max(1, points/12)
	entries := make([]legendEntry, len(ss))
	for si, s := range ss {
		c := s.colour
		if c == "" {
			c = palette[si%len(palette)]
		}
		entries[si] = legendEntry{name: s.name, colour: c, dash: s.dash, marker: s.marker}
		dash := ""
		if s.dash != "" {
			dash = ` stroke-dasharray="` + s.dash + `"`
		}
		// One polyline per run of values without gaps.
		var pts []string
		flush := func() {
			if len(pts) == 1 {
				fmt.Fprintf(&b, `<circle cx="%s" r="2" fill="%s"/>`, strings.Replace(pts[0], ",", `" cy="`, 1), c)
			} else if len(pts) > 1 {
				fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2"%s points="%s"><title>%s</title></polyline>`, c, dash, strings.Join(pts, " "), html.EscapeString(s.name))
			}
			pts = pts[:0]
		}
		for i, v := range s.values {
			if math.IsNaN(v) {
				flush()
				continue
			}
			pts = append(pts, f1(xOf(i))+","+f1(yOf(v)))
		}
		flush()
		if s.marker != "" {
			// Markers of different lines sit at different offsets so
			// equal values do not hide each other's.
			for i := (si * every / max(len(ss), 1)) % every; i < len(s.values); i += every {
				if v := s.values[i]; !math.IsNaN(v) {
					marker(&b, s.marker, c, xOf(i), yOf(v))
				}
			}
		}
	}
	legend(&b, entries)
	b.WriteString("</svg>")
	return b.String()
}

// stackedBars draws, per second, bars stacked by category, and the node
// events. colours, when given, colour the categories in order.
func stackedBars(title, unit string, n int, cats []string, colours []string, values [][]float64, evs []chartEvent) string {
	var b strings.Builder
	vmax := 0.0
	points := 0
	if len(values) > 0 {
		points = len(values[0])
	}
	for i := 0; i < points; i++ {
		var sum float64
		for c := range cats {
			sum += values[c][i]
		}
		vmax = max(vmax, sum)
	}
	step, top := yAxis(vmax, true)
	frame(&b, title, unit, n, step, top)
	colourOf := func(c int) string {
		if c < len(colours) && colours[c] != "" {
			return colours[c]
		}
		return palette[c%len(palette)]
	}
	bw := float64(plotW) / float64(max(points, 1))
	secsPer := max(n/max(points, 1), 1)
	for i := 0; i < points; i++ {
		base := 0.0
		for c, name := range cats {
			v := values[c][i]
			if v <= 0 {
				continue
			}
			h := float64(plotH) * v / top
			y := float64(padT+plotH) - float64(plotH)*base/top - h
			fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s %s: %s</title></rect>`,
				f1(float64(padL)+bw*float64(i)), f1(y), f1(max(bw-0.5, 0.5)), f1(h), colourOf(c), fmtSeconds(i*secsPer), html.EscapeString(name), fmtTick(v))
			base += v
		}
	}
	drawEvents(&b, n, evs)
	entries := make([]legendEntry, len(cats))
	for c, name := range cats {
		entries[c] = legendEntry{name: name, colour: colourOf(c), bar: true}
	}
	legend(&b, entries)
	b.WriteString("</svg>")
	return b.String()
}
