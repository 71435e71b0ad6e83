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
	chartW, chartH         = 720, 220
	padL, padR, padT, padB = 56, 16, 12, 40
	plotW, plotH           = chartW - padL - padR, chartH - padT - padB
	legendY                = chartH - 8
	gridLines              = 4
)

// palette is colour-blind-safe (Okabe–Ito).
var palette = []string{"#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"}

// series is one line: a value per second; NaN leaves a gap.
type series struct {
	name   string
	values []float64
	dashed bool
}

// niceMax rounds a maximum up to 1, 2 or 5 times a power of ten, so grid
// labels are round.
func niceMax(v float64) float64 {
	if v <= 0 || math.IsNaN(v) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func fmtTick(v float64) string {
	if v == math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// frame draws the axes, grid and labels for n seconds and y in [0, ymax].
func frame(b *strings.Builder, title, unit string, n int, ymax float64) {
	fmt.Fprintf(b, `<svg class="chart" role="img" viewBox="0 0 %d %d" xmlns="http://www.w3.org/2000/svg"><title>%s</title>`, chartW, chartH, html.EscapeString(title))
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="#fff" stroke="#999"/>`, padL, padT, plotW, plotH)
	for i := 0; i <= gridLines; i++ {
		v := ymax * float64(i) / gridLines
		y := float64(padT+plotH) - float64(plotH)*float64(i)/gridLines
		fmt.Fprintf(b, `<line x1="%d" y1="%s" x2="%d" y2="%s" stroke="#ddd"/>`, padL, f1(y), padL+plotW, f1(y))
		fmt.Fprintf(b, `<text x="%d" y="%s" text-anchor="end" font-size="11">%s</text>`, padL-4, f1(y+4), fmtTick(v))
	}
	ticks := min(n, 6)
	for i := 0; i <= ticks && n > 0; i++ {
		sec := int(math.Round(float64(n) * float64(i) / float64(max(ticks, 1))))
		x := float64(padL) + float64(plotW)*float64(sec)/float64(n)
		fmt.Fprintf(b, `<text x="%s" y="%d" text-anchor="middle" font-size="11">%ds</text>`, f1(x), padT+plotH+14, sec)
	}
	fmt.Fprintf(b, `<text x="12" y="%d" font-size="11" transform="rotate(-90 12 %d)" text-anchor="middle">%s</text>`, padT+plotH/2, padT+plotH/2, html.EscapeString(unit))
}

func legend(b *strings.Builder, names []string, dashed []bool) {
	x := padL
	for i, name := range names {
		c := palette[i%len(palette)]
		dash := ""
		if dashed != nil && dashed[i] {
			dash = ` stroke-dasharray="6 3"`
		}
		fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="3"%s/>`, x, legendY-4, x+18, legendY-4, c, dash)
		fmt.Fprintf(b, `<text x="%d" y="%d" font-size="11">%s</text>`, x+22, legendY, html.EscapeString(name))
		x += 30 + 7*len(name)
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

// lineChart draws series over n seconds.
func lineChart(title, unit string, n int, ss []series) string {
	var b strings.Builder
	ymax := 0.0
	for _, s := range ss {
		for _, v := range s.values {
			if !math.IsNaN(v) {
				ymax = max(ymax, v)
			}
		}
	}
	ymax = niceMax(ymax)
	frame(&b, title, unit, n, ymax)
	points := 0
	for _, s := range ss {
		points = max(points, len(s.values))
	}
	xOf := func(i int) float64 { return float64(padL) + float64(plotW)*(float64(i)+0.5)/float64(max(points, 1)) }
	yOf := func(v float64) float64 { return float64(padT+plotH) - float64(plotH)*v/ymax }
	names := make([]string, len(ss))
	dashed := make([]bool, len(ss))
	for si, s := range ss {
		names[si], dashed[si] = s.name, s.dashed
		c := palette[si%len(palette)]
		dash := ""
		if s.dashed {
			dash = ` stroke-dasharray="6 3"`
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
	}
	legend(&b, names, dashed)
	b.WriteString("</svg>")
	return b.String()
}

// stackedBars draws, per second, bars stacked by category.
func stackedBars(title, unit string, n int, cats []string, values [][]float64) string {
	var b strings.Builder
	ymax := 0.0
	points := 0
	if len(values) > 0 {
		points = len(values[0])
	}
	for i := 0; i < points; i++ {
		var sum float64
		for c := range cats {
			sum += values[c][i]
		}
		ymax = max(ymax, sum)
	}
	ymax = niceMax(ymax)
	frame(&b, title, unit, n, ymax)
	bw := float64(plotW) / float64(max(points, 1))
	secsPer := max(n/max(points, 1), 1)
	for i := 0; i < points; i++ {
		base := 0.0
		for c, name := range cats {
			v := values[c][i]
			if v <= 0 {
				continue
			}
			h := float64(plotH) * v / ymax
			y := float64(padT+plotH) - float64(plotH)*base/ymax - h
			fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%ds %s: %s</title></rect>`,
				f1(float64(padL)+bw*float64(i)), f1(y), f1(max(bw-0.5, 0.5)), f1(h), palette[c%len(palette)], i*secsPer, html.EscapeString(name), fmtTick(v))
			base += v
		}
	}
	legend(&b, cats, nil)
	b.WriteString("</svg>")
	return b.String()
}
