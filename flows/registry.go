package flows

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/callplan/callplan/plan"
)

// ParamType is the type of a flow parameter's value.
type ParamType string

// Parameter types.
const (
	TypeDuration ParamType = "duration" // Go duration string: 2s, 500ms
	TypeInt      ParamType = "int"
	TypeFloat    ParamType = "float"
	TypeString   ParamType = "string"
	TypeBool     ParamType = "bool"
	TypeEnum     ParamType = "enum" // one of Param.Enum
)

// Param describes one parameter a flow accepts under `with:`.
type Param struct {
	Name string
	Type ParamType
	// Default is the value used when the plan leaves the parameter out, in
	// the same text form a plan writes; "" means no default (the parameter
	// is optional and unset, unless Spec.Check requires it).
	Default string
	Doc     string
	Enum    []string // allowed values for TypeEnum
	// Min and Max bound TypeInt values when Max > Min.
	Min, Max int64
	// Group names a set of parameters that exclude each other (reject's
	// code and cause): a plan gives at most one, and a member's Default
	// applies only when the plan gives none of the group.
	Group string
}

// Spec is everything callplan knows about a flow: its name, what it does,
// its parameters, how it is built, how it judges a call and what it
// measures. It is the one registry: the plan's schema, validation,
// docs/flows.md and flows.New all read it. Each flow's file returns its
// Spec from a function (fresh values, so nothing here is shared mutable
// state) listed in registered().
type Spec struct {
	Name string
	// Doc says what the flow does, in a sentence or three.
	Doc    string
	Params []Param
	// Check, when set, validates the parameters together (after each has
	// passed its own type check), e.g. "exactly one of code and cause".
	// with holds the values the plan wrote, without defaults.
	Check func(with map[string]string) []ParamError
	// CheckOriginate, when set, checks what the flow needs of the plan's
	// originate settings, given its resolved parameters (ringback's
	// hear_ringback needs originate to return at early media).
	CheckOriginate func(with map[string]string, o plan.Originate) []ParamError
	// New builds the flow from resolved parameters (checked, defaults
	// applied); flows.New is the way in.
	New func(Params) (Flow, error)
	// Judges says when a call of this flow succeeds and the reasons it
	// fails with.
	Judges string
	// Counters are the counters the flow's Judge may add to a record
	// (assertions read them as flows.NAME.COUNTER); Fields the CDR fields
	// it may set.
	Counters []Measure
	Fields   []Measure
	// Figures are per-call measurements the flow's Judge records
	// (metrics.Record.SetTiming, SetValue) whose distribution the summary
	// keeps for the flow: assertions read flows.NAME.FIGURE.p95 (count,
	// min, p1, p5, p50, mean, p95, p99, max), typed by Figure.Duration.
	Figures []Figure
}

// Figure is one of a flow's per-call figures, kept as a distribution.
type Figure struct {
	Name string
	Doc  string
	// Duration: the figure is a duration (Record.SetTiming; compared
	// with duration("2s")); otherwise a number (Record.SetValue).
	Duration bool
}

// Measure is one of a flow's own counters or CDR fields.
type Measure struct {
	Name string
	Doc  string
}

// ParamError is one problem with a flow's parameters. Param is "" for a
// problem with the set as a whole.
type ParamError struct {
	Param string
	Msg   string
}

func (e ParamError) Error() string {
	if e.Param == "" {
		return e.Msg
	}
	return e.Param + ": " + e.Msg
}

// registered lists every flow's Spec; a new flow adds its own here.
func registered() []func() Spec {
	return []func() Spec{bertSpec, dtmfSpec, mutedPlayRecSpec, parkSpec, playrecSpec, rejectSpec, ringbackSpec, toneSpec, twimlSpec}
}

// Specs returns every flow callplan knows, sorted by name.
func Specs() []Spec {
	fs := registered()
	specs := make([]Spec, len(fs))
	for i, f := range fs {
		specs[i] = f()
	}
	sort.Slice(specs, func(i, j int) bool { return specs[i].Name < specs[j].Name })
	return specs
}

// Counter reports whether the flow declares counter name.
func (s Spec) Counter(name string) bool {
	for _, c := range s.Counters {
		if c.Name == name {
			return true
		}
	}
	return false
}

// Figure returns the spec's figure named name.
func (s Spec) Figure(name string) (Figure, bool) {
	for _, f := range s.Figures {
		if f.Name == name {
			return f, true
		}
	}
	return Figure{}, false
}

// Lookup returns the flow named name.
func Lookup(name string) (Spec, bool) {
	for _, s := range Specs() {
		if s.Name == name {
			return s, true
		}
	}
	return Spec{}, false
}

// Names returns the known flow names, sorted.
func Names() []string {
	specs := Specs()
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	sort.Strings(names)
	return names
}

// Param returns the spec's parameter named name.
func (s Spec) Param(name string) (Param, bool) {
	for _, p := range s.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// CheckParams validates the parameters a plan wrote for this flow: every
// name known, every value of its type, then Spec.Check. Errors come in the
// order of the sorted parameter names.
func (s Spec) CheckParams(with map[string]string) []ParamError {
	names := make([]string, 0, len(with))
	for n := range with {
		names = append(names, n)
	}
	sort.Strings(names)
	known := make([]string, len(s.Params))
	for i, p := range s.Params {
		known[i] = p.Name
	}
	var errs []ParamError
	ok := true
	for _, n := range names {
		p, found := s.Param(n)
		if !found {
			msg := fmt.Sprintf("flow %s has no parameter %q", s.Name, n)
			if sug := plan.Suggest(n, known); sug != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", sug)
			} else if len(known) > 0 {
				msg += " (known: " + strings.Join(known, ", ") + ")"
			} else {
				msg += " (it takes none)"
			}
			errs = append(errs, ParamError{Param: n, Msg: msg})
			ok = false
			continue
		}
		if err := p.CheckValue(with[n]); err != nil {
			errs = append(errs, ParamError{Param: n, Msg: err.Error()})
			ok = false
		}
	}
	groups := map[string][]string{}
	for _, n := range names {
		if p, found := s.Param(n); found && p.Group != "" {
			groups[p.Group] = append(groups[p.Group], n)
		}
	}
	for _, p := range s.Params {
		if g := groups[p.Group]; len(g) > 1 && g[len(g)-1] == p.Name {
			errs = append(errs, ParamError{Param: p.Name, Msg: fmt.Sprintf("give only one of %s", strings.Join(g, ", "))})
			ok = false
		}
	}
	if ok && s.Check != nil {
		errs = append(errs, s.Check(with)...)
	}
	return errs
}

// Resolve returns the parameters with defaults filled in for those the plan
// left out. It does not validate; call CheckParams first.
func (s Spec) Resolve(with map[string]string) map[string]string {
	written := map[string]bool{}
	for _, p := range s.Params {
		if _, ok := with[p.Name]; ok && p.Group != "" {
			written[p.Group] = true
		}
	}
	out := make(map[string]string, len(s.Params))
	for _, p := range s.Params {
		if v, ok := with[p.Name]; ok {
			out[p.Name] = v
		} else if p.Default != "" && !written[p.Group] {
			out[p.Name] = p.Default
		}
	}
	return out
}

// CheckValue reports whether v is a valid value of the parameter.
func (p Param) CheckValue(v string) error {
	switch p.Type {
	case TypeDuration:
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("expected a duration such as 2s or 500ms, got %q", v)
		}
		if d < 0 {
			return fmt.Errorf("must be >= 0, got %s", v)
		}
	case TypeInt:
		i, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("expected an integer, got %q", v)
		}
		if p.Max > p.Min && (i < p.Min || i > p.Max) {
			return fmt.Errorf("must be %d-%d, got %d", p.Min, p.Max, i)
		}
	case TypeFloat:
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return fmt.Errorf("expected a number, got %q", v)
		}
	case TypeBool:
		if v != "true" && v != "false" {
			return fmt.Errorf("expected true or false, got %q", v)
		}
	case TypeEnum:
		for _, e := range p.Enum {
			if v == e {
				return nil
			}
		}
		msg := fmt.Sprintf("%q is not one of %s", v, strings.Join(p.Enum, ", "))
		if len(p.Enum) > 8 {
			msg = fmt.Sprintf("%q is not a known value", v)
		}
		if sug := plan.Suggest(v, p.Enum); sug != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", sug)
		}
		return fmt.Errorf("%s", msg)
	case TypeString:
		if strings.ContainsAny(v, "\r\n\x00") {
			return fmt.Errorf("must not contain line breaks")
		}
	}
	return nil
}

// hangupCauses lists the FreeSWITCH hangup causes a plan may refuse a
// call with: those mod_sofia maps to a refusal code of its own
// (mod_sofia.c's hangup_cause_to_sip; internal/hangup has the mapping, and a test checks
// each name is in its table).
func hangupCauses() []string {
	return []string{
		"CALL_REJECTED", "DESTINATION_OUT_OF_ORDER", "EXCHANGE_ROUTING_ERROR",
		"INCOMPATIBLE_DESTINATION", "INTERWORKING", "INVALID_NUMBER_FORMAT",
		"NETWORK_OUT_OF_ORDER", "NO_ANSWER", "NO_ROUTE_DESTINATION",
		"NO_USER_RESPONSE", "NORMAL_CIRCUIT_CONGESTION", "NORMAL_CLEARING",
		"NORMAL_TEMPORARY_FAILURE", "NORMAL_UNSPECIFIED", "NUMBER_CHANGED",
		"RECOVERY_ON_TIMER_EXPIRE", "SERVICE_NOT_IMPLEMENTED", "SERVICE_UNAVAILABLE",
		"SUBSCRIBER_ABSENT", "SWITCH_CONGESTION", "UNALLOCATED_NUMBER", "USER_BUSY",
	}
}
