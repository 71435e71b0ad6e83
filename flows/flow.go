package flows

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/callplan/callplan/metrics"
)

// Flow is one call flow: what it does on each call event and how it judges
// a finished call.
type Flow interface {
	// Use is the flow's registered name (its Spec.Name).
	Use() string
	// On acts on an event of call c. An error means the flow could not do
	// what it needed (a command failed); the runner ends the call and
	// counts it failed with reason "flow_error".
	On(ctx context.Context, c *Call, ev Event) error
	// Judge decides the outcome of a finished call whose callee leg
	// arrived: it sets r.Outcome and r.Reason, and may add r.Fields and
	// r.Counts. Calls whose callee leg never arrived, or whose end was
	// not seen, are judged by the runner (no_callee_leg, originate_X,
	// unknown) and never reach Judge.
	Judge(r *metrics.Record)
}

// New builds the flow use with its parameters as a plan wrote them
// (without defaults). It checks them with the flow's Spec and applies its
// defaults, so every flow is built the same way.
func New(use string, with map[string]string) (Flow, error) {
	spec, ok := Lookup(use)
	if !ok {
		return nil, fmt.Errorf("unknown flow %q (known: %v)", use, Names())
	}
	if errs := spec.CheckParams(with); len(errs) > 0 {
		return nil, fmt.Errorf("flow %s: %w", use, errs[0])
	}
	return spec.New(spec.Resolve(with))
}

// Params are a flow's resolved parameter values, as text. The spec has
// already checked them, so a parse error here is a programming error
// reported as such.
type Params map[string]string

func (p Params) duration(name string) (time.Duration, error) {
	v, ok := p[name]
	if !ok || v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("parameter %s: %w", name, err)
	}
	return d, nil
}

func (p Params) int(name string) (int, bool, error) {
	v, ok := p[name]
	if !ok || v == "" {
		return 0, false, nil
	}
	i, err := strconv.Atoi(v)
	if err != nil {
		return 0, false, fmt.Errorf("parameter %s: %w", name, err)
	}
	return i, true, nil
}

// Outcome helpers shared by the flows.

func ok(r *metrics.Record) { r.Outcome, r.Reason = metrics.OutcomeOK, "" }

func fail(r *metrics.Record, reason string) {
	r.Outcome, r.Reason = metrics.OutcomeFailed, reason
}

// endedReason is why an answered call that did not end NORMAL_CLEARING
// failed: its caller cause, or "not_answered".
func endedReason(r *metrics.Record) string {
	if c := r.Cause(); c != "" {
		return c
	}
	return "not_answered"
}

func count(r *metrics.Record, name string) {
	if r.Counts == nil {
		r.Counts = map[string]int64{}
	}
	r.Counts[name]++
}

func field(r *metrics.Record, name, value string) {
	if r.Fields == nil {
		r.Fields = map[string]string{}
	}
	r.Fields[name] = value
}

func msText(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 3, 64)
}

// PerCall is implemented by flows that keep state for each call (what a
// detector heard, which recordings were made): the runner drives each
// call with its own instance, so On and Judge of one call share it and
// calls never share it.
type PerCall interface {
	ForCall() Flow
}

// ForCall returns the Flow that drives one call: f's per-call instance
// when f keeps state, else f itself (stateless flows are shared).
func ForCall(f Flow) Flow {
	if p, ok := f.(PerCall); ok {
		return p.ForCall()
	}
	return f
}
