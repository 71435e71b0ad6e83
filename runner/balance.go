package runner

// least_loaded steers by the figures a stateful balancer uses (OpenSIPS's
// load_balancer with fetch_freeswitch_stats reads FreeSWITCH's HEARTBEAT:
// Session-Count and Max-Sessions, sent by send_heartbeat in FreeSWITCH's
// src/switch_core.c; esl/testdata/fixtures/04-heartbeat.txt) together with
// the runner's own count of this run's legs on each node, which is exact
// and current. A heartbeat is up to its interval old (2 s on the agent,
// 20 s on FreeSWITCH by default), so its Session-Count is not compared with
// the legs directly: taking the larger of the two, a node whose calls just
// ended would still look as busy as at the last heartbeat and be passed
// over. Instead the heartbeat only says how much the node carries besides
// this run's legs (other runs, calls the SUT sent there from elsewhere):
// its Session-Count less the legs the run had there when it was sent.

// foreign is the node's sessions that are not this run's legs, as of its
// last heartbeat.
func (n *node) foreign() int { return max(n.hbSessions-n.hbOwn, 0) }
