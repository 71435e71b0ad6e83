package main

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/callplan/callplan/esl"
	"github.com/callplan/callplan/flows"
	"github.com/callplan/callplan/plan"
)

const renderExamples = `  callplan render scenarios/smoke.yaml
  callplan render --set stages[0].rate=50 --set originate.proxy=sut:5060 plan.yaml
  callplan render plan.yaml > resolved.yaml   # the output is itself a valid plan`

// Stand-ins for per-call values in rendered commands.
const (
	renderCallID = "CALL-UUID"
	renderRunID  = "RUN-ID"
)

func runRender(_ context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "render", "render [--set path=value]... PLAN", renderExamples)
	var sets setFlags
	fs.Var(&sets, "set", "override a plan field, `path=value` (repeatable), e.g. stages[0].rate=20")
	plans, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(plans) != 1 {
		fs.Usage()
		return usageErrorf("render takes exactly one plan, got %d", len(plans))
	}
	p, err := loadPlan(env, plans[0], sets)
	if err != nil {
		printPlanError(env.Stderr, "render", err)
		return withCode(ExitInvalid, errReported)
	}
	out, err := renderPlan(p)
	if err != nil {
		return withCode(ExitInvalid, err)
	}
	_, err = fmt.Fprint(env.Stdout, out)
	return err
}

// renderPlan is the dry run: the resolved plan (every default applied,
// flow parameters included, passwords as ***) followed, as YAML comments,
// by the exact originate command each calling node sends for each flow.
// The whole output loads as a plan.
func renderPlan(p *plan.Plan) (string, error) {
	resolveFlowParams(p)
	redactSecrets(p)
	resolved, err := p.MarshalResolved()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s resolved by callplan render: every default applied, passwords and credentials shown as ***.\n", p.File)
	b.Write(resolved)
	if p.HasCloudNode() {
		if err := renderCloud(&b, p); err != nil {
			return "", err
		}
		return b.String(), nil
	}
	fmt.Fprintf(&b, "\n# Originate commands, one per calling node and flow, each sent as `bgapi <command>`.\n")
	fmt.Fprintf(&b, "# %s and %s stand for each call's UUID and the run's id", renderCallID, renderRunID)
	if p.Originate.Destination.Uses("stage") {
		fmt.Fprintf(&b, "; the destination names the stage, shown for %s", p.Stages[0].Name)
	}
	if hasUnboundAgent(p) {
		fmt.Fprintf(&b, ";\n# %s is the SIP port the embedded agent binds when it starts", plan.AgentSIPPort)
	}
	b.WriteString(".\n")
	for _, n := range p.Nodes {
		if !n.CanCall() {
			continue
		}
		for _, f := range p.Flows {
			cmd, err := originateCommand(p, n, f, plan.Call{ID: renderCallID, RunID: renderRunID, Flow: f.Name, Stage: p.Stages[0].Name})
			if err != nil {
				return "", fmt.Errorf("node %s, flow %s: %w", n.Name, f.Name, err)
			}
			fmt.Fprintf(&b, "#\n# node %s, flow %s:\n#   %s\n", n.Name, f.Name, cmd)
		}
	}
	return b.String(), nil
}

// secretName matches variable and header names that usually carry a
// credential (sip_auth_password, X-Api-Token, ...).
var secretName = regexp.MustCompile(`(?i)(pass|secret|token|api_?key|auth_?key|credential)`)

// redactSecrets replaces the values of credential-looking variables and
// headers with ***, as node passwords are: render output is shown and
// pasted, and secrets never appear in output (design.md).
func redactSecrets(p *plan.Plan) {
	for _, m := range []map[string]string{p.Originate.Vars, p.Originate.Headers} {
		for k := range m {
			if secretName.MatchString(k) {
				m[k] = "***"
			}
		}
	}
}

func hasUnboundAgent(p *plan.Plan) bool {
	if !p.Originate.Destination.Uses("node.sip_port") {
		return false
	}
	for _, n := range p.Nodes {
		if n.Embedded && n.SIPPort == 0 && n.CanCall() {
			return true
		}
	}
	return false
}

// resolveFlowParams writes each flow's defaulted parameters into the plan,
// so the rendered plan shows what the flow will use.
func resolveFlowParams(p *plan.Plan) {
	for i, f := range p.Flows {
		spec, ok := flows.Lookup(f.Use)
		if !ok {
			continue
		}
		with := map[string]plan.Scalar{}
		for k, v := range spec.Resolve(flowParams(f)) {
			with[k] = plan.Scalar{Value: v, Pos: f.With[k].Pos}
		}
		p.Flows[i].With = with
	}
}

// originateCommand is the API command that originates call c on node n for
// flow f, built by esl's originate builder (which owns the escaping).
func originateCommand(p *plan.Plan, n plan.Node, f plan.Flow, c plan.Call) (string, error) {
	d := p.DialFor(n, f, c)
	o := esl.Originate{Proxy: d.Proxy, App: d.App, AppArgs: d.AppArgs}
	if d.Gateway != "" {
		o.Endpoint = esl.SofiaGateway(d.Gateway, d.Destination)
	} else {
		o.Endpoint = esl.Sofia(d.Profile, d.Destination)
	}
	for _, v := range d.Vars {
		o.Vars = append(o.Vars, esl.Var{Name: v.Name, Value: v.Value})
	}
	return o.Command()
}

// checkOriginate builds the originate of every calling node and flow, so a
// value the command cannot carry (a brace in a variable, a quote in the
// destination) is an invalid plan at validate time, not a failed run. It
// stays quiet when plan already found a problem in originate or the nodes.
func checkOriginate(p *plan.Plan, errs *plan.Errors) {
	for _, e := range *errs {
		if strings.HasPrefix(e.Path, "originate") || strings.HasPrefix(e.Path, "nodes") || strings.HasPrefix(e.Path, "flows") {
			return
		}
	}
	seen := map[string]bool{}
	pos := p.Fields.Get("originate", p.Pos)
	for _, n := range p.Nodes {
		if !n.CanCall() || (!n.Embedded && n.Host == "") {
			continue
		}
		for _, f := range p.Flows {
			// A UUID-shaped id, as the runner sends.
			c := plan.Call{ID: "00000000-0000-4000-8000-000000000000", RunID: "run", Flow: f.Name}
			if len(p.Stages) > 0 {
				c.Stage = p.Stages[0].Name
			}
			if _, err := originateCommand(p, n, f, c); err != nil && !seen[err.Error()] {
				seen[err.Error()] = true
				errs.Add(pos, "originate", "cannot build the originate command for node %s, flow %s: %v", n.Name, f.Name, err)
			}
		}
	}
}
