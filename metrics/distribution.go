package metrics

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
)

// Distribution: where calls landed. A load balancer in front of callee
// nodes is judged by how evenly it spreads calls among them (the OpenSIPS
// talk in ../shared/seeds/003: stateless dispatching spreads calls unevenly,
// channel-aware balancing evens them out). The callee node of a call is
// the node its inbound leg arrived on (Record.CalleeNode).

// CalleeNode is one callee node's part of a group's calls.
type CalleeNode struct {
	// Received counts calls whose inbound leg arrived on the node.
	Received int64 `json:"received" expr:"received"`
	// Answered counts received calls that were answered (callee or caller
	// leg).
	Answered int64 `json:"answered" expr:"answered"`
	// Failed counts received calls that did not end as their flow expects.
	Failed int64 `json:"failed" expr:"failed"`
	// Share is Received over the calls every callee node of the group
	// received together, 0..1; the shares of a group sum to 1 (0 when no
	// call reached a callee node).
	Share float64 `json:"share" expr:"share"`
}

// CalleeSecond is one callee node in one second of the series.
type CalleeSecond struct {
	Received int64 `json:"received"`
	Answered int64 `json:"answered"`
	Failed   int64 `json:"failed"`
	// Active is the node's calls in progress at the end of the second,
	// MaxActive the most at any instant in it (run-level seconds only;
	// 0 in a flow's or node's share of a second).
	Active    int64 `json:"active"`
	MaxActive int64 `json:"max_active"`
}

// Heartbeat is the last HEARTBEAT a node sent in a second: the figures a
// stateful balancer steers by (Session-Count, Max-Sessions, Idle-CPU).
type Heartbeat struct {
	SessionCount int     `json:"session_count"`
	MaxSessions  int     `json:"max_sessions"`
	IdleCPU      float64 `json:"idle_cpu"`
}

// Imbalance is max share ÷ mean share − 1 over the nodes: 0 when every
// node received the same number of calls, 0.5 when the busiest received
// half as many again as the mean, len(nodes)−1 when one node received
// everything. Nodes that received nothing count (their share is 0). With
// no call received anywhere it is 0: nothing is uneven yet.
func Imbalance(nodes map[string]CalleeNode) float64 {
	var total, most int64
	for _, n := range nodes {
		total += n.Received
		most = max(most, n.Received)
	}
	if total == 0 || len(nodes) == 0 {
		return 0
	}
	// mean share is 1/len(nodes), so max/mean = most/total * len(nodes).
	return float64(most)*float64(len(nodes))/float64(total) - 1
}

// withShares fills every node's Share and returns the nodes' imbalance.
func withShares(nodes map[string]CalleeNode) float64 {
	var total int64
	for _, n := range nodes {
		total += n.Received
	}
	for k, n := range nodes {
		n.Share = 0
		if total > 0 {
			n.Share = float64(n.Received) / float64(total)
		}
		nodes[k] = n
	}
	return Imbalance(nodes)
}

// WithCalleeNodes names the nodes calls may land on (the plan's nodes that
// receive calls), so a node that received nothing reads zeros and counts in
// the imbalance. Nodes not named here appear once a call lands on them.
func WithCalleeNodes(names ...string) Option {
	return func(c *Collector) {
		for _, n := range names {
			if n != "" && !slices.Contains(c.dist.declared, n) {
				c.dist.declared = append(c.dist.declared, n)
			}
		}
		slices.Sort(c.dist.declared)
	}
}

// NodeSeriesCSVFile is the per-node time series: one row per node per
// second in which the node received, ended or carried calls, or sent a
// heartbeat.
const NodeSeriesCSVFile = "timeseries_nodes.csv"

// WithNodeSeries writes timeseries_nodes.csv rows to w as each second ends.
func WithNodeSeries(w io.Writer) Option {
	return func(c *Collector) { c.dist.csv = csv.NewWriter(w) }
}

// scope is one group the distribution is kept for: the run (kind 0), a
// stage ('s'), a flow ('f') or a caller node ('n').
type scope struct {
	kind byte
	name string
}

// distribution counts calls per callee node for every group and for the
// open second. Guarded by the Collector's mutex.
type distribution struct {
	declared []string
	totals   map[scope]map[string]*CalleeNode
	sec      map[scope]map[string]*CalleeSecond
	active   map[string]int64    // calls in progress per callee node
	landed   map[string]struct{} // calls counted received whose record has not ended
	beats    map[string]Heartbeat
	faults   []FaultMark // faults.go
	csv      *csv.Writer
	header   bool
}

func newDistribution() distribution {
	return distribution{
		totals: map[scope]map[string]*CalleeNode{}, sec: map[scope]map[string]*CalleeSecond{},
		active: map[string]int64{}, landed: map[string]struct{}{}, beats: map[string]Heartbeat{},
	}
}

func scopesOf(buf *[4]scope, r *Record) []scope {
	out := append(buf[:0], scope{})
	for _, s := range [...]scope{{'s', r.Stage}, {'f', r.Flow}, {'n', r.CallerNode}} {
		if s.name != "" {
			out = append(out, s)
		}
	}
	return out
}

func (d *distribution) total(s scope, node string) *CalleeNode {
	m := d.totals[s]
	if m == nil {
		m = map[string]*CalleeNode{}
		d.totals[s] = m
	}
	n := m[node]
	if n == nil {
		n = &CalleeNode{}
		m[node] = n
	}
	return n
}

func (d *distribution) second(s scope, node string) *CalleeSecond {
	m := d.sec[s]
	if m == nil {
		m = map[string]*CalleeSecond{}
		d.sec[s] = m
	}
	n := m[node]
	if n == nil {
		n = &CalleeSecond{}
		if s.kind == 0 {
			n.MaxActive = d.active[node]
		}
		m[node] = n
	}
	return n
}

// received counts r's callee leg as arrived.
func (d *distribution) received(r *Record) {
	var buf [4]scope
	for _, s := range scopesOf(&buf, r) {
		d.total(s, r.CalleeNode).Received++
		d.second(s, r.CalleeNode).Received++
	}
}

// Landed records that a call's inbound leg arrived on r.CalleeNode, as it
// happens: the callee node's received count and live calls go up now, not
// when the call ends. Calls ended through End without Landed are counted
// received when they end.
func (c *Collector) Landed(r *Record) {
	if r.CalleeNode == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.roll(c.clock())
	d := &c.dist
	if _, ok := d.landed[r.Call]; ok {
		return
	}
	d.landed[r.Call] = struct{}{}
	d.active[r.CalleeNode]++
	d.received(r)
	b := d.second(scope{}, r.CalleeNode)
	b.MaxActive = max(b.MaxActive, d.active[r.CalleeNode])
	// The flow's and caller node's buckets of this second exist while the
	// call is in progress; make sure they do for the seal.
	c.flow(r.Flow)
	c.node(r.CallerNode)
}

// Heartbeat records a node's HEARTBEAT figures in the current second.
func (c *Collector) Heartbeat(node string, hb Heartbeat) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.roll(c.clock())
	c.dist.beats[node] = hb
}

// ended takes a finished call's record (under the Collector's mutex).
func (d *distribution) ended(r *Record) {
	if r.CalleeNode == "" {
		return
	}
	d.second(scope{}, r.CalleeNode) // opens with the level before this end
	if _, ok := d.landed[r.Call]; ok {
		delete(d.landed, r.Call)
		if d.active[r.CalleeNode] > 0 {
			d.active[r.CalleeNode]--
		}
	} else {
		d.received(r)
	}
	answered := !r.CalleeAnswer.IsZero() || r.Answered()
	failed := r.Outcome == OutcomeFailed
	var buf [4]scope
	for _, s := range scopesOf(&buf, r) {
		t, b := d.total(s, r.CalleeNode), d.second(s, r.CalleeNode)
		if answered {
			t.Answered++
			b.Answered++
		}
		if failed {
			t.Failed++
			b.Failed++
		}
	}
}

// nodesOf returns a scope's callee nodes, the declared ones included.
func (d *distribution) nodesOf(s scope) map[string]CalleeNode {
	out := make(map[string]CalleeNode, len(d.declared)+len(d.totals[s]))
	for _, n := range d.declared {
		out[n] = CalleeNode{}
	}
	for k, n := range d.totals[s] {
		out[k] = *n
	}
	return out
}

// fill sets the callee nodes and imbalance of every group of a summary.
func (d *distribution) fill(s *Summary) {
	s.Faults = append([]FaultMark(nil), d.faults...)
	s.CalleeNodes = d.nodesOf(scope{})
	s.Imbalance = withShares(s.CalleeNodes)
	for _, x := range []struct {
		kind byte
		m    map[string]Group
	}{{'s', s.Stages}, {'f', s.Flows}, {'n', s.Nodes}} {
		for k, g := range x.m {
			g.CalleeNodes = d.nodesOf(scope{x.kind, k})
			g.Imbalance = withShares(g.CalleeNodes)
			x.m[k] = g
		}
	}
}

// secondOf returns a scope's callee nodes in the open second, declared
// ones included.
func (d *distribution) secondOf(s scope) map[string]CalleeSecond {
	out := make(map[string]CalleeSecond, len(d.declared)+len(d.sec[s]))
	for _, n := range d.declared {
		out[n] = CalleeSecond{}
	}
	for k, b := range d.sec[s] {
		out[k] = *b
	}
	return out
}

// seal puts the open second's distribution into s (the run's second,
// with its per-flow and per-node seconds), writes its node rows, and
// starts the next second.
func (d *distribution) seal(s *Second) error {
	run := d.secondOf(scope{})
	for k, a := range d.active {
		b := run[k]
		b.Active = a
		b.MaxActive = max(b.MaxActive, a)
		run[k] = b
	}
	if len(run) > 0 {
		s.Callees = run
	}
	if len(d.beats) > 0 {
		s.Heartbeats = d.beats
	}
	for _, x := range []struct {
		kind byte
		m    map[string]Second
	}{{'f', s.Flows}, {'n', s.Nodes}} {
		for k, sub := range x.m {
			if cs := d.secondOf(scope{x.kind, k}); len(cs) > 0 {
				sub.Callees = cs
				x.m[k] = sub
			}
		}
	}
	err := d.writeRows(s)
	d.sec = map[scope]map[string]*CalleeSecond{}
	d.beats = map[string]Heartbeat{}
	return err
}

// nodeSeriesHeader is timeseries_nodes.csv's header. session_count,
// max_sessions and idle_cpu are empty in a second without a heartbeat from
// the node.
var nodeSeriesHeader = []string{
	"t", "stage", "node", "received", NameAnswered, NameFailed, NameActive,
	"session_count", "max_sessions", "idle_cpu",
}

func (d *distribution) writeRows(s *Second) error {
	if d.csv == nil {
		return nil
	}
	if !d.header {
		d.header = true
		if err := d.csv.Write(nodeSeriesHeader); err != nil {
			return fmt.Errorf("writing node series: %w", err)
		}
	}
	names := map[string]bool{}
	for k := range s.Callees {
		names[k] = true
	}
	for k := range s.Heartbeats {
		names[k] = true
	}
	i := func(v int64) string { return strconv.FormatInt(v, 10) }
	for _, n := range sortedKeys(names) {
		b := s.Callees[n]
		row := []string{strconv.Itoa(s.Index), s.Stage, n, i(b.Received), i(b.Answered), i(b.Failed), i(b.Active), "", "", ""}
		if hb, ok := s.Heartbeats[n]; ok {
			row[7], row[8] = strconv.Itoa(hb.SessionCount), strconv.Itoa(hb.MaxSessions)
			row[9] = strconv.FormatFloat(hb.IdleCPU, 'f', 1, 64)
		}
		if err := d.csv.Write(row); err != nil {
			return fmt.Errorf("writing node series: %w", err)
		}
	}
	d.csv.Flush()
	if err := d.csv.Error(); err != nil {
		return fmt.Errorf("writing node series: %w", err)
	}
	return nil
}

// windowDistribution merges the seconds' callee nodes into a window's
// figures: counts summed, shares and imbalance over the window.
func windowDistribution(secs []Second) (map[string]CalleeNode, float64) {
	out := map[string]CalleeNode{}
	for _, s := range secs {
		for k, b := range s.Callees {
			n := out[k]
			n.Received += b.Received
			n.Answered += b.Answered
			n.Failed += b.Failed
			out[k] = n
		}
	}
	if len(out) == 0 {
		return nil, 0
	}
	return out, withShares(out)
}
