package main

import "github.com/callplan/callplan/plan"

// calleeNames are the plan's nodes that receive calls: the collector
// counts each call's callee node among them, zeros for any never reached.
func calleeNames(p *plan.Plan) []string {
	var out []string
	for _, n := range p.Nodes {
		if n.CanReceive() {
			out = append(out, n.Name)
		}
	}
	return out
}
