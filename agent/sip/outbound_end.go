package sip

import (
	"errors"

	"github.com/callplan/callplan/internal/hangup"
	"github.com/emiago/sipgo"
	sipmsg "github.com/emiago/sipgo/sip"
)

// Hangup ends the call with cause: a BYE with a Q.850 Reason after the
// answer, a CANCEL with the Reason before it (FreeSWITCH's uuid_kill on a
// ringing leg; the 487 is absorbed). The EventHangup (send_bye or
// send_cancel) is delivered before Hangup returns; the SIP transaction
// finishes in the background. ErrEnded if the call already ended.
func (o *Outbound) Hangup(cause hangup.Cause) error {
	c := o.c
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return ErrEnded
	}
	answered := c.answered
	c.mu.Unlock()
	if answered {
		if !c.finish(End{Cause: cause, Disposition: DispSendBye}) {
			return ErrEnded
		}
		c.sendBye(cause)
		return nil
	}
	// The cause is noted before the leg ends so that a 200 crossing the
	// CANCEL is hung up with it.
	o.mu.Lock()
	o.cancelCause = cause
	o.mu.Unlock()
	if !c.finish(End{Cause: cause, Disposition: DispSendCancel, FailureStatus: 487, FailurePhrase: "CANCEL"}) {
		return ErrEnded
	}
	select {
	case o.wake <- struct{}{}:
	default:
	}
	return nil
}

// onTxEnd handles an INVITE transaction that ended without a final
// response: Timer B (no answer at all: 408, RECOVERY_ON_TIMER_EXPIRE) or a
// transport error (503, NORMAL_TEMPORARY_FAILURE), as sofia reports them.
func (o *Outbound) onTxEnd(err error) {
	if errors.Is(err, sipmsg.ErrTransactionTimeout) {
		o.c.finish(End{Cause: hangup.RecoveryOnTimerExpire, Disposition: DispRecvRefuse,
			FailureStatus: 408, FailurePhrase: "Request Timeout"})
		return
	}
	o.c.finish(End{Cause: hangup.NormalTemporaryFailure, Disposition: DispRecvRefuse,
		FailureStatus: 503, FailurePhrase: "Service Unavailable"})
}

// sendCancel cancels the INVITE: same Request-URI, Call-ID, From, To, Route
// and top Via (branch) as the INVITE, CSeq method CANCEL (RFC 3261 9.1),
// plus FreeSWITCH's Reason.
func (o *Outbound) sendCancel(cause hangup.Cause) {
	inv := o.invite
	req := sipmsg.NewRequest(sipmsg.CANCEL, inv.Recipient)
	if v := inv.Via(); v != nil {
		req.AppendHeader(v.Clone())
	}
	for _, h := range inv.GetHeaders("Route") {
		req.AppendHeader(sipmsg.HeaderClone(h))
	}
	req.AppendHeader(sipmsg.HeaderClone(inv.From()))
	req.AppendHeader(sipmsg.HeaderClone(inv.To()))
	cid := sipmsg.CallIDHeader(inv.CallID().Value())
	req.AppendHeader(&cid)
	req.AppendHeader(&sipmsg.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sipmsg.CANCEL})
	maxfwd := sipmsg.MaxForwardsHeader(70)
	req.AppendHeader(&maxfwd)
	req.AppendHeader(sipmsg.NewHeader("Reason", cause.Reason()))
	req.SetTransport(inv.Transport())
	req.Laddr = inv.Laddr
	o.c.p.request(req, keepAsIs)
}

// keepAsIs stops sipgo from completing a request we built whole (a CANCEL
// must reuse the INVITE's Via branch).
func keepAsIs(*sipgo.Client, *sipmsg.Request) error { return nil }
