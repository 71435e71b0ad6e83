package sip

import (
	"time"

	sipmsg "github.com/emiago/sipgo/sip"
)

// Fault injection: a profile can be told to misbehave on purpose, so a
// test can watch what the system under test (a load balancer, a proxy)
// does when one of the nodes behind it fails. Only new work is affected:
// INVITEs that open a dialog, and OPTIONS keepalives. Requests inside
// existing dialogs (ACK, BYE, re-INVITE) are handled as usual, so calls
// already up end normally.

// FaultMode is how a profile misbehaves.
type FaultMode int

// Fault modes.
const (
	// FaultNone: normal service.
	FaultNone FaultMode = iota
	// FaultReject answers every new INVITE with Fault.Code at once
	// (503 by default: what FreeSWITCH says over its session limit).
	// OPTIONS are still answered 200: the node is up but refusing work.
	FaultReject
	// FaultBlackhole answers no new INVITE and no OPTIONS at all, not
	// even 100 Trying: a node that stopped answering SIP.
	FaultBlackhole
	// FaultSlow holds each new INVITE for Fault.Delay after its 100
	// Trying before the node sees it: it answers late.
	FaultSlow
)

// Fault is a profile's fault mode and its parameter.
type Fault struct {
	Mode  FaultMode
	Code  int
	Delay time.Duration
}

// SetFault changes how the profile treats new INVITEs and OPTIONS from now
// on.
func (p *Profile) SetFault(f Fault) {
	if f.Mode == FaultReject && (f.Code < 400 || f.Code > 699) {
		f.Code = 503
	}
	p.faultMode.Store(&f)
}

func (p *Profile) fault() Fault {
	if f := p.faultMode.Load(); f != nil {
		return *f
	}
	return Fault{}
}

// gateInvite applies a reject or black hole fault to a new INVITE; true
// means the INVITE was dealt with (refused or dropped).
func (p *Profile) gateInvite(req *sipmsg.Request, tx sipmsg.ServerTransaction) bool {
	switch f := p.fault(); f.Mode {
	case FaultBlackhole:
		// Returning without a response: sipgo terminates the transaction
		// silently and every retransmission meets the same fate.
		return true
	case FaultReject:
		res := sipmsg.NewResponseFromRequest(req, f.Code, StatusPhrase(f.Code), nil)
		if err := tx.Respond(res); err != nil {
			p.log.Debug("refusing INVITE (fault)", "error", err)
		}
		return true
	}
	return false
}

// holdInvite delays an INVITE under a slow fault; false when the
// transaction or the profile ended meanwhile.
func (p *Profile) holdInvite(tx sipmsg.ServerTransaction) bool {
	f := p.fault()
	if f.Mode != FaultSlow || f.Delay <= 0 {
		return true
	}
	t := time.NewTimer(f.Delay)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-tx.Done():
		return false
	case <-p.ctx.Done():
		return false
	}
}

// gateOptions reports whether an OPTIONS is to be answered.
func (p *Profile) gateOptions() bool { return p.fault().Mode != FaultBlackhole }
