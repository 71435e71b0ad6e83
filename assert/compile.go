package assert

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/types"
	"github.com/expr-lang/expr/vm"

	"github.com/callplan/callplan/plan"
)

// Set is a plan's assertions, compiled. It is immutable and safe for
// concurrent use.
type Set struct {
	items []*compiled
	names names
}

// compiled is one assertion ready to evaluate.
type compiled struct {
	set    *Set
	index  int
	a      plan.Assertion
	kind   kind
	prog   *vm.Program
	paths  []path // the variables the expression reads, for verdicts
	window int    // window length in whole seconds; 0: whole run
	// counters are the flow counters the expression names
	// (flows.reject.unexpected, or unexpected under flow: reject).
	counters []string
}

// path is one variable an expression reads, compiled on its own so a
// verdict can show its value.
type path struct {
	text string
	prog *vm.Program
}

// Len is the number of assertions.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.items)
}

// Compile type-checks and compiles every assertion of p against the
// environment its scope and window give it (docs/assertions.md). All
// problems are returned at once as plan.Errors, each positioned in the plan
// file: inside the expression for expression errors. Without Known the
// flows' figures are not variables; CompileWith gives them.
func Compile(p *plan.Plan) (*Set, error) { return compile(p, nil) }

// CompileWith is Compile with what the layers above know: the flows'
// figures as typed variables, and the key checks of keys.go.
func CompileWith(p *plan.Plan, known Known) (*Set, error) { return compile(p, &known) }

// compile is Compile with the keys checks of known (keys.go) when known is
// not nil.
func compile(p *plan.Plan, known *Known) (*Set, error) {
	var errs plan.Errors
	s := &Set{names: planNames(p)}
	s.names.figures = figuresOf(p, known)
	for i, a := range p.Assertions {
		c, ok := compileOne(i, a, s.names, known, &errs)
		if ok {
			c.set = s
			s.items = append(s.items, c)
		}
	}
	if len(errs) > 0 {
		errs.Sort()
		return nil, errs
	}
	return s, nil
}

// Check is Compile for `callplan validate`: it adds every problem to errs.
func Check(p *plan.Plan, errs *plan.Errors) {
	if _, err := Compile(p); err != nil {
		addErrors(p, errs, err)
	}
}

// addErrors merges compile's error into errs.
func addErrors(p *plan.Plan, errs *plan.Errors, err error) {
	var pe plan.Errors
	if errors.As(err, &pe) {
		*errs = append(*errs, pe...)
		return
	}
	errs.Add(p.Pos, "assertions", "%v", err)
}

func planNames(p *plan.Plan) names {
	var n names
	for _, s := range p.Stages {
		n.stages = appendNew(n.stages, s.Name)
	}
	for _, f := range p.Flows {
		n.flows = appendNew(n.flows, f.Name)
	}
	for _, nd := range p.Nodes {
		n.nodes = appendNew(n.nodes, nd.Name)
	}
	for _, nd := range p.Nodes {
		if nd.CanReceive() {
			n.callees = appendNew(n.callees, nd.Name)
		}
	}
	if len(n.nodes) == 0 {
		n.nodes = []string{plan.Embedded}
		n.callees = []string{plan.Embedded}
	}
	return n
}

func appendNew(list []string, s string) []string {
	if s == "" || slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// exprOptions are the options every expression is compiled with. now()
// and date() are left out: a verdict must be the same when a finished
// run's results are evaluated again.
func exprOptions(env any) []expr.Option {
	return []expr.Option{expr.Env(env), expr.DisableBuiltin("now"), expr.DisableBuiltin("date")}
}

func compileOne(i int, a plan.Assertion, n names, known *Known, errs *plan.Errors) (*compiled, bool) {
	base := fmt.Sprintf("assertions[%d]", i)
	at := func(key string) plan.Pos { return a.Fields.Get(key, a.Pos) }
	if strings.TrimSpace(a.Expr) == "" {
		return nil, false // plan reported it
	}
	c := &compiled{index: i, a: a, kind: kindRun}
	scopes := 0
	for _, s := range []string{a.Stage, a.Flow, a.Node} {
		if s != "" {
			scopes++
		}
	}
	ok := true
	switch {
	case scopes > 1:
		// The summary has figures per stage, per flow and per node, not
		// per combination of them.
		key := "flow"
		if a.Node != "" {
			key = "node"
		}
		errs.Add(at(key), base+"."+key, "stage, flow and node scopes cannot be combined (the summary has no per-%s figures within a %s); write one assertion per scope",
			key, map[bool]string{true: "stage", false: "flow"}[a.Stage != ""])
		ok = false
	}
	if a.Window > 0 && a.Window.D()%time.Second != 0 {
		errs.Add(at("window"), base+".window", "must be whole seconds (the time series has one point per second), got %s", a.Window)
		ok = false
	}
	switch {
	case a.Window > 0 || a.Stage != "" || a.Node != "":
		c.kind = kindGroup
	case a.Flow != "":
		c.kind = kindFlow
	}
	c.window = int(a.Window.D() / time.Second)
	env := envType(c.kind, n, a.Flow)
	exprPath := base + ".expr"
	exprErr := func(loc file.Location, msg string) {
		fe := (&file.Error{Location: loc, Message: msg}).Bind(file.NewSource(a.Expr))
		errs.Add(a.ExprSource.At(fe.Line, fe.Column), exprPath, "invalid expression: %s", msg)
	}
	if tree, err := parser.Parse(a.Expr); err == nil && !checkFigures(collectPaths(tree.Node, a.Expr, nil), c.kind, a.Flow, n, exprErr) {
		return nil, false
	}
	prog, err := expr.Compile(a.Expr, append(exprOptions(env), expr.AsBool())...)
	if err != nil {
		var fe *file.Error
		if errors.As(err, &fe) {
			errs.Add(a.ExprSource.At(fe.Line, fe.Column), exprPath, "invalid expression: %s", explain(fe.Message, a.Expr, env))
		} else {
			errs.Add(a.ExprSource.Pos, exprPath, "invalid expression: %s", explain(err.Error(), a.Expr, env))
		}
		return nil, false
	}
	c.prog = prog
	tree, err := parser.Parse(a.Expr)
	if err != nil { // cannot happen: it compiled
		errs.Add(a.ExprSource.Pos, exprPath, "%v", err)
		return nil, false
	}
	if !durations(tree.Node, exprErr) {
		ok = false
	}
	refs := collectPaths(tree.Node, a.Expr, env)
	fields := groupFields()
	kc := keyCheck{known: known, kind: c.kind, flow: a.Flow, report: exprErr}
	for _, r := range refs {
		if !kc.keys(r) {
			ok = false
		}
		counter, isCounter := r.counter(c.kind)
		if !isCounter || n.isFigure(kc.flowOf(r), counter) {
			continue
		}
		if s := plan.Suggest(counter, fields); s != "" {
			exprErr(r.loc, fmt.Sprintf("unknown field %s (did you mean %s?); a name that is not a group field is read as one of the flow's own counters", counter, s))
			ok = false
			continue
		}
		if !kc.counter(r, counter) {
			ok = false
			continue
		}
		c.counters = appendNew(c.counters, counter)
	}
	for _, r := range dropPrefixes(refs) {
		p, err := expr.Compile(r.text, exprOptions(env)...)
		if err != nil {
			continue // a path inside a closure or a dynamic index: nothing to show on its own
		}
		c.paths = append(c.paths, path{text: r.text, prog: p})
	}
	return c, ok
}

// explain adds a did-you-mean to expr's "unknown name X" and "unknown
// field X", with candidates from the map X was looked up in.
func explain(msg, src string, env types.Map) string {
	if strings.Contains(msg, "mismatched types time.Duration and") || strings.Contains(msg, "and time.Duration)") {
		return msg + `; compare durations with duration("300ms")`
	}
	var word string
	for _, prefix := range []string{"unknown name ", "unknown field "} {
		if rest, ok := strings.CutPrefix(msg, prefix); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				word = f[0]
			}
			break
		}
	}
	if word == "" {
		return msg
	}
	cands := keys(env)
	if tree, err := parser.Parse(src); err == nil {
		for _, r := range collectPaths(tree.Node, src, nil) {
			if len(r.parts) > 1 && r.parts[len(r.parts)-1] == word {
				if m, ok := typeAt(env, r.parts[:len(r.parts)-1]); ok {
					cands = keys(m)
				}
				break
			}
		}
	}
	if s := plan.Suggest(word, cands); s != "" {
		return fmt.Sprintf("%s (did you mean %s?)", msg, s)
	}
	if len(cands) > 0 && len(cands) <= 40 {
		return fmt.Sprintf("%s (known: %s)", msg, strings.Join(cands, ", "))
	}
	return msg
}

// typeAt walks a path of names down nested maps.
func typeAt(m types.Map, parts []string) (types.Map, bool) {
	for _, p := range parts {
		next, ok := m[p].(types.Map)
		if !ok {
			return nil, false
		}
		m = next
	}
	return m, true
}
