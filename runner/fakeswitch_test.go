package runner

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/callplan/callplan/esl"
	"github.com/callplan/callplan/flows"
)

// fakeCluster is an in-memory stand-in for FreeSWITCH nodes and the SUT
// between them, behaving as esl-reference sections 3-4 describe for the
// commands the runner sends: an originate to "user@<node name>" creates the
// caller leg on the originating node and a parked callee leg on the named
// node; uuid_answer, uuid_ring_ready, uuid_pre_answer, respond, uuid_kill
// and hupall produce the events FreeSWITCH would. Destinations naming no
// node are a black hole: the caller leg rings until originate_timeout.
// It is a fake at the Conn interface boundary; the embedded agent is the
// real peer in the e2e tests.
type fakeCluster struct {
	mu    sync.Mutex
	nodes map[string]*fakeNode
	legs  map[string]*fakeLeg
	delay time.Duration // SUT transit time for an INVITE
}

type fakeLeg struct {
	id, other, job string
	node           *fakeNode
	outbound       bool
	answered, up   bool
	vars           map[string]string
	timeout        *time.Timer
}

func newFakeCluster() *fakeCluster {
	return &fakeCluster{nodes: map[string]*fakeNode{}, legs: map[string]*fakeLeg{}}
}

type fakeNode struct {
	cl   *fakeCluster
	name string
	// replyDelay stretches every command reply (an overloaded node).
	replyDelay time.Duration
	// refuse makes every originate fail at once with this cause.
	refuse string
	down   bool
	cmds   []string

	smu  sync.Mutex
	subs []*fakeConn
}

// fakeConn is one ESL connection to a fake node: commands go to the node,
// and every event the node emits is queued for every connection.
type fakeConn struct {
	*fakeNode
	qmu    sync.Mutex
	queue  []ConnEvent
	wake   chan struct{}
	out    chan ConnEvent
	closed chan struct{}
	once   sync.Once
}

func (cl *fakeCluster) node(name string) *fakeNode {
	n := &fakeNode{cl: cl, name: name}
	cl.mu.Lock()
	cl.nodes[name] = n
	cl.mu.Unlock()
	return n
}

// spec opens a new connection to the node and describes it.
func (n *fakeNode) spec() NodeSpec {
	c := &fakeConn{fakeNode: n, wake: make(chan struct{}, 1), out: make(chan ConnEvent), closed: make(chan struct{})}
	n.smu.Lock()
	n.subs = append(n.subs, c)
	n.smu.Unlock()
	go c.deliver()
	return NodeSpec{Name: n.name, Conn: c, Caller: true, Callee: true, SIPHost: n.name}
}

func (c *fakeConn) deliver() {
	defer close(c.out)
	for {
		c.qmu.Lock()
		if len(c.queue) == 0 {
			c.qmu.Unlock()
			select {
			case <-c.wake:
				continue
			case <-c.closed:
				return
			}
		}
		ev := c.queue[0]
		c.queue = c.queue[1:]
		c.qmu.Unlock()
		select {
		case c.out <- ev:
		case <-c.closed:
			return
		}
	}
}

func (n *fakeNode) push(ev ConnEvent) {
	n.smu.Lock()
	subs := append([]*fakeConn(nil), n.subs...)
	n.smu.Unlock()
	for _, c := range subs {
		c.qmu.Lock()
		c.queue = append(c.queue, ev)
		c.qmu.Unlock()
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
}

func (c *fakeConn) Events() <-chan ConnEvent { return c.out }

func (c *fakeConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}

// emit sends a channel event about leg l (called with cl.mu held).
func (n *fakeNode) emit(name string, l *fakeLeg, extra ...string) {
	if n.down {
		return
	}
	hs := esl.Headers{
		{Name: "Event-Name", Value: name},
		{Name: "Event-Date-Timestamp", Value: strconv.FormatInt(time.Now().UnixMicro(), 10)},
	}
	if l != nil {
		dir := "inbound"
		if l.outbound {
			dir = "outbound"
		}
		hs = append(hs, esl.Header{Name: "Unique-ID", Value: l.id}, esl.Header{Name: "Call-Direction", Value: dir})
		for k, v := range l.vars {
			hs = append(hs, esl.Header{Name: "variable_" + k, Value: v})
		}
	}
	for i := 0; i+1 < len(extra); i += 2 {
		hs = append(hs, esl.Header{Name: extra[i], Value: extra[i+1]})
	}
	n.push(ConnEvent{Event: esl.NewEvent(hs, "")})
}

func (n *fakeNode) job(id, body string) {
	if n.down || id == "" {
		return
	}
	n.push(ConnEvent{Event: esl.NewEvent(esl.Headers{
		{Name: "Event-Name", Value: "BACKGROUND_JOB"}, {Name: "Job-UUID", Value: id},
		{Name: "Event-Date-Timestamp", Value: strconv.FormatInt(time.Now().UnixMicro(), 10)},
	}, body+"\n")})
}

func (n *fakeNode) heartbeat(sessions, maxSessions int, idle float64) {
	n.push(ConnEvent{Event: esl.NewEvent(esl.Headers{
		{Name: "Event-Name", Value: "HEARTBEAT"},
		{Name: "Session-Count", Value: strconv.Itoa(sessions)},
		{Name: "Max-Sessions", Value: strconv.Itoa(maxSessions)},
		{Name: "Idle-CPU", Value: strconv.FormatFloat(idle, 'f', 6, 64)},
	}, "")})
}

// kill drops the node's ESL connection; restore brings it back.
func (n *fakeNode) kill() {
	n.cl.mu.Lock()
	n.down = true
	n.cl.mu.Unlock()
	n.push(ConnEvent{Down: true, Err: errors.New("connection reset")})
}

var errFakeDown = errors.New("esl connection down")

func (n *fakeNode) wait(ctx context.Context) error {
	if n.replyDelay <= 0 {
		return nil
	}
	t := time.NewTimer(n.replyDelay)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (n *fakeNode) BgAPI(ctx context.Context, cmd, job string) error {
	if err := n.wait(ctx); err != nil {
		return err
	}
	cl := n.cl
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if n.down {
		return errFakeDown
	}
	rest, ok := strings.CutPrefix(cmd, "originate {")
	if !ok {
		return fmt.Errorf("fake: unsupported bgapi %q", cmd)
	}
	varsText, rest, _ := strings.Cut(rest, "}")
	vars := map[string]string{}
	for _, kv := range strings.Split(varsText, ",") {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	if n.refuse != "" {
		n.job(job, "-ERR "+n.refuse)
		return nil
	}
	endpoint, _, _ := strings.Cut(rest, " ")
	_, dest, _ := strings.Cut(strings.TrimPrefix(endpoint, "sofia/external/"), "@")
	id := vars["origination_uuid"]
	out := &fakeLeg{id: id, job: job, node: n, outbound: true, up: true, vars: vars}
	cl.legs[id] = out
	n.emit("CHANNEL_CREATE", out)
	timeout, _ := strconv.Atoi(vars["originate_timeout"])
	if timeout == 0 {
		timeout = 60
	}
	out.timeout = time.AfterFunc(time.Duration(timeout)*time.Second, func() {
		cl.mu.Lock()
		defer cl.mu.Unlock()
		if out.up && !out.answered {
			cl.hangup(out, "NO_ANSWER", "", true)
		}
	})
	target := cl.nodes[dest]
	if target == nil {
		return nil // black hole
	}
	deliver := func() {
		cl.mu.Lock()
		defer cl.mu.Unlock()
		if !out.up {
			return
		}
		in := &fakeLeg{id: fmt.Sprintf("in-%s", id), other: id, node: target, up: true, vars: map[string]string{
			"sip_h_X-callplan-call": vars["sip_h_X-callplan-call"],
			"sip_h_X-callplan-run":  vars["sip_h_X-callplan-run"],
		}}
		out.other = in.id
		cl.legs[in.id] = in
		target.emit("CHANNEL_CREATE", in)
		target.emit("CHANNEL_PARK", in)
	}
	if cl.delay > 0 {
		time.AfterFunc(cl.delay, deliver)
	} else {
		go deliver()
	}
	return nil
}

// hangup ends leg l with cause, and its peer as FreeSWITCH would: after
// answer the peer gets a BYE (NORMAL_CLEARING); before answer a killed
// caller CANCELs (callee ORIGINATOR_CANCEL) and a refusing callee sends
// the cause's SIP code (caller gets the code's cause). Called with cl.mu
// held.
func (cl *fakeCluster) hangup(l *fakeLeg, cause, sip string, peerToo bool) {
	if !l.up {
		return
	}
	l.up = false
	if l.timeout != nil {
		l.timeout.Stop()
	}
	extra := []string{"Hangup-Cause", cause}
	if sip != "" {
		extra = append(extra, "variable_sip_term_status", sip)
	}
	l.node.emit("CHANNEL_HANGUP_COMPLETE", l, extra...)
	delete(cl.legs, l.id)
	peer := cl.legs[l.other]
	if l.outbound && !l.answered {
		l.node.job(l.job, "-ERR "+cause)
	}
	if peer == nil || !peerToo {
		return
	}
	switch {
	case l.answered:
		cl.hangup(peer, "NORMAL_CLEARING", "200", false)
	case l.outbound:
		cl.hangup(peer, "ORIGINATOR_CANCEL", "487", false)
	default:
		code := flows.CauseToSIP(cause)
		cl.hangup(peer, flows.SIPToCause(code), strconv.Itoa(code), false)
	}
}

func (n *fakeNode) API(ctx context.Context, cmd string) (string, error) {
	if err := n.wait(ctx); err != nil {
		return "", err
	}
	cl := n.cl
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if n.down {
		return "", errFakeDown
	}
	if strings.HasPrefix(cmd, "hupall") {
		n.cmds = append(n.cmds, cmd) // kept for the tests; other commands are not, so long runs stay flat
	}
	f := strings.Fields(cmd)
	leg := func() *fakeLeg {
		if len(f) < 2 {
			return nil
		}
		if l := cl.legs[f[1]]; l != nil && l.node == n {
			return l
		}
		return nil
	}
	switch f[0] {
	case "version":
		return "FreeSWITCH Version 1.10.12-release~64bit (fake)", nil
	case "status":
		return "UP 0 years\nFreeSWITCH (Version 1.10.12-release  64bit) is ready\n0 session(s) since startup\n0 session(s) - peak 0, last 5min 0 \n0 session(s) per Sec out of max 30, peak 0, last 5min 0 \n1000 session(s) max\nmin idle cpu 0.00/99.00\n", nil
	case "sofia":
		if len(f) == 4 && f[3] == "external" {
			return "=================\nName             \texternal\n", nil
		}
		return "Invalid Profile!\n", nil
	case "uuid_answer", "uuid_ring_ready", "uuid_pre_answer":
		l := leg()
		if l == nil || !l.up {
			return "-ERROR\n", nil
		}
		peer := cl.legs[l.other]
		name := map[string]string{"uuid_answer": "CHANNEL_ANSWER", "uuid_ring_ready": "CHANNEL_PROGRESS", "uuid_pre_answer": "CHANNEL_PROGRESS_MEDIA"}[f[0]]
		if name == "CHANNEL_ANSWER" {
			l.answered = true
		}
		l.node.emit(name, l)
		if peer != nil && peer.up {
			if name == "CHANNEL_ANSWER" {
				peer.answered = true
			}
			peer.node.emit(name, peer)
			if name == "CHANNEL_ANSWER" {
				peer.node.job(peer.job, "+OK "+peer.id)
			}
		}
		return "+OK\n", nil
	case "uuid_kill":
		l := leg()
		if l == nil || !l.up {
			return "-ERR No such channel!\n", nil
		}
		cause := "NORMAL_CLEARING"
		if len(f) > 2 {
			cause = f[2]
		}
		cl.hangup(l, cause, "", true)
		return "+OK\n", nil
	case "uuid_broadcast":
		l := leg()
		if l == nil || !l.up {
			return "-ERR invalid uuid\n", nil
		}
		if code, ok := strings.CutPrefix(f[2], "respond::"); ok {
			c, _ := strconv.Atoi(code)
			cl.hangup(l, flows.SIPToCause(c), "", false)
			if peer := cl.legs[l.other]; peer != nil {
				cl.hangup(peer, flows.SIPToCause(c), code, false)
			}
		}
		return "+OK Message sent\n", nil
	case "hupall":
		// hupall CAUSE var value: both legs carry the run's X-header.
		if len(f) < 4 {
			return "-USAGE: hupall\n", nil
		}
		for _, l := range cl.legs {
			if l.node == n && l.up && l.vars[f[2]] == f[3] {
				cl.hangup(l, f[1], "", true)
			}
		}
		return fmt.Sprintf("+OK hangup all channels matching [%s]=[%s] with cause: %s\n", f[2], f[3], f[1]), nil
	}
	return fmt.Sprintf("-ERR %s Command not found!\n", f[0]), nil
}

// legsUp counts live legs whose run variable is run.
func (cl *fakeCluster) legsUp(run string) int {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	k := 0
	for _, l := range cl.legs {
		if l.up && l.vars["sip_h_X-callplan-run"] == run {
			k++
		}
	}
	return k
}
