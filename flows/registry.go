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

// Spec describes a flow: its name, what it does, its parameters. Later
// issues add the behaviour (a constructor) as further fields; the registry
// stays a function returning fresh values, so nothing here is shared mutable
// state.
type Spec struct {
	Name   string
	Doc    string
	Params []Param
	// Check, when set, validates the parameters together (after each has
	// passed its own type check), e.g. "exactly one of code and cause".
	// with holds the values the plan wrote, without defaults.
	Check func(with map[string]string) []ParamError
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

// Specs returns every flow callplan knows, sorted by name.
func Specs() []Spec {
	return []Spec{
		{
			Name: "park",
			Doc:  "The callee answers and both legs are held for the stage's hold time; then the caller hangs up. The baseline: a call succeeds when it is answered and ends NORMAL_CLEARING.",
			Params: []Param{
				{Name: "answer_delay", Type: TypeDuration, Default: "0s", Doc: "How long the callee leg waits, parked and unanswered, before answering."},
			},
		},
		{
			Name: "reject",
			Doc:  "The callee refuses the INVITE (switchio's CalleeBlockOnInvite): it responds with a SIP code or hangs up with a cause. The expected failure counts as success for this flow.",
			Params: []Param{
				{Name: "code", Type: TypeInt, Default: "486", Min: 400, Max: 699, Group: "refusal", Doc: "SIP final response code to refuse with (respond CODE), 400-699. Not with cause."},
				{Name: "cause", Type: TypeEnum, Enum: hangupCauses(), Group: "refusal", Doc: "FreeSWITCH hangup cause to refuse with instead of a code (uuid_kill UUID CAUSE), e.g. CALL_REJECTED."},
			},
		},
		{
			Name: "ringback",
			Doc:  "The callee rings first (switchio's CalleeRingback): it signals ringing (180) or early media (183), waits ring_for, then answers, or leaves the caller to hang up unanswered.",
			Params: []Param{
				{Name: "mode", Type: TypeEnum, Default: "ring_ready", Enum: []string{"ring_ready", "pre_answer"}, Doc: "ring_ready sends 180 Ringing; pre_answer sends 183 with early media."},
				{Name: "ring_for", Type: TypeDuration, Default: "2s", Doc: "How long the callee rings before `then` happens."},
				{Name: "then", Type: TypeEnum, Default: "answer", Enum: []string{"answer", "caller_hangup"}, Doc: "answer: the callee answers and the call is held as in park; caller_hangup: the caller hangs up while ringing (expected ORIGINATOR_CANCEL)."},
			},
		},
	}
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

// hangupCauses lists the FreeSWITCH hangup causes a callee may refuse a
// call with (esl-reference 5.5).
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
