package sip

import (
	"fmt"

	"github.com/callplan/callplan/internal/hangup"
	sipmsg "github.com/emiago/sipgo/sip"
)

// Reject refuses the unanswered call with a final response (respond <code>
// [reason]): phrase "" means the standard phrase, cause hangup.None means
// hangup.ForSIPStatus(code). Like FreeSWITCH's respond app it sends no Reason
// header, so the caller's cause comes from the code. The leg ends with
// Disposition send_refuse.
func (in *Inbound) Reject(code int, phrase string, cause hangup.Cause) error {
	return in.refuse(code, phrase, cause, false)
}

// refuse sends the final error response. FreeSWITCH's respond app sends it
// bare; a hangup of the unanswered leg (uuid_kill) adds the Q.850 Reason.
func (in *Inbound) refuse(code int, phrase string, cause hangup.Cause, withReason bool) error {
	if code < 300 || code > 699 {
		return fmt.Errorf("rejecting with %d: want a code from 300 to 699", code)
	}
	if phrase == "" {
		phrase = StatusPhrase(code)
	}
	if cause == hangup.None {
		cause = hangup.ForSIPStatus(code)
	}
	in.mu.Lock()
	if err := in.checkUnansweredLocked(); err != nil {
		in.mu.Unlock()
		return err
	}
	in.finalSent = true
	var extra []sipmsg.Header
	if withReason {
		extra = append(extra, sipmsg.NewHeader("Reason", cause.Reason()))
	}
	_, err := in.respond(code, phrase, nil, extra...)
	in.mu.Unlock()
	in.c.finish(End{Cause: cause, Disposition: DispSendRefuse})
	in.finalOnce.Do(func() { close(in.final) })
	return err
}

// Hangup ends the call with cause: before the answer it refuses the INVITE
// with cause.SIPStatus() and a Q.850 Reason (uuid_kill <inbound>
// CALL_REJECTED → 603), after it sends a BYE with the Reason. The EventHangup is delivered
// before Hangup returns. ErrEnded if the call already ended.
func (in *Inbound) Hangup(cause hangup.Cause) error {
	c := in.c
	c.mu.Lock()
	ended, answered := c.ended, c.answered
	c.mu.Unlock()
	if ended {
		return ErrEnded
	}
	if !answered {
		err := in.refuse(cause.SIPStatus(), "", cause, true)
		if err == ErrState {
			// Answer won the race: fall through to BYE.
			return in.Hangup(cause)
		}
		return err
	}
	if !c.finish(End{Cause: cause, Disposition: DispSendBye}) {
		return ErrEnded
	}
	c.sendBye(cause)
	return nil
}
