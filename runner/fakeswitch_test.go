package runner

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callplan/callplan/flows"
	"github.com/callplan/callplan/internal/hangup"
)

// fakeCluster is an in-memory stand-in for generator nodes and the SUT
// between them, at the Driver interface: an origination to
// "user@<node name>" creates the caller leg on the originating node and a
// parked callee leg on the named node; answer, ring_ready, pre_answer,
// respond, hangup and EndRun produce the events a node would (as the
// captures under esl/testdata/fixtures show FreeSWITCH doing).
// Destinations naming no node are a black hole: the caller leg rings until
// its timeout. The ESL driver's own tests and the e2e tests against the
// agent cover the wire.
type fakeCluster struct {
	mu      sync.Mutex
	drivers []*fakeDriver
	nodes   map[string]*fakeNode
	legs    map[string]*fakeLeg
	delay   time.Duration // SUT transit time for an INVITE
}

type fakeLeg struct {
	id, other, call, run string
	node                 *fakeNode
	outbound             bool
	answered, up, parked bool
	timeout              *time.Timer
}

// newFakeCluster makes a cluster whose connections t's cleanup closes.
func newFakeCluster(t testing.TB) *fakeCluster {
	cl := &fakeCluster{nodes: map[string]*fakeNode{}, legs: map[string]*fakeLeg{}}
	t.Cleanup(func() {
		cl.mu.Lock()
		ds := cl.drivers
		cl.mu.Unlock()
		for _, d := range ds {
			_ = d.Close()
		}
	})
	return cl
}

type fakeNode struct {
	cl   *fakeCluster
	name string
	// replyDelay stretches every reply (an overloaded node).
	replyDelay time.Duration
	// refuse makes every originate fail at once with this cause.
	refuse string
	down   bool
	ends   []string // EndRun calls, "CAUSE RUN"
	// loseUnparked makes the node lose every action but a hangup sent to
	// a caller leg that has not parked, as FreeSWITCH loses an execute
	// sent to a leg still originating (ready.go); acts logs each action
	// on a caller leg, "kind" or "kind lost", unless noActLog (the heap
	// benchmark: 16 bytes a call, 17 MB in a 1 000 000-call profile).
	loseUnparked bool
	acts         []string
	noActLog     bool
	// parkAfter delays a caller leg's park past its answer or 183, as on
	// a loaded node; neverPark leaves it unparked (an originate app other
	// than park).
	parkAfter time.Duration
	neverPark bool

	smu    sync.Mutex
	subs   []*fakeDriver
	health Health
}

// fakeDriver is one connection to a fake node: actions go to the node, and
// every event the node emits is queued for every connection.
type fakeDriver struct {
	*fakeNode
	q *eventQueue
}

var _ Driver = (*fakeDriver)(nil)

// CallerParks: the fake's caller legs park once their originate returns,
// as FreeSWITCH's do with &park().
func (d *fakeDriver) CallerParks() bool { return true }

func (cl *fakeCluster) node(name string) *fakeNode {
	n := &fakeNode{cl: cl, name: name, health: UnknownHealth()}
	cl.mu.Lock()
	cl.nodes[name] = n
	cl.mu.Unlock()
	return n
}

// spec opens a new connection to the node and describes it.
func (n *fakeNode) spec() NodeSpec {
	d := &fakeDriver{fakeNode: n, q: newEventQueue()}
	n.smu.Lock()
	n.subs = append(n.subs, d)
	n.smu.Unlock()
	n.cl.mu.Lock()
	n.cl.drivers = append(n.cl.drivers, d)
	n.cl.mu.Unlock()
	return NodeSpec{Name: n.name, Driver: d, Caller: true, Callee: true, SIPHost: n.name}
}

func (n *fakeNode) push(ev LegEvent) {
	ev.Received = time.Now()
	n.smu.Lock()
	subs := append([]*fakeDriver(nil), n.subs...)
	n.smu.Unlock()
	for _, d := range subs {
		d.q.push(ev)
	}
}

func (d *fakeDriver) Events() <-chan LegEvent { return d.q.events() }

func (d *fakeDriver) Close() error {
	d.q.close()
	return nil
}

func (d *fakeDriver) Health() Health {
	d.smu.Lock()
	defer d.smu.Unlock()
	return d.health
}

// emit sends an event about leg l (called with cl.mu held).
func (n *fakeNode) emit(kind EventKind, l *fakeLeg, mod ...func(*LegEvent)) {
	if n.down {
		return
	}
	ev := LegEvent{Kind: kind, LegID: l.id, Leg: flows.LegCaller, NodeTime: time.Now()}
	if !l.outbound {
		ev.Leg = flows.LegCallee
	}
	for _, m := range mod {
		m(&ev)
	}
	n.push(ev)
}

func (n *fakeNode) job(call, result string) {
	if n.down {
		return
	}
	ev := LegEvent{Kind: EventJobResult, CallID: call, Result: result, NodeTime: time.Now()}
	if ev.Failed = strings.HasPrefix(result, "-"); ev.Failed {
		ev.Cause = strings.TrimPrefix(result, "-ERR ")
	}
	n.push(ev)
}

func (n *fakeNode) heartbeat(sessions, maxSessions int, idle float64) {
	h := Health{Sessions: sessions, MaxSessions: maxSessions, IdleCPU: idle}
	n.smu.Lock()
	n.health = h
	n.smu.Unlock()
	n.push(LegEvent{Kind: EventHeartbeat, Health: h})
}

// kill drops the node's connection.
func (n *fakeNode) kill() {
	n.cl.mu.Lock()
	n.down = true
	n.cl.mu.Unlock()
	n.push(LegEvent{Kind: EventNodeDown, Err: errors.New("connection reset")})
}

var errFakeDown = errors.New("connection down")

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

// lockUp answers a command as a node would: after its reply delay, with
// the cluster locked (the caller unlocks it), or an error when the
// connection is down.
func (n *fakeNode) lockUp(ctx context.Context) (*fakeCluster, error) {
	if err := n.wait(ctx); err != nil {
		return nil, err
	}
	n.cl.mu.Lock()
	if n.down {
		n.cl.mu.Unlock()
		return nil, errFakeDown
	}
	return n.cl, nil
}

func (n *fakeNode) Originate(ctx context.Context, o Origination) error {
	cl, err := n.lockUp(ctx)
	if err != nil {
		return err
	}
	defer cl.mu.Unlock()
	if n.refuse != "" {
		n.job(o.CallID, "-ERR "+n.refuse)
		return nil
	}
	out := &fakeLeg{id: o.CallID, call: o.CallID, run: o.RunID, node: n, outbound: true, up: true}
	cl.legs[out.id] = out
	n.emit(EventCreated, out)
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	out.timeout = time.AfterFunc(timeout, func() {
		cl.mu.Lock()
		defer cl.mu.Unlock()
		if out.up && !out.answered {
			cl.hangup(out, "NO_ANSWER", 0, true)
		}
	})
	_, dest, _ := strings.Cut(o.Destination, "@")
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
		in := &fakeLeg{id: "in-" + out.id, other: out.id, call: out.call, run: out.run, node: target, up: true}
		out.other = in.id
		cl.legs[in.id] = in
		target.emit(EventCreated, in, func(ev *LegEvent) { ev.CallID, ev.RunID = in.call, in.run })
		target.emit(EventParked, in)
	}
	if cl.delay > 0 {
		time.AfterFunc(cl.delay, deliver)
	} else {
		go deliver()
	}
	return nil
}

// park parks caller leg l once, at once or after its node's parkAfter.
// Called with cl.mu held.
func (cl *fakeCluster) park(l *fakeLeg) {
	n := l.node
	if l.parked || n.neverPark {
		return
	}
	if n.parkAfter <= 0 {
		l.parked = true
		n.emit(EventParked, l)
		return
	}
	time.AfterFunc(n.parkAfter, func() {
		cl.mu.Lock()
		defer cl.mu.Unlock()
		if l.up && !l.parked {
			l.parked = true
			n.emit(EventParked, l)
		}
	})
}

// answeredLegStats are the end-of-call media figures every answered fake
// leg reports: 50 packets received, 1 lost, MOS 4.40, jitter 2.5 ms.
var answeredLegStats = flows.MediaStats{{Name: "rtp_audio_in_media_packet_count", Value: "50"}, {Name: "rtp_audio_in_flaw_total", Value: "1"},
	{Name: "rtp_audio_in_mos", Value: "4.40"}, {Name: "rtp_audio_in_jitter_ms", Value: "2.50"}}

// hangup ends leg l with cause, and its peer as a SIP node would: after
// answer the peer gets a BYE (NORMAL_CLEARING); before answer a killed
// caller CANCELs (callee ORIGINATOR_CANCEL) and a refusing callee sends
// the cause's SIP code (caller gets the code's cause). Called with cl.mu
// held.
func (cl *fakeCluster) hangup(l *fakeLeg, cause string, sip int, peerToo bool) {
	if !l.up {
		return
	}
	l.up = false
	if l.timeout != nil {
		l.timeout.Stop()
	}
	l.node.emit(EventHungUp, l, func(ev *LegEvent) {
		ev.Cause, ev.SIPStatus = cause, sip
		if l.answered {
			// An answered leg heard audio, as on a node playing media.
			ev.Stats = answeredLegStats
		}
	})
	delete(cl.legs, l.id)
	peer := cl.legs[l.other]
	if l.outbound && !l.answered {
		l.node.job(l.call, "-ERR "+cause)
	}
	if peer == nil || !peerToo {
		return
	}
	switch {
	case l.answered:
		cl.hangup(peer, "NORMAL_CLEARING", 200, false)
	case l.outbound:
		cl.hangup(peer, "ORIGINATOR_CANCEL", 487, false)
	default:
		c, _ := hangup.ByName(cause)
		code := c.SIPStatus()
		cl.hangup(peer, hangup.ForSIPStatus(code).String(), code, false)
	}
}

func (n *fakeNode) Act(ctx context.Context, legID string, a Action) error {
	cl, err := n.lockUp(ctx)
	if err != nil {
		return err
	}
	defer cl.mu.Unlock()
	l := cl.legs[legID]
	if l == nil || l.node != n || !l.up {
		return fmt.Errorf("%s: %w: -ERR No such channel!", a.Kind, ErrRefused)
	}
	if l.outbound {
		lost := n.loseUnparked && !l.parked && a.Kind != ActHangup
		if !n.noActLog {
			n.acts = append(n.acts, a.Kind.String()+map[bool]string{true: " lost"}[lost])
		}
		if lost {
			return nil
		}
	}
	switch a.Kind {
	case ActAnswer, ActRingReady, ActPreAnswer:
		kind := map[ActionKind]EventKind{ActAnswer: EventAnswered, ActRingReady: EventProgress, ActPreAnswer: EventEarlyMedia}[a.Kind]
		l.answered = l.answered || kind == EventAnswered
		l.node.emit(kind, l)
		if peer := cl.legs[l.other]; peer != nil && peer.up {
			peer.answered = peer.answered || kind == EventAnswered
			peer.node.emit(kind, peer)
			if kind == EventAnswered && peer.outbound {
				peer.node.job(peer.call, "+OK "+peer.id)
			}
			if peer.outbound && kind != EventProgress {
				// The caller leg parks at the answer, or at the 183 with
				// early media (fixtures 01, 09).
				cl.park(peer)
			}
		}
	case ActHangup:
		cl.hangup(l, a.Cause, 0, true)
	case ActRespond:
		cause := hangup.ForSIPStatus(a.Code).String()
		cl.hangup(l, cause, 0, false)
		if peer := cl.legs[l.other]; peer != nil {
			cl.hangup(peer, cause, a.Code, false)
		}
	case ActPlay, ActSetVar, ActSendDTMF:
	default:
		return fmt.Errorf("%s: %w", a.Kind, ErrUnsupported)
	}
	return nil
}

func (n *fakeNode) EndRun(ctx context.Context, runID, cause string) (string, error) {
	cl, err := n.lockUp(ctx)
	if err != nil {
		return "", err
	}
	defer cl.mu.Unlock()
	n.ends = append(n.ends, cause+" "+runID)
	k := 0
	for _, l := range cl.legs {
		if l.node == n && l.up && l.run == runID {
			cl.hangup(l, cause, 0, true)
			k++
		}
	}
	return "+OK " + strconv.Itoa(k), nil
}

// legsUp counts live legs of run.
func (cl *fakeCluster) legsUp(run string) int {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	k := 0
	for _, l := range cl.legs {
		if l.up && l.run == run {
			k++
		}
	}
	return k
}
