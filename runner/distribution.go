package runner

import "github.com/callplan/callplan/metrics"

// heartbeatFigures are the node's last HEARTBEAT figures for the time
// series, so a report shows whether a balancer in front of the nodes
// followed their load.
func (n *node) heartbeatFigures() metrics.Heartbeat {
	return metrics.Heartbeat{SessionCount: n.hbSessions, MaxSessions: n.hbMax, IdleCPU: n.idleCPU}
}
