package assert

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/types"

	"github.com/callplan/callplan/metrics"
	"github.com/callplan/callplan/plan"
)

// A flow's figures are distributions of its own per-call measurements
// (bert's sync_time, dtmf's digit_latency): flows.bert.sync_time.p95 at
// run scope, sync_time.p95 under flow: bert. Unlike counters, which are
// all int64 and so fit types.Extra, a figure is a duration or a number
// distribution, so the environment needs each flow's declared figures to
// type it: they come from Known (the flows' Specs), and without them a
// figure is not a variable.

// Var is one of a flow's own variables: a counter (an int64) or a figure
// (a distribution of durations when Duration, else of numbers).
type Var struct {
	Name     string
	Doc      string
	Duration bool
}

var (
	timeScoreType = reflect.TypeOf(metrics.TimeScore{})
	scoreType     = reflect.TypeOf(metrics.Score{})
)

// figureType is the expr type of one figure.
func figureType(f Var) types.Type {
	if f.Duration {
		return typeOf(timeScoreType)
	}
	return typeOf(scoreType)
}

// figureValues sets each declared figure of a flow group's value, zero
// figures when no call recorded it.
func figureValues(m map[string]any, g metrics.Group, figs []Var) {
	for _, f := range figs {
		if f.Duration {
			m[f.Name] = valueOf(reflect.ValueOf(g.Timings[f.Name]))
		} else {
			m[f.Name] = valueOf(reflect.ValueOf(g.Values[f.Name]))
		}
	}
}

// figuresOf returns the figures the plan's flow declares, from known.
func figuresOf(p *plan.Plan, known *Known) map[string][]Var {
	if known == nil || known.Figures == nil {
		return nil
	}
	out := map[string][]Var{}
	for _, f := range p.Flows {
		if figs, ok := known.Figures(f.Name); ok {
			out[f.Name] = figs
		}
	}
	return out
}

// figureRef is the flow and figure a reference reads past a flow's own
// name (flows.F.X.p95, or X.p95 under flow: F), when X is not a group
// field: then X must be one of F's figures, since a counter has no fields.
func figureRef(r ref, k kind, scope string) (flow, name string, ok bool) {
	fields := groupType()
	switch {
	case k == kindFlow && len(r.parts) >= 2:
		flow, name = scope, r.parts[0]
	case k == kindRun && len(r.parts) >= 4 && r.parts[0] == varFlows:
		flow, name = r.parts[1], r.parts[2]
	default:
		return "", "", false
	}
	if _, field := fields[name]; field {
		return "", "", false
	}
	return flow, name, true
}

// checkFigures reports a reference to a figure its flow does not declare,
// before expr would report it as a field of an int64 (a counter), with a
// did-you-mean from the flow's figures. It returns false when it reported
// a problem.
func checkFigures(refs []ref, k kind, scope string, n names, report func(loc file.Location, msg string)) bool {
	ok := true
	reported := map[string]bool{}
	for _, r := range refs {
		flow, name, isFig := figureRef(r, k, scope)
		if !isFig || !slices.Contains(n.flows, flow) || n.isFigure(flow, name) || reported[flow+"."+name] {
			continue // an unknown flow is expr's to report
		}
		ok = false
		reported[flow+"."+name] = true
		report(nameLoc(refs, r, k), unknownFigure(name, flow, n.figures[flow]))
	}
	return ok
}

// nameLoc is where the figure's own name stands in r (flows.bert.NAME.p95):
// the location of the reference that ends with it.
func nameLoc(refs []ref, r ref, k kind) file.Location {
	end := 1 // NAME.p95 under flow: F
	if k == kindRun {
		end = 3
	}
	for _, o := range refs {
		if slices.Equal(o.parts, r.parts[:end]) {
			return o.loc
		}
	}
	return r.loc
}

func unknownFigure(name, flow string, figs []Var) string {
	names := make([]string, len(figs))
	for i, f := range figs {
		names[i] = f.Name
	}
	msg := fmt.Sprintf("unknown figure %s of flow %s", name, flow)
	if s := plan.Suggest(name, names); s != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", s)
	}
	if len(names) == 0 {
		return msg + "; the flow keeps no figures (docs/flows.md)"
	}
	return msg + "; it keeps " + strings.Join(names, ", ")
}

// isFigure reports whether name is one of the figures the flow declares.
func (n names) isFigure(flow, name string) bool {
	return slices.ContainsFunc(n.figures[flow], func(f Var) bool { return f.Name == name })
}
