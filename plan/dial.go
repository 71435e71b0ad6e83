package plan

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Variables and headers callplan puts on every call it originates
// (design.md, "Calls and legs"): the callee leg is matched to its call by
// the X-callplan-call header, which arrives there as
// variable_sip_h_X-callplan-call.
const (
	HeaderCall = "X-callplan-call"
	HeaderRun  = "X-callplan-run"
	VarFlow    = "callplan_flow"
)

// AgentSIPPort stands in for an embedded node's SIP port while it is not
// known: the in-process agent binds a free loopback port when it starts.
// The runner sets Node.SIPPort to the bound port before calling DialFor;
// `callplan render` shows this text.
const AgentSIPPort = "AGENT_SIP_PORT"

// DialVar is one channel variable of an originate.
type DialVar struct {
	Name  string
	Value string
}

// Dial is everything the plan says about one call's originate, free of ESL
// syntax: the runner and `callplan render` turn it into an esl.Originate,
// whose builder does the escaping.
type Dial struct {
	// Vars in the order they are sent: callplan's tracking variables, the
	// originate options, then the plan's vars and headers, sorted by name.
	Vars []DialVar
	// Profile is the sofia profile, or "" when Gateway is set.
	Profile string
	Gateway string
	// Destination is the expanded destination template.
	Destination string
	Proxy       string
	App         string
	AppArgs     string
}

// DialFor builds the originate of call c on node n for flow f.
func (p *Plan) DialFor(n Node, f Flow, c Call) Dial {
	o := p.Originate
	d := Dial{
		Destination: o.Destination.ExpandFor(n, c),
		Proxy:       o.Proxy,
		Gateway:     o.Gateway,
	}
	if o.Gateway == "" {
		d.Profile = o.Profile
	}
	d.App, d.AppArgs = splitApp(o.App)
	add := func(name, value string) { d.Vars = append(d.Vars, DialVar{Name: name, Value: value}) }
	add("origination_uuid", c.ID)
	add("sip_h_"+HeaderCall, c.ID)
	add("sip_h_"+HeaderRun, c.RunID)
	add(VarFlow, f.Name)
	add("origination_caller_id_name", o.CallerIDName)
	add("origination_caller_id_number", o.CallerIDNumber)
	add("originate_timeout", strconv.Itoa(int(o.Timeout.D().Seconds())))
	add("ignore_early_media", strconv.FormatBool(o.IgnoreEarlyMedia))
	if len(o.Codecs) > 0 {
		add("absolute_codec_string", strings.Join(o.Codecs, ","))
	}
	for _, k := range slices.Sorted(maps.Keys(o.Vars)) {
		add(k, o.Vars[k])
	}
	for _, k := range slices.Sorted(maps.Keys(o.Headers)) {
		add("sip_h_"+k, o.Headers[k])
	}
	return d
}

// splitApp splits "name(arg)" into name and arg.
func splitApp(app string) (string, string) {
	if m := appPattern.FindStringSubmatch(app); m != nil {
		return m[1], m[2]
	}
	return app, ""
}
