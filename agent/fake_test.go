package agent

import (
	"context"
	"strconv"
	"sync"

	"github.com/callplan/callplan/internal/hangup"
)

// fakeNet is an in-process SIP network for channel-model tests: Dial hands
// the call to the agent registered for the target (or proxy) address, with
// FreeSWITCH's signalling semantics (what each side's End says). Nothing
// registered at the address is the "nothing listening" case: a local 503.
type fakeNet struct {
	mu     sync.Mutex
	agents map[string]*Agent
	nextID int
}

func newFakeNet() *fakeNet { return &fakeNet{agents: map[string]*Agent{}} }

func (n *fakeNet) register(addr string, a *Agent) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.agents[addr] = a
}

// signalling returns the agent-side view of the network for one agent.
func (n *fakeNet) signalling() signalling { return fakeSig{n} }

type fakeSig struct{ n *fakeNet }

func (s fakeSig) Dial(_ context.Context, req dialRequest, ev legEvents) (sipLeg, error) {
	n := s.n
	dest := req.Host
	if req.Proxy != "" {
		dest = req.Proxy
	}
	n.mu.Lock()
	target := n.agents[dest]
	n.nextID++
	id := n.nextID
	n.mu.Unlock()
	call := &fakeCall{req: req, callerEv: ev, callID: "fake-" + strconv.Itoa(id)}
	caller := &fakeLeg{call: call, outbound: true}
	if target == nil {
		go ev.Ended(legEnd{Cause: hangup.NormalTemporaryFailure, Disposition: "recv_refuse",
			TermStatus: 503, FailStatus: 503, FailPhrase: "Service Unavailable"})
		call.ended = true
		return caller, nil
	}
	callee := &fakeLeg{call: call}
	go target.handleInvite(callee)
	return caller, nil
}

// fakeCall is the shared state of one call's two legs.
type fakeCall struct {
	req      dialRequest
	callID   string
	mu       sync.Mutex
	callerEv legEvents
	calleeEv legEvents
	answered bool
	ended    bool
	echo     bool
}

type fakeLeg struct {
	call     *fakeCall
	outbound bool
}

func reasonFor(c hangup.Cause) string {
	return "Q.850;cause=" + strconv.Itoa(c.Q850()) + `;text="` + c.String() + `"`
}

func (l *fakeLeg) Bind(ev legEvents) {
	l.call.mu.Lock()
	l.call.calleeEv = ev
	l.call.mu.Unlock()
}

// live runs f with the call's events when the call is not over.
func (l *fakeLeg) live(f func(c *fakeCall)) error {
	c := l.call
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return errHungup
	}
	f(c)
	return nil
}

func (l *fakeLeg) Ring() error {
	return l.live(func(c *fakeCall) { c.callerEv.Ringing() })
}

func (l *fakeLeg) PreAnswer() error {
	return l.live(func(c *fakeCall) { c.callerEv.EarlyMedia() })
}

func (l *fakeLeg) Answer() error {
	return l.live(func(c *fakeCall) {
		c.answered = true
		c.callerEv.Answered()
	})
}

func (l *fakeLeg) Reject(code int, phrase string, cause hangup.Cause) error {
	return l.live(func(c *fakeCall) {
		c.ended = true
		if c.calleeEv != nil { // refused before it became a channel (limits)
			c.calleeEv.Ended(legEnd{Cause: cause, Disposition: "send_refuse"})
		}
		c.callerEv.Ended(legEnd{Cause: hangup.ForSIPStatus(code), Disposition: "recv_refuse",
			TermStatus: code, FailStatus: code, FailPhrase: phrase})
	})
}

func (l *fakeLeg) Hangup(cause hangup.Cause) error {
	return l.live(func(c *fakeCall) {
		c.ended = true
		switch {
		case c.answered && l.outbound:
			c.callerEv.Ended(legEnd{Cause: cause, Disposition: "send_bye"})
			c.calleeEv.Ended(legEnd{Cause: cause, Disposition: "recv_bye", TermStatus: 200, Reason: reasonFor(cause)})
		case c.answered:
			c.calleeEv.Ended(legEnd{Cause: cause, Disposition: "send_bye"})
			c.callerEv.Ended(legEnd{Cause: cause, Disposition: "recv_bye", TermStatus: 200, Reason: reasonFor(cause)})
		case l.outbound:
			c.callerEv.Ended(legEnd{Cause: cause, Disposition: "send_cancel", FailStatus: 487, FailPhrase: "CANCEL"})
			if c.calleeEv != nil {
				c.calleeEv.Ended(legEnd{Cause: hangup.OriginatorCancel, Disposition: "recv_cancel",
					TermStatus: 487, FailStatus: 487, FailPhrase: "CANCEL", Reason: reasonFor(cause)})
			}
		default:
			code := cause.SIPStatus()
			c.calleeEv.Ended(legEnd{Cause: cause, Disposition: "send_refuse"})
			c.callerEv.Ended(legEnd{Cause: hangup.ForSIPStatus(code), Disposition: "recv_refuse",
				TermStatus: code, FailStatus: code, FailPhrase: sipPhrase(code)})
		}
	})
}

func (l *fakeLeg) Media() mediaInfo {
	return mediaInfo{LocalIP: "127.0.0.1", LocalPort: 20000, RemoteIP: "127.0.0.1", RemotePort: 20002, Codec: "PCMU"}
}

func (l *fakeLeg) StartEcho() error {
	return l.live(func(c *fakeCall) { c.echo = true })
}

func (l *fakeLeg) Info() legInfo {
	c := l.call
	info := legInfo{CallID: c.callID, FromUser: firstNonEmpty(c.req.CallerIDNumber, "0000000000"),
		FromHost: "127.0.0.1", ToUser: c.req.User, ToHost: c.req.Host, ReqUser: c.req.User,
		ReqHost: "127.0.0.1", ReqPort: "5080", NetworkIP: "127.0.0.1", NetPort: "5080", Transport: "udp"}
	if !l.outbound {
		info.Headers = c.req.Headers
	}
	return info
}
