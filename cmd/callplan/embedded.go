package main

import (
	"github.com/callplan/callplan/agent"
	"github.com/callplan/callplan/agent/media"
	"github.com/callplan/callplan/plan"
)

// embeddedCaps sizes an embedded agent from the plan it serves, so the
// default never throttles a plan the machine can run: FreeSWITCH's own
// defaults (max-sessions 1 000, the RTP range 16384-32768) stay for
// `callplan agent`, a stand-in for a real node, but an in-process agent
// exists only for this plan. A loop call holds two legs on it (caller and
// callee), so it needs twice the plan's peak limit, plus a quarter for legs
// whose hangup is still on its way while new calls arrive. Each leg holds
// one even RTP port. An explicit max_sessions in the plan wins.
func embeddedCaps(p *plan.Plan, n plan.Node) (maxSessions, rtpMin, rtpMax int) {
	peak := 0
	for _, s := range p.Stages {
		peak = max(peak, s.Limit)
	}
	legs := 2 * peak * 5 / 4
	maxSessions = max(agent.DefaultMaxSessions, legs)
	if n.MaxSessions > 0 {
		maxSessions = n.MaxSessions
	}
	rtpMin, rtpMax, _ = media.ParsePortRange(media.DefaultPortRange)
	if need := 2 * maxSessions; rtpMax-rtpMin < need {
		rtpMax = min(rtpMin+need, 65534)
	}
	return maxSessions, rtpMin, rtpMax
}
