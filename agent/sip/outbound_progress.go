package sip

import (
	"time"

	"github.com/callplan/callplan/agent/media"
	"github.com/callplan/callplan/internal/hangup"
	sipmsg "github.com/emiago/sipgo/sip"
)

// portRefused is the probe's report: ICMP port unreachable.
func (o *Outbound) portRefused() {
	o.mu.Lock()
	o.refused = true
	o.mu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// pump follows the INVITE transaction until its final response (or its
// end), turning responses into events. It owns tx.
func (o *Outbound) pump(tx sipmsg.ClientTransaction) {
	p := o.c.p
	defer p.bg.Done()
	// After our CANCEL the INVITE should end with a 487; a peer that never
	// sends a final response would hold this goroutine forever (the INVITE
	// transaction has no timer once it got a provisional), so give up after
	// 64*T1 as RFC 3261 9.1 allows.
	var giveUp <-chan time.Time
	for {
		if giveUp == nil {
			o.mu.Lock()
			sent := o.cancelSent
			o.mu.Unlock()
			if sent {
				t := time.NewTimer(p.cancelWait)
				defer t.Stop()
				giveUp = t.C
			}
		}
		select {
		case <-giveUp:
			tx.Terminate()
			return
		case res := <-tx.Responses():
			if o.onResponse(res) {
				return
			}
		case <-tx.Done():
			o.onTxEnd(tx.Err())
			return
		case <-o.wake:
			if o.onWake(tx) {
				return
			}
		case <-p.ctx.Done():
			tx.Terminate()
			o.c.finish(End{Cause: hangup.SystemShutdown, Disposition: DispSendCancel})
			return
		}
	}
}

// onWake sends a pending CANCEL once a provisional response allows it, or
// ends the call when the probe saw the port refused before any response.
func (o *Outbound) onWake(tx sipmsg.ClientTransaction) (stop bool) {
	o.mu.Lock()
	refused := o.refused && !o.responded
	sendCancel := o.cancelCause != hangup.None && o.provisional && !o.cancelSent
	if sendCancel {
		o.cancelSent = true
	}
	cause := o.cancelCause
	o.mu.Unlock()
	if refused {
		tx.Terminate()
		o.c.finish(End{Cause: hangup.NormalTemporaryFailure, Disposition: DispRecvRefuse,
			FailureStatus: 503, FailurePhrase: "Service Unavailable"})
		return true
	}
	if sendCancel {
		o.sendCancel(cause)
	}
	return false
}

func (o *Outbound) onResponse(res *sipmsg.Response) (final bool) {
	c := o.c
	p := c.p
	p.markAlive(o.dest)
	code := res.StatusCode
	o.mu.Lock()
	o.responded = true
	if code < 200 {
		o.provisional = true
	}
	sendCancel := o.cancelCause != hangup.None && o.provisional && !o.cancelSent
	if sendCancel {
		o.cancelSent = true
	}
	cancelCause := o.cancelCause
	o.mu.Unlock()
	if sendCancel && code < 200 {
		o.sendCancel(cancelCause)
	}

	switch {
	case code < 200:
		o.onProvisional(res)
		return false
	case code < 300:
		o.onAnswer(res)
		return true
	default:
		if c.isEnded() {
			return true // the 487 to our CANCEL, or a late error
		}
		reason := headerValue(res, "Reason")
		cause, ok := hangup.ParseReason(reason)
		if !ok {
			cause = hangup.ForSIPStatus(code)
		}
		// A Q.850 Reason sets the cause, but FreeSWITCH does not show it as
		// sip_reason on a refused leg (esl-reference 3.9), so End.Reason
		// stays empty.
		c.finish(End{Cause: cause, Disposition: DispRecvRefuse, TermStatus: code,
			FailureStatus: code, FailurePhrase: res.Reason})
		return true
	}
}

// onProvisional turns a 1xx into EventTrying, EventRinging or
// EventEarlyMedia (starting media). It runs twice per response: from the
// profile's wire hook, in arrival order, and from the transaction pump;
// the event dedup makes the second run a no-op. The wire hook matters
// because sipgo hands each response to its transaction on a goroutine of its
// own, so a 200 sent right after a 180 can overtake it, and the transaction
// then drops the 180.
func (o *Outbound) onProvisional(res *sipmsg.Response) {
	c := o.c
	code := res.StatusCode
	if code == 100 {
		c.mu.Lock()
		c.emitLocked(Event{Kind: EventTrying, Status: code, Phrase: res.Reason})
		c.mu.Unlock()
		return
	}
	if tag, ok := res.To().Params.Get("tag"); ok {
		c.mu.Lock()
		c.remoteTag = tag
		c.mu.Unlock()
	}
	ev := Event{Kind: EventRinging, Status: code, Phrase: res.Reason, Headers: xHeaders(res)}
	if len(res.Body()) > 0 {
		m, codec, err := o.answerMedia(res.Body())
		if err != nil {
			c.p.log.Debug("ignoring early media sdp", "call_id", c.callID, "error", err)
		} else {
			c.mu.Lock()
			first := c.seen&(1<<uint(EventEarlyMedia)) == 0 && !c.ended
			c.mu.Unlock()
			if first {
				if err := c.startMedia(m, codec); err != nil {
					c.p.log.Debug("early media", "call_id", c.callID, "error", err)
				}
			}
			ev.Kind = EventEarlyMedia
		}
	}
	c.mu.Lock()
	// Ringing after early media is stale (a 180 retransmitted or reordered
	// behind the 183).
	if ev.Kind == EventEarlyMedia || c.seen&(1<<uint(EventEarlyMedia)) == 0 {
		c.emitLocked(ev)
	}
	c.mu.Unlock()
}

// answerMedia reads the peer's SDP answer and picks its first codec that
// we offered.
func (o *Outbound) answerMedia(body []byte) (sdpMedia, media.Codec, error) {
	m, err := parseSDP(body)
	if err != nil {
		return m, media.Codec{}, err
	}
	codec, ok := pickCodec(m.codecs, o.codecs)
	if !ok {
		return m, media.Codec{}, ErrNoCodec
	}
	return m, codec, nil
}

// onAnswer confirms the dialog: ACK at once, then media and the event. A
// call we already hung up (CANCEL crossed the 200) gets ACK then BYE.
func (o *Outbound) onAnswer(res *sipmsg.Response) {
	c := o.c
	c.mu.Lock()
	if tag, ok := res.To().Params.Get("tag"); ok {
		c.remoteTag = tag
	}
	if ct := res.Contact(); ct != nil {
		c.target = ct.Address
	}
	c.routes = c.routes[:0]
	rr := res.GetHeaders("Record-Route")
	for i := len(rr) - 1; i >= 0; i-- {
		if h, ok := rr[i].(*sipmsg.RecordRouteHeader); ok {
			c.routes = append(c.routes, h.Address)
		}
	}
	c.mu.Unlock()

	ack := o.buildAck()
	o.mu.Lock()
	o.ack = ack
	cause := o.cancelCause
	o.mu.Unlock()
	o.writeAck(ack)

	if cause != hangup.None || c.isEnded() {
		if cause == hangup.None {
			cause = hangup.NormalClearing
		}
		c.sendBye(cause)
		return
	}
	m, codec, err := o.answerMedia(res.Body())
	if err != nil {
		c.p.log.Debug("answer sdp unusable", "call_id", c.callID, "error", err)
		if c.finish(End{Cause: hangup.IncompatibleDestination, Disposition: DispSendBye}) {
			c.sendBye(hangup.IncompatibleDestination)
		}
		return
	}
	if err := c.startMedia(m, codec); err != nil {
		c.p.log.Debug("starting media", "call_id", c.callID, "error", err)
	}
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		c.sendBye(hangup.NormalClearing)
		return
	}
	c.answered = true
	c.emitLocked(Event{Kind: EventAnswered, Status: res.StatusCode, Phrase: res.Reason, Headers: xHeaders(res)})
	c.mu.Unlock()
}

// buildAck makes the ACK for a 2xx: a new transaction in the dialog with the
// INVITE's CSeq number (RFC 3261 13.2.2.4).
func (o *Outbound) buildAck() *sipmsg.Request {
	c := o.c
	c.mu.Lock()
	saved := c.cseq
	c.cseq = o.invite.CSeq().SeqNo - 1
	c.mu.Unlock()
	ack := c.newInDialog(sipmsg.ACK)
	c.mu.Lock()
	c.cseq = saved
	c.mu.Unlock()
	c.p.prepare(ack)
	ack.SetBody(nil)
	return ack
}

func (o *Outbound) writeAck(ack *sipmsg.Request) {
	if err := o.c.p.cli.WriteRequest(ack); err != nil {
		o.c.p.log.Debug("sending ACK", "call_id", o.c.callID, "error", err)
	}
}

// reAck answers a retransmitted 200 (our ACK was lost) with the same ACK.
func (o *Outbound) reAck() {
	o.mu.Lock()
	ack := o.ack
	o.mu.Unlock()
	if ack != nil {
		o.writeAck(ack.Clone())
	}
}
