package main

import (
	"github.com/callplan/callplan/assert"
	"github.com/callplan/callplan/flows"
	"github.com/callplan/callplan/internal/hangup"
	"github.com/callplan/callplan/plan"
)

// known is what validate checks assertions' constant keys against: the
// counters each of the plan's flows declares (its flows.Spec), so
// flows.park.unexpectd is an error rather than a silent 0, and the hangup
// causes FreeSWITCH can report (internal/hangup, its CAUSE_CHART), so
// causes["USER_BUSSY"] is one too. It also gives each flow's figures
// their types (flows.bert.sync_time is a duration distribution), which
// run needs as much as validate.
func known(p *plan.Plan) assert.Known {
	return assert.Known{
		Figures: func(flow string) ([]assert.Var, bool) {
			spec, ok := specOf(p, flow)
			if !ok {
				return nil, false
			}
			figs := make([]assert.Var, len(spec.Figures))
			for i, f := range spec.Figures {
				figs[i] = assert.Var{Name: f.Name, Doc: f.Doc, Duration: f.Duration}
			}
			return figs, true
		},
		Counters: func(flow string) ([]string, bool) {
			spec, ok := specOf(p, flow)
			if !ok {
				return nil, false // an unknown flow: reported by checkFlows
			}
			names := make([]string, len(spec.Counters))
			for i, c := range spec.Counters {
				names[i] = c.Name
			}
			return names, true
		},
		Cause: func(name string) bool {
			c, ok := hangup.ByName(name)
			// ByName ignores case; the summary keys causes as FreeSWITCH
			// writes them, in upper case.
			return ok && c.String() == name
		},
		Causes: causeNames(),
	}
}

// specOf is the Spec of the plan's flow named flow.
func specOf(p *plan.Plan, flow string) (flows.Spec, bool) {
	for _, f := range p.Flows {
		if f.Name == flow {
			return flows.Lookup(f.Use)
		}
	}
	return flows.Spec{}, false
}

// causeNames lists every cause name, for did-you-mean. FreeSWITCH numbers
// its causes below 1000 (switch_types.h; the highest, REJECT_ALL, is 825).
func causeNames() []string {
	var out []string
	for n := range 1000 {
		if c := hangup.Cause(n); c.Known() {
			out = append(out, c.String())
		}
	}
	return out
}
