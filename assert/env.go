package assert

import (
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/expr-lang/expr/types"

	"github.com/callplan/callplan/metrics"
)

// The environment an expression is compiled against is a tree of strict
// maps (expr's types.Map), built by reflection from the metrics types'
// `expr` tags, not from the structs themselves: expr v1.17 cannot mix
// struct types into a types.Map (its checker dereferences a nil struct
// description), and maps let the plan's own stage, flow and node names be
// checked at validate time (stages.rampp.asr is an error with a
// did-you-mean). At evaluation time the same tree is built with values.

var durationType = reflect.TypeOf(time.Duration(0))

// renamed are metric names that read differently in expressions. The
// call-duration histogram (metrics' "duration") would hide expr's
// duration() builtin, which every latency comparison needs
// (pdd.p95 < duration("300ms")), so assertions call it call_duration.
var renamed = map[string]string{metrics.NameDuration: "call_duration"}

// exprName is a struct field's name in expressions: its expr tag, or its
// rename.
func exprName(f reflect.StructField) (string, bool) {
	name, _, _ := strings.Cut(f.Tag.Get("expr"), ",")
	if name == "" || name == "-" || !f.IsExported() {
		return "", false
	}
	if r, ok := renamed[name]; ok {
		return r, true
	}
	return name, true
}

// typeOf maps a Go type to its expr type: a struct with expr tags becomes a
// strict map of its fields; anything else is itself.
func typeOf(t reflect.Type) types.Type {
	if t.Kind() == reflect.Struct && t != reflect.TypeOf(time.Time{}) {
		m := types.Map{}
		for i := range t.NumField() {
			if name, ok := exprName(t.Field(i)); ok {
				m[name] = typeOf(t.Field(i).Type)
			}
		}
		return m
	}
	return types.TypeOf(reflect.Zero(t).Interface())
}

// valueOf is typeOf's counterpart for values.
func valueOf(v reflect.Value) any {
	t := v.Type()
	if t.Kind() == reflect.Struct && t != reflect.TypeOf(time.Time{}) {
		m := make(map[string]any, t.NumField())
		for i := range t.NumField() {
			if name, ok := exprName(t.Field(i)); ok {
				m[name] = valueOf(v.Field(i))
			}
		}
		return m
	}
	if t.Kind() == reflect.Map && v.IsNil() {
		// A nil map reads as empty (causes["X"] is 0, not an error).
		return reflect.MakeMap(t).Interface()
	}
	return v.Interface()
}

// groupType is the expr type of one metrics.Group.
func groupType() types.Map { return typeOf(reflect.TypeOf(metrics.Group{})).(types.Map) }

// groupValue is one metrics.Group as an expression sees it.
func groupValue(g metrics.Group) map[string]any {
	return valueOf(reflect.ValueOf(g)).(map[string]any)
}

// groupFields are the names of a group's variables, sorted.
func groupFields() []string { return keys(groupType()) }

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		if k != types.Extra {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// Names of the run-scope variables that are not a group's fields.
const (
	varElapsed    = "elapsed"
	varStages     = "stages"
	varFlows      = "flows"
	varNodes      = "nodes"
	varGenerators = "generators"
)

// kind is which environment an assertion is compiled against; see
// docs/assertions.md ("Scope").
type kind int

const (
	kindRun   kind = iota // whole run, no scope: group fields + elapsed, stages, flows, nodes, generators
	kindGroup             // stage or node scope, or any window: a group's fields
	kindFlow              // flow scope: a group's fields, and the flow's counters by name
)

// names are the plan's own names the run-scope maps are keyed by.
type names struct {
	stages, flows, nodes []string
	callees              []string // nodes that receive calls (callees.go)
	// figures are each plan flow's declared figures (figures.go), from
	// Known; none without it.
	figures map[string][]Var
}

// flowType is a flow group: its fields, its figures, and any other name
// is one of the flow's own counters (int64). A counter name that is close
// to a field is reported as a typo at compile time, and with Known one
// the flow does not declare (keys.go).
func flowType(figs []Var) types.Map {
	m := groupType()
	m[types.Extra] = types.Int64
	for _, f := range figs {
		m[f.Name] = figureType(f)
	}
	return m
}

// envType builds the expr type of an assertion's environment; scope is
// the flow of a flow-scoped one.
func envType(k kind, n names, scope string) types.Map {
	group := func() types.Map { return withCallees(groupType(), n.callees) }
	flow := func(name string) types.Map { return withCallees(flowType(n.figures[name]), n.callees) }
	switch k {
	case kindFlow:
		return flow(scope)
	case kindGroup:
		return group()
	}
	env := group()
	env[varElapsed] = types.TypeOf(time.Duration(0))
	of := func(ns []string, t types.Type) types.Map {
		m := types.Map{}
		for _, name := range ns {
			m[name] = t
		}
		return m
	}
	env[varStages] = of(n.stages, group())
	flows := types.Map{}
	for _, name := range n.flows {
		flows[name] = flow(name)
	}
	env[varFlows] = flows
	env[varNodes] = of(n.nodes, group())
	env[varGenerators] = of(n.nodes, typeOf(reflect.TypeOf(metrics.Generator{})))
	return env
}

// flowValue is a flow group's value: its fields, its figures, its
// counters under their own names, and 0 for every counter the expressions
// name but the flow never counted (so flows.reject.unexpected == 0 holds
// when nothing unexpected happened, rather than comparing nil).
func flowValue(g metrics.Group, counters []string, figs []Var) map[string]any {
	m := groupValue(g)
	figureValues(m, g, figs)
	for _, c := range counters {
		m[c] = int64(0)
	}
	for c, v := range g.Counters {
		if _, field := m[c]; !field || slices.Contains(counters, c) {
			m[c] = v
		}
	}
	return m
}

// runValue is the run-scope environment's value. Every name the plan
// declares is present, with zero figures when no call reached it.
func runValue(s *metrics.Summary, n names, counters []string) map[string]any {
	env := groupValue(s.Group)
	env[varElapsed] = s.Elapsed
	stages := map[string]any{}
	for _, name := range n.stages {
		stages[name] = groupValue(s.Stages[name])
	}
	flows := map[string]any{}
	for _, name := range n.flows {
		flows[name] = flowValue(s.Flows[name], counters, n.figures[name])
	}
	nodes, gens := map[string]any{}, map[string]any{}
	for _, name := range n.nodes {
		nodes[name] = groupValue(s.Nodes[name])
		g, ok := s.Generators[name]
		if !ok {
			g.MinIdleCPU = -1 // no heartbeat, as metrics.Generator documents
		}
		gens[name] = valueOf(reflect.ValueOf(g))
	}
	env[varStages], env[varFlows], env[varNodes], env[varGenerators] = stages, flows, nodes, gens
	return env
}

// describeType names an expr type for the reference: Go's names for
// scalars, "map[string]int64" for breakdowns.
func describeType(t reflect.Type) string {
	switch {
	case t == durationType:
		return "duration"
	case t.Kind() == reflect.Struct:
		return t.Name()
	case t.Kind() == reflect.Map && t.Elem().Kind() == reflect.Struct:
		return "map[node]" + t.Elem().Name()
	default:
		return t.String()
	}
}
