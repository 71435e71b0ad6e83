package report

import (
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/callplan/callplan/metrics"
)

// Table writes the human report: headline, summary, per stage/flow/node,
// latency percentiles, failure causes, generator health, verdicts and the
// baseline comparison, each a tablewriter table at most 100 columns wide
// (report.txt, and a terminal of unknown width).
func Table(r *Results) Reporter { return TableWidth(r, maxColumns) }

// TableWidth is Table fitted to a terminal of width columns: text cells
// (notes, assertions) are wrapped so each table fits when it can. The
// numeric tables are laid out to fit 100 columns, so below that only
// their text columns give way.
func TableWidth(r *Results, width int) Reporter {
	if width <= 0 {
		width = maxColumns
	}
	return func(w io.Writer) error {
		tw := &tableWriter{w: w, width: width}
		tw.headline(r)
		tw.summary(r)
		tw.groups(r)
		tw.pacing(r)
		tw.calleeNodes(r)
		tw.faults(r)
		tw.latency(r)
		tw.quality(r)
		tw.flowFigures(r)
		tw.causes(r)
		tw.generators(r)
		tw.clocks(r)
		tw.verdicts(r)
		tw.baseline(r)
		tw.files(r)
		return tw.err
	}
}

type tableWriter struct {
	w     io.Writer
	width int // columns the tables fit in
	err   error
}

func (t *tableWriter) printf(format string, args ...any) {
	if t.err == nil {
		_, t.err = fmt.Fprintf(t.w, format, args...)
	}
}

// table renders one table: a title line, then the rows. Columns after the
// first are right-aligned (numbers) unless left says otherwise.
func (t *tableWriter) table(title string, header []string, rows [][]string, left ...int) {
	if t.err != nil || len(rows) == 0 {
		return
	}
	t.printf("\n%s\n", title)
	align := make([]tw.Align, len(header))
	for i := range align {
		align[i] = tw.AlignRight
	}
	align[0] = tw.AlignLeft
	for _, i := range left {
		align[i] = tw.AlignLeft
	}
	// Cells stay on one line when the table fits the width; when it
	// would not, the widest columns are word-wrapped just enough.
	width := t.width
	if width <= 0 {
		width = maxColumns
	}
	rows = fitRows(header, rows, width)
	var b strings.Builder
	tbl := tablewriter.NewTable(&b,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: align}),
		tablewriter.WithHeaderAlignmentConfig(tw.CellAlignment{PerColumn: align}),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
	)
	tbl.Header(toAny(header)...)
	for _, row := range rows {
		if err := tbl.Append(toAny(row)...); err != nil {
			t.err = fmt.Errorf("table %s: %w", title, err)
			return
		}
	}
	if err := tbl.Render(); err != nil {
		t.err = fmt.Errorf("table %s: %w", title, err)
		return
	}
	t.printf("%s", b.String())
}

// fitRows word-wraps cells so the rendered table (cells padded by one
// space, separated by one rule) is at most limit columns wide: it narrows
// the widest column, then the next, until the table fits or no column can
// shrink (a single word is never broken).
func fitRows(header []string, rows [][]string, limit int) [][]string {
	rows = cloneRows(rows)
	for range 64 { // bounded: each pass narrows a column or stops
		widths := columnWidths(header, rows)
		total := 1
		for _, w := range widths {
			total += w + 3
		}
		if total <= limit {
			return rows
		}
		// The widest column gives up the excess, down to its longest word.
		col, best := -1, 0
		for c, w := range widths {
			if w > best && w > longestWord(rows, c) && w > len(header[c]) {
				col, best = c, w
			}
		}
		if col < 0 {
			return rows
		}
		target := max(best-(total-limit), longestWord(rows, col), utf8.RuneCountInString(header[col]), 8)
		if target >= best {
			target = best - 1
		}
		for _, row := range rows {
			row[col] = wrapText(row[col], target)
		}
	}
	return rows
}

func cloneRows(rows [][]string) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = append([]string(nil), r...)
	}
	return out
}

func columnWidths(header []string, rows [][]string) []int {
	ws := make([]int, len(header))
	for c, h := range header {
		ws[c] = utf8.RuneCountInString(h)
	}
	for _, row := range rows {
		for c, cell := range row {
			ws[c] = max(ws[c], widest(cell))
		}
	}
	return ws
}

func longestWord(rows [][]string, col int) int {
	n := 0
	for _, row := range rows {
		for _, w := range strings.Fields(row[col]) {
			n = max(n, utf8.RuneCountInString(w))
		}
	}
	return n
}

// wrapText breaks each line of s at spaces so lines are at most width
// runes, except single words longer than that.
func wrapText(s string, width int) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		var cur string
		for _, w := range strings.Fields(line) {
			switch {
			case cur == "":
				cur = w
			case utf8.RuneCountInString(cur)+1+utf8.RuneCountInString(w) <= width:
				cur += " " + w
			default:
				out = append(out, cur)
				cur = w
			}
		}
		out = append(out, cur)
	}
	return strings.Join(out, "\n")
}

// maxColumns is the width the table report fits in.
const maxColumns = 100

func widest(s string) int {
	w := 0
	for _, line := range strings.Split(s, "\n") {
		w = max(w, utf8.RuneCountInString(line))
	}
	return w
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func (t *tableWriter) headline(r *Results) {
	s := &r.Summary
	t.printf("callplan run %s of %s: %s", s.Run, r.Plan.Name, strings.ToUpper(string(r.Status)))
	if r.Aborted != "" {
		t.printf(" (aborted by %s)", r.Aborted)
	}
	failed := 0
	for _, v := range r.Verdicts {
		if !v.Pass {
			failed++
		}
	}
	t.printf("\n%s elapsed, %d assertion(s), %d failed\n", s.Elapsed.Round(1e6), len(r.Verdicts), failed)
	if r.Failure != nil {
		t.printf("run failed: %s\n", r.Failure.text())
	}
}

func (t *tableWriter) summary(r *Results) {
	g := r.Summary.Group
	rows := [][]string{
		{"calls", count(g.Calls)},
		{"answered", count(g.Answered)},
		{"ok", count(g.OK)},
		{"failed", count(g.Failed)},
		{"unknown", count(g.Unknown)},
		{"dropped", count(g.Dropped)},
		{"throttled", count(g.Throttled)},
		{"ASR", pct(g.ASR)},
		{"success", pct(g.Success)},
		{"cps target (mean / peak)", num(r.Plan.targetMean()) + " / " + num(r.Plan.targetPeak())},
		{"cps achieved (mean / peak)", num(g.CPS.Mean) + " / " + num(g.CPS.Max)},
		{"erlangs (mean / peak)", num(g.Erlangs.Mean) + " / " + num(g.Erlangs.Max)},
	}
	t.table("Summary", []string{"metric", "value"}, rows)
}

// groups writes the per stage, flow and node figures as two tables, calls
// and then load and latency, so each fits in 100 columns with every column
// a reader needs (unknown included: calls cut short by a lost node).
func (t *tableWriter) groups(r *Results) {
	var calls, load [][]string
	for _, gr := range groups(&r.Summary) {
		g, name := gr.g, gr.kind+":"+gr.name
		calls = append(calls, []string{name, count(g.Calls), count(g.Answered), count(g.OK), count(g.Failed),
			count(g.Unknown), count(g.Dropped), pct(g.ASR), pct(g.Success)})
		load = append(load, []string{name, num(g.CPS.Mean) + " / " + num(g.CPS.Max), num(g.Erlangs.Mean) + " / " + num(g.Erlangs.Max),
			ms(g.PDD.P95, g.PDD.Count), ms(g.SetupLatency.P95, g.SetupLatency.Count), ms(g.AnswerLatency.P95, g.AnswerLatency.Count)})
	}
	t.table("Calls by stage, flow and caller node", []string{"group", "calls", "answered", "ok", "failed", "unknown", "dropped", "ASR", "success"}, calls)
	t.table("Load and p95 latency (ms) by stage, flow and caller node", []string{"group", "cps mean / peak", "erlangs mean / peak", "pdd", "setup", "answer"}, load)
}

func (t *tableWriter) latency(r *Results) {
	g := r.Summary.Group
	var rows [][]string
	for _, l := range []struct {
		name string
		v    metrics.Latency
	}{{"pdd", g.PDD}, {"setup_latency", g.SetupLatency}, {"answer_latency", g.AnswerLatency}, {"duration", g.Duration}} {
		v := l.v
		rows = append(rows, []string{l.name, count(v.Count), ms(v.Min, v.Count), ms(v.Mean, v.Count), ms(v.P50, v.Count),
			ms(v.P90, v.Count), ms(v.P95, v.Count), ms(v.P99, v.Count), ms(v.Max, v.Count)})
	}
	t.table("Latency (ms)", []string{"interval", "count", "min", "mean", "p50", "p90", "p95", "p99", "max"}, rows)
}

func (t *tableWriter) causes(r *Results) {
	t.table("Causes", []string{"kind", "value", "calls"}, causeRows(r.Summary.Group), 1)
}

func (t *tableWriter) generators(r *Results) {
	var rows [][]string
	for _, n := range slices.Sorted(maps.Keys(r.Summary.Generators)) {
		g := r.Summary.Generators[n]
		health, notes := nodeNotes(r, n, g)
		rows = append(rows, []string{n, health, fmt.Sprint(g.Saturated), fmt.Sprint(g.AtMaxSessions), idleCPU(g.MinIdleCPU),
			count(g.Disconnects), count(g.DroppedEvents), notes})
	}
	t.table("Generators", []string{"node", "health", "saturated", "at max", "idle cpu", "disconn", "lost ev", "notes"}, rows, 1, 7)
}

func (t *tableWriter) verdicts(r *Results) {
	var rows [][]string
	for _, v := range r.Verdicts {
		mark := "✓"
		if !v.Pass {
			mark = "✗"
		}
		if v.Aborted {
			mark = "✗ abort"
		}
		name := v.Name
		if name != v.Expr {
			name += "\n" + v.Expr
		}
		// The file's base name keeps the table within 100 columns; JSON,
		// JUnit and HTML carry the full path.
		src := v.Source
		src.File = filepath.Base(src.File)
		rows = append(rows, []string{mark, name, v.Scope(), v.ObservedText(), src.String()})
	}
	t.table("Assertions", []string{"", "assertion", "scope", "observed", "plan"}, rows, 1, 2, 3, 4)
}

func (t *tableWriter) baseline(r *Results) {
	c := r.Baseline
	if c == nil {
		return
	}
	var rows [][]string
	for _, d := range c.Deltas {
		mark := "✓"
		if d.Regressed {
			mark = "✗"
		}
		rows = append(rows, []string{mark, d.Metric, d.OldText, d.NewText, d.ChangeText})
	}
	title := fmt.Sprintf("Against baseline %s (tolerance %s)", c.Run, pct(c.Tolerance))
	for _, w := range c.Warnings {
		title += "\nwarning: " + w
	}
	t.table(title, []string{"", "metric", "baseline", "this run", "change"}, rows, 1)
}

func (t *tableWriter) files(r *Results) {
	var parts []string
	for _, f := range []string{r.Files.CDRCSV, r.Files.CDRJSONL, r.Files.TimeSeriesCSV} {
		if f != "" {
			parts = append(parts, f)
		}
	}
	if len(parts) > 0 {
		t.printf("\nCall records and time series: %s\n", strings.Join(parts, ", "))
	}
}

// Verdicts writes only the headline and the assertions table: what
// `callplan run` prints after its own summary lines.
func Verdicts(r *Results) Reporter {
	return func(w io.Writer) error {
		tw := &tableWriter{w: w}
		tw.headline(r)
		tw.verdicts(r)
		tw.files(r)
		return tw.err
	}
}
