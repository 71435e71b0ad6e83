package main

import (
	"github.com/callplan/callplan/assert"
	"github.com/callplan/callplan/internal/hangup"
	"github.com/callplan/callplan/plan"
)

// known is what validate checks assertions' constant keys against: the
// hangup causes FreeSWITCH can report (internal/hangup, its CAUSE_CHART),
// so causes["USER_BUSSY"] is an error rather than a silent 0.
func known(*plan.Plan) assert.Known {
	return assert.Known{
		Cause: func(name string) bool {
			c, ok := hangup.ByName(name)
			// ByName ignores case; the summary keys causes as FreeSWITCH
			// writes them, in upper case.
			return ok && c.String() == name
		},
		Causes: causeNames(),
	}
}

// causeNames lists every cause name, for did-you-mean. FreeSWITCH's
// numbers stay below 1000 (switch_types.h: the highest, REJECT_ALL, is 956).
func causeNames() []string {
	var out []string
	for n := range 1000 {
		if c := hangup.Cause(n); c.Known() {
			out = append(out, c.String())
		}
	}
	return out
}
