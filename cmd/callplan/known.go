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
// causes["USER_BUSSY"] is one too.
func known(p *plan.Plan) assert.Known {
	return assert.Known{
		Counters: func(flow string) ([]string, bool) {
			for _, f := range p.Flows {
				if f.Name != flow {
					continue
				}
				spec, ok := flows.Lookup(f.Use)
				if !ok {
					return nil, false // an unknown flow: reported by checkFlows
				}
				names := make([]string, len(spec.Counters))
				for i, c := range spec.Counters {
					names[i] = c.Name
				}
				return names, true
			}
			return nil, false
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
