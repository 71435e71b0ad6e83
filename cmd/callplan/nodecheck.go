package main

import (
	"context"
	"fmt"
	"regexp"
	"strconv"

	"github.com/callplan/callplan/plan"
)

// A FreeSWITCH generator node set up with its defaults throttles a load
// test by itself: sessions-per-second 30 refuses legs above 30 per second,
// max-sessions refuses them above the limit, min-idle-cpu refuses them on
// a busy host (switch.conf.xml; docs/freeswitch.md). What can be read over
// the Event Socket is read at preflight and checked against the load the
// plan will put on the node, so a refused leg is foreseen as a warning,
// not discovered as failed calls.

// apiConn is the part of a node connection the checks need.
type apiConn interface {
	API(ctx context.Context, cmd string) (string, error)
}

// nodeLoad is the most the plan asks of one node: legs created per
// second and legs alive at once, at the peak stage.
type nodeLoad struct {
	legsPerSec float64
	legs       float64
}

// planLoad is the load the plan puts on node n at its peak. Callers are
// shared by weight among the nodes that place calls; calls that come back
// through the SUT are assumed to spread evenly over the nodes that receive
// them. A node that does both carries both legs of its share (a loop call
// is two legs on one FreeSWITCH: Session-Count counts legs).
func planLoad(p *plan.Plan, n plan.Node) nodeLoad {
	var rate, limit float64
	for _, s := range p.Stages {
		rate = max(rate, s.Rate.From, s.Rate.To)
		limit = max(limit, float64(s.Limit))
	}
	var weights float64
	callees := 0
	for _, o := range p.Nodes {
		if o.Role != plan.RoleCallee {
			weights += float64(max(o.Weight, 1))
		}
		if o.Role != plan.RoleCaller {
			callees++
		}
	}
	var share float64
	if n.Role != plan.RoleCallee && weights > 0 {
		share += float64(max(n.Weight, 1)) / weights
	}
	if n.Role != plan.RoleCaller && callees > 0 {
		share += 1 / float64(callees)
	}
	return nodeLoad{legsPerSec: rate * share, legs: limit * share}
}

var (
	spsReply      = regexp.MustCompile(`sessions per second: (\d+)`)
	statusMax     = regexp.MustCompile(`(?m)^(\d+) session\(s\) max`)
	statusIdleCPU = regexp.MustCompile(`(?m)^min idle cpu ([0-9.]+)/([0-9.]+)`)
)

// nodeWarnings reads the node's limits (fsctl sps, status) and says which
// the plan's load would run into, each with how to fix it. A command the
// node does not answer is skipped: warnings are advice, never a failure.
func nodeWarnings(ctx context.Context, conn apiConn, load nodeLoad) []string {
	var out []string
	if body, err := conn.API(ctx, "fsctl sps"); err == nil {
		if m := spsReply.FindStringSubmatch(body); m != nil {
			sps, _ := strconv.Atoi(m[1])
			if sps > 0 && load.legsPerSec > float64(sps) {
				out = append(out, fmt.Sprintf("sessions-per-second is %d but the plan creates up to %.0f legs per second here at its peak; "+
					"FreeSWITCH refuses legs over it (originate -ERR DESTINATION_OUT_OF_ORDER, inbound 503): raise sessions-per-second in "+
					"switch.conf.xml or run `fsctl sps %d`", sps, load.legsPerSec, roundUp(load.legsPerSec*2)))
			}
		}
	}
	status, err := conn.API(ctx, "status")
	if err != nil {
		return out
	}
	if m := statusMax.FindStringSubmatch(status); m != nil {
		maxSessions, _ := strconv.Atoi(m[1])
		if maxSessions > 0 && load.legs > float64(maxSessions) {
			out = append(out, fmt.Sprintf("max-sessions is %d but the plan's limit puts up to %.0f legs here at once; "+
				"FreeSWITCH refuses legs over it: raise max-sessions in switch.conf.xml or run `fsctl max_sessions %d`", maxSessions, load.legs, roundUp(load.legs*2)))
		}
	}
	if m := statusIdleCPU.FindStringSubmatch(status); m != nil {
		floor, _ := strconv.ParseFloat(m[1], 64)
		idle, _ := strconv.ParseFloat(m[2], 64)
		if floor > 0 && idle-floor < 20 {
			out = append(out, fmt.Sprintf("min-idle-cpu is %.0f%% and the node is %.0f%% idle before the run: FreeSWITCH refuses new calls "+
				"when idle CPU falls under it, which a load test soon does; lower min-idle-cpu in switch.conf.xml on generator nodes", floor, idle))
		}
	}
	return out
}

// warnNodeLimits prints nodeWarnings for a FreeSWITCH node at preflight.
func warnNodeLimits(ctx context.Context, env Env, p *plan.Plan, n plan.Node, conn apiConn) {
	for _, w := range nodeWarnings(ctx, conn, planLoad(p, n)) {
		fmt.Fprintf(env.Stderr, "callplan: node %s: warning: %s\n", n.Name, w)
	}
}

// roundUp rounds a suggested limit up to a round number.
func roundUp(v float64) int {
	for _, step := range []int{10, 50, 100, 500, 1000} {
		if v <= float64(step*10) {
			return int((v+float64(step)-1)/float64(step)) * step
		}
	}
	return int(v) + 1
}
