package assert

import (
	"slices"
	"strconv"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/types"
)

// The variable references an expression makes (pdd.p95, flows.reject.
// unexpected), found in its syntax tree: for verdicts' observed values and
// for the checks of keys, counters and figures.

// ref is one variable reference in an expression: a root name followed by
// constant member accesses (pdd.p95, causes["USER_BUSY"], flows.reject.asr).
type ref struct {
	parts []string
	text  string
	loc   file.Location // of the last part
}

// counter reports whether the reference names a flow counter, and which.
func (r ref) counter(k kind) (string, bool) {
	fields := groupType()
	switch {
	case k == kindFlow && len(r.parts) >= 1:
		_, field := fields[r.parts[0]]
		return r.parts[0], !field
	case k == kindRun && len(r.parts) >= 3 && r.parts[0] == varFlows:
		_, field := fields[r.parts[2]]
		return r.parts[2], !field
	}
	return "", false
}

var identRe = func(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r != '_' && !(r >= 'a' && r <= 'z') && !(r >= 'A' && r <= 'Z') && !(i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// refOf returns the reference a node is, if it is one. src is the
// expression, to tell causes["X"] from causes.X so a verdict shows the
// form the plan wrote.
func refOf(n ast.Node, src []rune) (ref, bool) {
	switch n := n.(type) {
	case *ast.IdentifierNode:
		return ref{parts: []string{n.Value}, text: n.Value, loc: n.Location()}, true
	case *ast.MemberNode:
		if n.Optional || n.Method {
			return ref{}, false
		}
		base, ok := refOf(n.Node, src)
		if !ok {
			return ref{}, false
		}
		var prop string
		switch p := n.Property.(type) {
		case *ast.StringNode:
			prop = p.Value
		case *ast.IntegerNode:
			prop = strconv.Itoa(p.Value)
		default:
			return ref{}, false
		}
		text := base.text + "." + prop
		from := n.Property.Location().From
		bracket := from > 0 && from <= len(src) && strings.ContainsRune("[\"'`", src[from-1]) ||
			from >= 0 && from < len(src) && strings.ContainsRune("\"'`", src[from])
		if bracket || !identRe(prop) {
			text = base.text + "[" + strconv.Quote(prop) + "]"
		}
		return ref{parts: append(slices.Clip(base.parts), prop), text: text, loc: n.Property.Location()}, true
	}
	return ref{}, false
}

// collectPaths finds the references to environment variables in an
// expression, in order of appearance, without duplicates. With a nil env
// it returns every reference.
func collectPaths(root ast.Node, src string, env types.Map) []ref {
	v := &pathVisitor{env: env, src: []rune(src), seen: map[string]bool{}}
	ast.Walk(&root, v)
	return v.refs
}

type pathVisitor struct {
	env  types.Map
	src  []rune
	seen map[string]bool
	refs []ref
}

func (v *pathVisitor) Visit(node *ast.Node) {
	r, ok := refOf(*node, v.src)
	if !ok {
		return
	}
	if _, known := v.env[r.parts[0]]; v.env != nil && !known {
		// Not an environment variable (a builtin's name or a closure's),
		// unless the environment takes any name (a flow's counters).
		if _, extra := v.env[types.Extra]; !extra || len(r.parts) > 1 || isBuiltin(r.parts[0]) {
			return
		}
	}
	if v.seen[r.text] {
		return
	}
	v.seen[r.text] = true
	v.refs = append(v.refs, r)
}

// dropPrefixes keeps only the longest references: pdd.p95, not pdd too.
func dropPrefixes(refs []ref) []ref {
	out := make([]ref, 0, len(refs))
	for _, r := range refs {
		longer := false
		for _, o := range refs {
			if o.text != r.text && (strings.HasPrefix(o.text, r.text+".") || strings.HasPrefix(o.text, r.text+"[")) {
				longer = true
				break
			}
		}
		if !longer {
			out = append(out, r)
		}
	}
	return out
}

func isBuiltin(name string) bool {
	switch name {
	case "duration", "len", "abs", "max", "min", "all", "any", "none", "one", "filter", "map", "count", "sum", "mean", "median", "keys", "values", "round", "ceil", "floor", "int", "float", "string", "true", "false", "nil":
		return true
	}
	return false
}
