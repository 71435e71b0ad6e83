package assert

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/expr-lang/expr/types"

	"github.com/callplan/callplan/metrics"
)

// callee_nodes is typed like stages, flows and nodes: a strict map keyed
// by the plan's own names (its nodes that receive calls), so
// callee_nodes["bb"] is a validate error with a did-you-mean, and every
// name reads zeros when no call reached it.

const varCalleeNodes = "callee_nodes"

var calleeNodeType = reflect.TypeOf(metrics.CalleeNode{})

// calleeDocs say what a CalleeNode's fields mean; they share names with a
// group's.
var calleeDocs = map[string]string{
	"received": "calls whose inbound leg arrived on the node",
	"answered": "of those, calls that were answered",
	"failed":   "of those, calls that did not end as their flow expects",
	"share":    "received over the calls all callee nodes of the scope received, 0..1 (the shares sum to 1)",
}

// withCallees gives a group type its callee_nodes, keyed by the plan's
// callee node names.
func withCallees(m types.Map, callees []string) types.Map {
	nodes := types.Map{}
	for _, n := range callees {
		nodes[n] = typeOf(calleeNodeType)
	}
	m[varCalleeNodes] = nodes
	return m
}

// calleesValue is a group's callee_nodes as an expression reads it: every
// name the plan declares, with zeros for a node no call reached.
func calleesValue(m map[string]metrics.CalleeNode, callees []string) map[string]any {
	out := make(map[string]any, len(callees)+len(m))
	for _, n := range callees {
		out[n] = valueOf(reflect.ValueOf(metrics.CalleeNode{}))
	}
	for k, n := range m {
		out[k] = valueOf(reflect.ValueOf(n))
	}
	return out
}

// fillCallees completes every group of an environment value (the top
// level, and stages, flows and nodes at run scope) with the declared
// callee nodes.
func fillCallees(env map[string]any, callees []string) {
	if v, ok := env[varCalleeNodes]; ok {
		m, _ := v.(map[string]metrics.CalleeNode)
		env[varCalleeNodes] = calleesValue(m, callees)
	}
	for _, k := range []string{varStages, varFlows, varNodes} {
		sub, _ := env[k].(map[string]any)
		for _, g := range sub {
			if gm, ok := g.(map[string]any); ok {
				fillCallees(gm, callees)
			}
		}
	}
}

// refCallees is the reference's section on callee nodes.
func refCallees() string {
	var b strings.Builder
	b.WriteString("\n### CalleeNode fields\n\n")
	b.WriteString("`callee_nodes` are a scope's calls by the node their inbound leg arrived on, keyed by the plan's names of the nodes that receive calls (role `callee` or `both`), e.g. `callee_nodes[\"b\"].share >= 0.3`. A name the plan does not declare is a validate error; a declared node no call reached reads zeros. `imbalance` is max share ÷ mean share − 1 over them: 0 when every callee node received as many calls, 0.5 when the busiest received half as many again as the mean, n−1 when one of n received all; 0 while no call has reached any. In a window it is the window's own (short windows of few calls are uneven by chance: with 3 nodes and 9 calls, one extra call on one node is already 0.33).\n\n")
	b.WriteString("| field | type | meaning |\n|---|---|---|\n")
	for i := range calleeNodeType.NumField() {
		f := calleeNodeType.Field(i)
		if name, ok := exprName(f); ok {
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", name, describeType(f.Type), calleeDocs[name])
		}
	}
	return b.String()
}
