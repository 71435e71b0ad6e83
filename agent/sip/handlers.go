package sip

import (
	"github.com/callplan/callplan/internal/hangup"
	sipmsg "github.com/emiago/sipgo/sip"
)

// onOptions answers keep-alive pings (SIPp, Kamailio dispatcher) with 200.
func (p *Profile) onOptions(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
	if !p.gateOptions() {
		return
	}
	res := sipmsg.NewResponseFromRequest(req, 200, "OK", nil)
	res.AppendHeader(sipmsg.NewHeader("Allow", allowHeader))
	if err := tx.Respond(res); err != nil {
		p.log.Debug("answering OPTIONS", "error", err)
	}
}

// onCancel sees only CANCELs that matched no INVITE transaction (the others
// are handled by the transaction layer and Inbound's OnCancel hook).
func (p *Profile) onCancel(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
	res := sipmsg.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil)
	if err := tx.Respond(res); err != nil {
		p.log.Debug("answering stray CANCEL", "error", err)
	}
}

// onAck completes an inbound answer (the ACK to our 200). ACKs to error
// responses never get here: the INVITE transaction absorbs them.
func (p *Profile) onAck(req *sipmsg.Request, _ sipmsg.ServerTransaction) {
	tag, _ := req.To().Params.Get("tag")
	if in := p.inboundOf(req.CallID().Value(), tag); in != nil {
		in.acked(req.Body())
	}
}

// onBye ends a dialog from the far side. The cause comes from a Q.850
// Reason header, else NORMAL_CLEARING (esl-reference 5.5).
func (p *Profile) onBye(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
	tag, _ := req.To().Params.Get("tag")
	c := p.lookup(req.CallID().Value(), tag)
	if c == nil {
		if err := tx.Respond(sipmsg.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil)); err != nil {
			p.log.Debug("answering stray BYE", "error", err)
		}
		return
	}
	if err := tx.Respond(sipmsg.NewResponseFromRequest(req, 200, "OK", nil)); err != nil {
		p.log.Debug("answering BYE", "error", err)
	}
	reason := headerValue(req, "Reason")
	cause, ok := hangup.ParseReason(reason)
	if !ok {
		cause = hangup.NormalClearing
	}
	c.finish(End{Cause: cause, Disposition: DispRecvBye, TermStatus: 200, Reason: reason, Headers: xHeaders(req)})
}

// onWire sees every message on the goroutine that read it, in arrival
// order, right after sipgo's transaction layer dispatched it (on a new
// goroutine). It handles provisional responses to our INVITEs here so that
// their events keep wire order (see Outbound.onProvisional). It must not
// block.
func (p *Profile) onWire(msg sipmsg.Message) {
	res, ok := msg.(*sipmsg.Response)
	if !ok || !res.IsProvisional() {
		return
	}
	cseq, from, cid := res.CSeq(), res.From(), res.CallID()
	if cseq == nil || cseq.MethodName != sipmsg.INVITE || from == nil || cid == nil {
		return
	}
	tag, _ := from.Params.Get("tag")
	if out := p.outboundOf(cid.Value(), tag); out != nil {
		out.onProvisional(res)
	}
}

// onStrayResponse sees responses that match no live transaction. A 200 to
// an INVITE whose transaction is gone still needs an ACK (and, for a call
// we no longer want, a BYE) or the peer retransmits for 32 s.
func (p *Profile) onStrayResponse(res *sipmsg.Response) {
	cseq := res.CSeq()
	if cseq == nil || cseq.MethodName != sipmsg.INVITE || !res.IsSuccess() {
		return
	}
	tag, _ := res.From().Params.Get("tag")
	if out := p.outboundOf(res.CallID().Value(), tag); out != nil {
		out.reAck()
	}
}

const allowHeader = "INVITE, ACK, BYE, CANCEL, OPTIONS"
