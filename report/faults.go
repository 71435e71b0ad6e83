package report

import (
	"fmt"
	"html"
	"html/template"
	"strings"
	"time"

	"github.com/callplan/callplan/metrics"
)

// Faults a plan injected are marked where they happened: a row each in the
// table report, and a dashed vertical line with its name on every chart of
// the HTML report, so a dip in answered calls sits next to its cause.

func faultText(f metrics.FaultMark) string {
	return strings.TrimSpace(f.Node + " " + f.Action + " " + f.Detail)
}

// faults writes the table of injected faults.
func (t *tableWriter) faults(r *Results) {
	var rows [][]string
	for _, f := range r.Summary.Faults {
		status := "applied"
		if f.Error != "" {
			status = "FAILED: " + f.Error
		}
		rows = append(rows, []string{f.At.Round(time.Millisecond).String(), f.Node, f.Action, f.Detail, status})
	}
	t.table("Faults injected", []string{"at", "node", "action", "detail", "status"}, rows, 1, 2, 3, 4)
}

// markCharts draws the run's faults on each chart (n seconds wide).
func markCharts(cs []chart, n int, faults []metrics.FaultMark) []chart {
	if len(faults) == 0 || n == 0 {
		return cs
	}
	var b strings.Builder
	for i, f := range faults {
		x := float64(padL) + float64(plotW)*min(f.At.Seconds()/float64(n), 1)
		text := html.EscapeString(faultText(f))
		fmt.Fprintf(&b, `<g class="fault"><title>%s at %s</title><line x1="%s" y1="%d" x2="%s" y2="%d" stroke="#D55E00" stroke-width="1.5" stroke-dasharray="4 3"/>`,
			text, f.At.Round(time.Millisecond), f1(x), padT, f1(x), padT+plotH)
		// Labels step down so faults close together stay readable.
		fmt.Fprintf(&b, `<text x="%s" y="%d" font-size="10" fill="#D55E00">%s</text></g>`, f1(x+3), padT+11+11*(i%4), text)
	}
	marks := b.String()
	out := make([]chart, len(cs))
	for i, c := range cs {
		svg := string(c.SVG)
		if j := strings.LastIndex(svg, "</svg>"); j >= 0 {
			svg = svg[:j] + marks + svg[j:]
		}
		// The marks are built from escaped text only.
		out[i] = chart{Title: c.Title, SVG: template.HTML(svg)}
	}
	return out
}
