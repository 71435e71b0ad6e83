package assert

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"

	"github.com/callplan/callplan/plan"
)

// A map lookup with a constant key (causes["USER_BUSSY"], sip["4866"],
// flows.park.unexpectd) type-checks whatever the key says and reads 0 when
// the key never occurred, so a typo makes an assertion pass silently. The
// checks here catch such keys at validate time, as a bad duration("3OOms")
// is caught before the run instead of failing it.

// Known is what the layers above assert know and assert may not import:
// the counters each flow declares (flows) and FreeSWITCH's hangup causes.
// A nil func skips its check.
type Known struct {
	// Counters returns the counters the plan's flow named flow (its
	// name in the plan, not its use) declares; ok is false when the flow
	// is not known, and nothing is checked for it.
	Counters func(flow string) (counters []string, ok bool)
	// Cause reports whether name is a FreeSWITCH hangup cause as the
	// summary keys them (upper case).
	Cause func(name string) bool
	// Causes are the cause names offered as did-you-mean candidates.
	Causes []string
	// Figures returns the figures the plan's flow named flow declares
	// (its Spec's), which type flows.F.NAME; ok is false when the flow is
	// not known.
	Figures func(flow string) (figures []Var, ok bool)
}

// CheckWith is Check that also checks each expression's constant keys and
// flow counters against known.
func CheckWith(known Known) func(p *plan.Plan, errs *plan.Errors) {
	return func(p *plan.Plan, errs *plan.Errors) {
		if _, err := compile(p, &known); err != nil {
			addErrors(p, errs, err)
		}
	}
}

// Group fields whose keys are checked.
const (
	fieldCauses   = "causes"
	fieldSIP      = "sip"
	fieldCounters = "counters"
)

// keyCheck is one compiled assertion's view for the key checks.
type keyCheck struct {
	known *Known
	kind  kind
	flow  string // the assertion's flow scope, if any
	// report adds a problem at a location inside the expression.
	report func(loc file.Location, msg string)
}

// counter checks a flow counter named by a reference (flows.F.X, or X
// under flow: F). It returns false when it reported a problem.
func (k keyCheck) counter(r ref, name string) bool {
	flow := k.flowOf(r)
	if k.known == nil || k.known.Counters == nil || flow == "" {
		return true
	}
	declared, ok := k.known.Counters(flow)
	if !ok || slices.Contains(declared, name) {
		return true
	}
	k.report(r.loc, unknownCounter(name, flow, declared))
	return false
}

func unknownCounter(name, flow string, declared []string) string {
	msg := fmt.Sprintf("unknown counter %s of flow %s", name, flow)
	if s := plan.Suggest(name, declared); s != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", s)
	}
	if len(declared) == 0 {
		return msg + "; the flow counts nothing of its own"
	}
	return msg + "; it counts " + strings.Join(declared, ", ")
}

// flowOf is the plan flow a reference reads: flows.F.… at run scope, or the
// assertion's flow scope for a bare name; "" when it reads no one flow.
func (k keyCheck) flowOf(r ref) string {
	if k.kind == kindRun && len(r.parts) >= 2 && r.parts[0] == varFlows {
		return r.parts[1]
	}
	if r.parts[0] != varFlows && k.flow != "" {
		return k.flow
	}
	return ""
}

// keys checks the constant key a reference reads from a group's causes,
// sip or counters map. It returns false when it reported a problem.
func (k keyCheck) keys(r ref) bool {
	at := 0
	if k.kind == kindRun && len(r.parts) > 0 && slices.Contains([]string{varStages, varFlows, varNodes}, r.parts[0]) {
		at = 2 // stages.NAME.causes["X"]
	}
	if len(r.parts) != at+2 {
		return true
	}
	key := r.parts[at+1]
	switch r.parts[at] {
	case fieldSIP:
		if n, err := strconv.Atoi(key); err != nil || n < 100 || n > 699 || len(key) != 3 {
			k.report(r.loc, fmt.Sprintf("sip[%q]: a SIP status is a number from 100 to 699", key))
			return false
		}
	case fieldCauses:
		if k.known == nil || k.known.Cause == nil || k.known.Cause(key) {
			return true
		}
		msg := fmt.Sprintf("causes[%q]: not a FreeSWITCH hangup cause", key)
		if up := strings.ToUpper(key); up != key && k.known.Cause(up) {
			msg += fmt.Sprintf(" (did you mean %q? causes are keyed in upper case)", up)
		} else if s := plan.Suggest(key, k.known.Causes); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		k.report(r.loc, msg)
		return false
	case fieldCounters:
		return k.counter(r, key)
	}
	return true
}

// durations checks the constant arguments of duration() calls, which expr
// would otherwise only parse when the assertion is evaluated, after the
// run. It returns false when it reported a problem.
func durations(root ast.Node, report func(loc file.Location, msg string)) bool {
	v := &durationVisitor{report: report, ok: true}
	ast.Walk(&root, v)
	return v.ok
}

type durationVisitor struct {
	report func(loc file.Location, msg string)
	ok     bool
}

func (v *durationVisitor) Visit(node *ast.Node) {
	b, isBuiltin := (*node).(*ast.BuiltinNode)
	if !isBuiltin || b.Name != "duration" || len(b.Arguments) != 1 {
		return
	}
	s, isString := b.Arguments[0].(*ast.StringNode)
	if !isString {
		return
	}
	if _, err := time.ParseDuration(s.Value); err != nil {
		msg := fmt.Sprintf("duration(%q): not a duration (a number and a unit: 300ms, 1.5s, 2m)", s.Value)
		if fixed := lookalikeDigits(s.Value); fixed != s.Value {
			if _, err := time.ParseDuration(fixed); err == nil {
				msg += fmt.Sprintf(" (did you mean %q?)", fixed)
			}
		}
		v.report(s.Location(), msg)
		v.ok = false
	}
}

// lookalikeDigits replaces the letters typed for digits (O for 0, l and I
// for 1) where they stand among digits or before the unit, "3OOms" →
// "300ms".
func lookalikeDigits(s string) string {
	b := []rune(s)
	digitish := func(r rune) bool { return r >= '0' && r <= '9' || r == 'O' || r == 'o' || r == 'l' || r == 'I' }
	for i, r := range b {
		if !digitish(r) || r >= '0' && r <= '9' {
			continue
		}
		// Only within a number: a digit (or lookalike) precedes it.
		if i == 0 || !digitish(b[i-1]) && b[i-1] != '.' {
			continue
		}
		switch r {
		case 'O', 'o':
			// "ms", "ns", "us" never contain o; "3o" is never a unit.
			b[i] = '0'
		case 'l', 'I':
			b[i] = '1'
		}
	}
	return string(b)
}
