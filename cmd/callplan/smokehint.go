package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/callplan/callplan/metrics"
	"github.com/callplan/callplan/plan"
	"github.com/callplan/callplan/runner"
)

// smokeReport explains a failed smoke call to the person who has to fix
// it: what was dialled (the profile or gateway, the expanded destination,
// the proxy), what came back (the originate result, the caller leg's
// hangup cause and SIP status, whether the callee leg arrived) and what
// that most likely means. A bare "NORMAL_TEMPORARY_FAILURE" sent users
// looking at the generator when nothing was listening at the SUT address.
func smokeReport(p *plan.Plan, nodes []openNode, se *runner.SmokeError) string {
	r := &se.Record
	target := smokeTarget(p, nodes, se)
	var b strings.Builder
	fmt.Fprintf(&b, "%v on node %s\n", runner.ErrSmokeCall, se.Node)
	fmt.Fprintf(&b, "  dialled:      %s (call %s)\n", target.dialled, r.Call)
	fmt.Fprintf(&b, "  came back:    %s\n", cameBack(r))
	fmt.Fprintf(&b, "  likely cause: %s", likelyCause(r, target.addr))
	return b.String()
}

type smokeDial struct {
	dialled string // the endpoint as an originate names it
	addr    string // where the INVITE went: the proxy, else the destination's host[:port]
}

// smokeTarget renders the smoke call's endpoint from the plan, as the
// originate builder does.
func smokeTarget(p *plan.Plan, nodes []openNode, se *runner.SmokeError) smokeDial {
	var pn plan.Node
	for _, n := range nodes {
		if n.plan.Name == se.Node {
			pn = n.plan
		}
	}
	o := p.Originate
	dest := o.Destination.ExpandFor(pn, plan.Call{ID: se.Record.Call, RunID: se.Record.Run, Flow: se.Record.Flow, Stage: se.Record.Stage})
	d := smokeDial{dialled: "sofia/" + o.Profile + "/" + dest, addr: dest}
	if o.Gateway != "" {
		d.dialled, d.addr = "sofia/gateway/"+o.Gateway+"/"+dest, "gateway "+o.Gateway
	}
	if _, host, ok := strings.Cut(d.addr, "@"); ok {
		d.addr = host
	}
	if o.Proxy != "" {
		d.dialled += " via proxy " + o.Proxy
		d.addr = o.Proxy
	}
	return d
}

// cameBack is what the node reported about the call, in one line.
func cameBack(r *metrics.Record) string {
	var parts []string
	if r.OriginateResult != "" {
		parts = append(parts, "originate "+r.OriginateResult)
	} else {
		parts = append(parts, "no originate result")
	}
	if r.CallerCause != "" {
		parts = append(parts, "caller leg hung up "+r.CallerCause)
	}
	if r.SIPStatus > 0 {
		parts = append(parts, "SIP "+strconv.Itoa(r.SIPStatus))
	}
	switch {
	case r.CalleeNode != "":
		parts = append(parts, "callee leg arrived on "+r.CalleeNode)
	case !r.CallerCreate.IsZero():
		parts = append(parts, "no callee leg arrived")
	}
	if r.Reason != "" {
		parts = append(parts, "judged "+r.Reason)
	}
	return strings.Join(parts, ", ")
}

// likelyCause reads the cause the way someone who has debugged many
// loop-back set-ups would. The SIP-to-cause mapping is mod_sofia's
// (sofia_glue_sip_cause_to_freeswitch; agent/sip/cause.go has the table).
func likelyCause(r *metrics.Record, addr string) string {
	switch cause := r.Cause(); {
	case r.Reason == "originate_error":
		return "the originate command could not be built from the plan (see the CDR's originate_error field)"
	case r.Reason == "node_lost":
		return "the generator node's ESL connection dropped during the smoke call"
	case cause == "DESTINATION_OUT_OF_ORDER" && r.CallerCreate.IsZero():
		return "the generator node refused to create the leg: over its sps or max_sessions limit"
	case cause == "NORMAL_TEMPORARY_FAILURE" && r.CalleeNode == "":
		return fmt.Sprintf("nothing answered at %s (no SIP response, the port refused it, or the SUT replied 503): is the SUT running and listening there?", addr)
	case cause == "RECOVERY_ON_TIMER_EXPIRE" || cause == "NO_USER_RESPONSE" || r.SIPStatus == 408:
		return fmt.Sprintf("the INVITE to %s timed out: nothing is answering SIP there, or a firewall drops it", addr)
	case cause == "UNALLOCATED_NUMBER" || cause == "NO_ROUTE_DESTINATION":
		return "the SUT has no route for the destination: check its dialplan or routing for the number dialled"
	case cause == "CALL_REJECTED" && (r.SIPStatus == 401 || r.SIPStatus == 407):
		return "the SUT wants authentication: use a gateway with credentials, or allow the generator's address"
	case cause == "CALL_REJECTED":
		return "the SUT refused the call (403/603): check its access lists for the generator's address"
	case cause == "INCOMPATIBLE_DESTINATION":
		return "no common codec (488): check originate.codecs against what the SUT accepts"
	case cause == "USER_BUSY":
		return "the far end is busy (486): the destination reaches a user or a flow that refuses calls"
	case r.Reason == metrics.NameNoCallee && !r.CallerAnswer.IsZero():
		return "the call was answered but never came back to a callee node: the SUT answers it itself; route it back to a node"
	case r.Reason == metrics.NameNoCallee:
		return "the call left the node but never came back to any node: route the destination back to a node of the plan, keeping the X-callplan-call header"
	}
	return "see the call's record in cdr.jsonl for the full detail"
}
