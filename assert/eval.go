package assert

import (
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr"

	"github.com/callplan/callplan/metrics"
	"github.com/callplan/callplan/plan"
)

// Verdict is the outcome of one assertion: what it said, where the plan
// says it, whether it held, and the values it saw. Its JSON form is part of
// the report's versioned schema (docs/reports.md).
type Verdict struct {
	// Index is the assertion's position in the plan's list; Path its field
	// path ("assertions[2]"); Source where it was written.
	Index  int    `json:"index"`
	Path   string `json:"path"`
	Source Source `json:"source"`

	Name   string `json:"name"`
	Expr   string `json:"expr"`
	Stage  string `json:"stage,omitempty"`
	Flow   string `json:"flow,omitempty"`
	Node   string `json:"node,omitempty"`
	Window Sec    `json:"window,omitempty"`
	Abort  bool   `json:"abort,omitempty"`

	Pass bool `json:"pass"`
	// Aborted marks the assertion that stopped the run when it failed live.
	Aborted bool `json:"aborted,omitempty"`
	// Error is set when the expression could not be evaluated (it counts
	// as a failure), e.g. a division by zero in integer arithmetic.
	Error string `json:"error,omitempty"`

	// Observed are the values of the variables the expression reads: over
	// the whole run (or scope), or, for a window, over the first failing
	// window (the last window judged when all passed).
	Observed []Observed `json:"observed"`

	// With a window: how many windows were judged, how many failed, and
	// the seconds [From, To) of the one Observed comes from.
	Windows       int   `json:"windows,omitempty"`
	FailedWindows int   `json:"failed_windows,omitempty"`
	Span          *Span `json:"span,omitempty"`
	// At is when a live (abort) verdict was taken, since the run started.
	At Sec `json:"at,omitempty"`
}

// Source is a position in the plan file.
type Source struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Col  int    `json:"col"`
}

func (s Source) String() string { return plan.Pos{File: s.File, Line: s.Line, Col: s.Col}.String() }

// Span is a window of the time series: seconds [From, To) since the start.
type Span struct {
	From int `json:"from"`
	To   int `json:"to"`
}

// Observed is one variable's value as the expression saw it.
type Observed struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Sec is a duration that reads as seconds in JSON.
type Sec time.Duration

// MarshalText writes the duration as Go's duration string.
func (s Sec) MarshalText() ([]byte, error) { return []byte(time.Duration(s).String()), nil }

// UnmarshalText reads Go's duration string.
func (s *Sec) UnmarshalText(b []byte) error {
	d, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("parsing duration %q: %w", b, err)
	}
	*s = Sec(d)
	return nil
}

func (s Sec) String() string { return time.Duration(s).String() }

// Scope describes the assertion's scope in words: "run", "stage ramp",
// "flow reject", with the window if any.
func (v Verdict) Scope() string {
	s := "run"
	switch {
	case v.Stage != "":
		s = "stage " + v.Stage
	case v.Flow != "":
		s = "flow " + v.Flow
	case v.Node != "":
		s = "node " + v.Node
	}
	if v.Window > 0 {
		s += ", every " + v.Window.String()
	}
	return s
}

// ObservedText is the observed values as "name = value, ...".
func (v Verdict) ObservedText() string {
	parts := make([]string, 0, len(v.Observed)+1)
	for _, o := range v.Observed {
		parts = append(parts, o.Name+" = "+o.Value)
	}
	if v.Span != nil && v.Window > 0 {
		parts = append(parts, fmt.Sprintf("in [%ds, %ds)", v.Span.From, v.Span.To))
	}
	if v.Error != "" {
		parts = append(parts, "error: "+v.Error)
	}
	return strings.Join(parts, ", ")
}

// String is the verdict in one line, e.g.
// "FAIL asr >= 0.99 (run): asr = 0.95".
func (v Verdict) String() string {
	status := "PASS"
	if !v.Pass {
		status = "FAIL"
	}
	if v.Aborted {
		status = "ABORT"
	}
	return fmt.Sprintf("%s %s (%s): %s", status, v.Name, v.Scope(), v.ObservedText())
}

// Passed reports whether every verdict passed.
func Passed(vs []Verdict) bool {
	for _, v := range vs {
		if !v.Pass {
			return false
		}
	}
	return true
}

// Evaluate judges every assertion over a finished run: its summary and its
// per-second series. aborted is the live verdict that stopped the run, or
// nil; that assertion is reported failed and aborted whatever the final
// figures say. Verdicts come in plan order.
func (s *Set) Evaluate(sum *metrics.Summary, secs []metrics.Second, aborted *Verdict) []Verdict {
	if s == nil {
		return nil
	}
	out := make([]Verdict, 0, len(s.items))
	for _, c := range s.items {
		if aborted != nil && aborted.Index == c.index {
			v := *aborted
			v.Pass, v.Aborted = false, true
			out = append(out, v)
			continue
		}
		if c.window > 0 {
			out = append(out, c.evalWindows(secs))
		} else {
			out = append(out, c.evalWhole(sum))
		}
	}
	return out
}

// verdict starts a verdict for c.
func (c *compiled) verdict() Verdict {
	return Verdict{
		Index: c.index, Path: fmt.Sprintf("assertions[%d]", c.index),
		Source: Source{File: c.a.Pos.File, Line: c.a.Pos.Line, Col: c.a.Pos.Col},
		Name:   c.a.Name, Expr: c.a.Expr,
		Stage: c.a.Stage, Flow: c.a.Flow, Node: c.a.Node,
		Window: Sec(c.a.Window.D()), Abort: c.a.Abort,
	}
}

// envFor is the value the expression runs against for the whole run, or
// the scope the assertion names.
func (c *compiled) envFor(sum *metrics.Summary, n names) map[string]any {
	switch {
	case c.a.Stage != "":
		return groupValue(sum.Stages[c.a.Stage])
	case c.a.Node != "":
		return groupValue(sum.Nodes[c.a.Node])
	case c.a.Flow != "":
		return flowValue(sum.Flows[c.a.Flow], c.counters, n.figures[c.a.Flow])
	}
	return runValue(sum, n, c.counters)
}

func (c *compiled) evalWhole(sum *metrics.Summary) Verdict {
	v := c.verdict()
	c.run(&v, c.envFor(sum, c.names()))
	return v
}

// names are kept on the Set; each compiled item reads them through it.
func (c *compiled) names() names { return c.set.names }

// run evaluates the expression and the observed values into v.
func (c *compiled) run(v *Verdict, env map[string]any) {
	fillCallees(env, c.set.names.callees)
	out, err := expr.Run(c.prog, env)
	switch {
	case err != nil:
		v.Pass, v.Error = false, err.Error()
	default:
		b, _ := out.(bool) // AsBool at compile time guarantees a bool
		v.Pass = b
	}
	v.Observed = v.Observed[:0]
	for _, p := range c.paths {
		val, err := expr.Run(p.prog, env)
		text := format(val)
		if err != nil {
			text = "error: " + err.Error()
		}
		v.Observed = append(v.Observed, Observed{Name: p.text, Value: text})
	}
}

// series returns the seconds an assertion's windows slide over: the whole
// series, the seconds of its stage, or every second as seen by its flow or
// caller node (seconds in which the flow or node had nothing are kept,
// empty, so a window is always that many seconds of wall-clock time).
func (c *compiled) series(secs []metrics.Second) []metrics.Second {
	switch {
	case c.a.Stage != "":
		out := make([]metrics.Second, 0, len(secs))
		for _, s := range secs {
			if s.Stage == c.a.Stage {
				out = append(out, s)
			}
		}
		return out
	case c.a.Flow != "":
		out := make([]metrics.Second, len(secs))
		for i := range secs {
			out[i] = secs[i].Flow(c.a.Flow)
		}
		return out
	case c.a.Node != "":
		out := make([]metrics.Second, len(secs))
		for i := range secs {
			out[i] = secs[i].Node(c.a.Node)
		}
		return out
	}
	return secs
}

// evalWindows judges every sliding window of c.window seconds: windows
// [i, i+w) for each start i, one second apart, each on the calls that
// ended in it (metrics.FinishedWindow: with holds longer than the window,
// the calls originated in a window have not ended in it, and ok over
// originates would read as failure). A window in which no call ended is
// not judged (it has nothing to say about asr or latency; drops and
// throttles in it are judged by the windows that overlap its calls). A
// series shorter than the window is judged as one window. When no window
// had a call, the whole series is judged once, so a run that placed no
// calls still fails asr >= 0.99. In a run of more than a few minutes the
// collector keeps older seconds as buckets (metrics/tiers.go); a window
// there is judged on the fewest buckets that cover it, so on up to a
// bucket's width more than asked.
func (c *compiled) evalWindows(secs []metrics.Second) Verdict {
	v := c.verdict()
	series := c.series(secs)
	total := 0
	for i := range series {
		total += series[i].Width()
	}
	// win is series[i:j], the fewest entries from i that cover w seconds:
	// w entries while they are single seconds; in a long run's older
	// buckets (metrics/tiers.go), the buckets that cover the window.
	w := min(c.window, total)
	var last *Verdict
	j, covered := 0, 0
	for i := 0; i < len(series) && w > 0; i++ {
		for j < len(series) && covered < w {
			covered += series[j].Width()
			j++
		}
		if covered < w {
			break
		}
		win := series[i:j]
		covered -= series[i].Width()
		g := metrics.FinishedWindow(win)
		if g.Calls == 0 {
			continue
		}
		wv := c.verdict()
		c.run(&wv, groupValue(g))
		wv.Span = spanOf(win)
		v.Windows++
		if !wv.Pass {
			v.FailedWindows++
			if v.FailedWindows == 1 {
				v.Pass, v.Error, v.Observed, v.Span = false, wv.Error, wv.Observed, wv.Span
			}
		}
		last = &wv
	}
	switch {
	case v.Windows == 0:
		wv := c.verdict()
		c.run(&wv, groupValue(metrics.FinishedWindow(series)))
		v.Pass, v.Error, v.Observed = wv.Pass, wv.Error, wv.Observed
		if len(series) > 0 {
			v.Span = spanOf(series)
		}
	case v.FailedWindows == 0:
		v.Pass, v.Observed, v.Span = true, last.Observed, last.Span
	}
	return v
}

// spanOf is the seconds secs (contiguous, oldest first) cover.
func spanOf(secs []metrics.Second) *Span {
	end := &secs[len(secs)-1]
	return &Span{From: secs[0].Index, To: end.Index + end.Width()}
}

// format writes an observed value the way docs/assertions.md describes:
// durations as Go durations, ratios and gauges with four significant
// digits, maps sorted by key.
func format(val any) string {
	switch x := val.(type) {
	case nil:
		return "nil"
	case time.Duration:
		return x.String()
	case float64:
		return formatFloat(x)
	case float32:
		return formatFloat(float64(x))
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case bool:
		return strconv.FormatBool(x)
	case string:
		return strconv.Quote(x)
	case map[string]int64:
		ks := slices.Sorted(maps.Keys(x))
		parts := make([]string, len(ks))
		for i, k := range ks {
			parts[i] = fmt.Sprintf("%s: %d", k, x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case map[string]any:
		ks := slices.Sorted(maps.Keys(x))
		parts := make([]string, len(ks))
		for i, k := range ks {
			parts[i] = k + ": " + format(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	rv := reflect.ValueOf(val)
	if rv.Kind() == reflect.Slice {
		parts := make([]string, rv.Len())
		for i := range parts {
			parts[i] = format(rv.Index(i).Interface())
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(val)
}

func formatFloat(f float64) string {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return strconv.FormatFloat(f, 'g', -1, 64)
	case math.Abs(f) >= 1000:
		return strconv.FormatFloat(f, 'f', 1, 64)
	}
	return strconv.FormatFloat(f, 'g', 4, 64)
}
