package sip

import (
	"context"
	"fmt"
	"time"

	"github.com/callplan/callplan/agent/media"
	"github.com/callplan/callplan/internal/hangup"
	sipmsg "github.com/emiago/sipgo/sip"
)

// Ringing sends 180 Ringing (uuid_ring_ready). A second call is a no-op.
func (in *Inbound) Ringing() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if err := in.checkUnansweredLocked(); err != nil {
		return err
	}
	if in.ringing || in.early {
		return nil
	}
	in.ringing = true
	res, err := in.respond(180, "Ringing", nil)
	if err != nil {
		return err
	}
	in.c.mu.Lock()
	in.c.emitLocked(Event{Kind: EventRinging, Status: res.StatusCode, Phrase: res.Reason})
	in.c.mu.Unlock()
	return nil
}

func (in *Inbound) checkUnansweredLocked() error {
	if in.c.isEnded() {
		return ErrEnded
	}
	if in.finalSent {
		return ErrState
	}
	return nil
}

// openMedia binds and starts the RTP session (once) toward the offer.
func (in *Inbound) openMedia() error {
	c := in.c
	c.mu.Lock()
	if c.sess != nil {
		c.mu.Unlock()
		return nil
	}
	c.mu.Unlock()
	sess, err := c.p.cfg.Media.Open(c.p.mediaIP)
	if err != nil {
		return fmt.Errorf("opening media: %w", err)
	}
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		_ = sess.Close()
		return ErrEnded
	}
	c.sess = sess
	codec := c.codec
	c.mu.Unlock()
	if in.late {
		return nil // started when the ACK brings the answer
	}
	return c.startMedia(in.offer, codec)
}

// PreAnswer sends 183 Session Progress with SDP and starts media
// (uuid_pre_answer). A second call is a no-op. A late offer cannot be
// pre-answered (that needs PRACK): ErrState.
func (in *Inbound) PreAnswer() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if err := in.checkUnansweredLocked(); err != nil {
		return err
	}
	if in.early {
		return nil
	}
	if in.late {
		// Early media would need an offer in the 183 and an answer in a
		// PRACK (RFC 3262), which the profile does not do.
		return fmt.Errorf("pre-answer of a call without an sdp offer: %w", ErrState)
	}
	if err := in.openMedia(); err != nil {
		return err
	}
	in.early = true
	res, err := in.respond(183, "Session Progress", in.c.localSDP([]media.Codec{in.Codec()}))
	if err != nil {
		return err
	}
	in.c.mu.Lock()
	in.c.emitLocked(Event{Kind: EventEarlyMedia, Status: res.StatusCode, Phrase: res.Reason})
	in.c.mu.Unlock()
	return nil
}

// Answer sends 200 OK with SDP, starts media, delivers EventAnswered (the
// 200 is the answer, as for FreeSWITCH's CHANNEL_ANSWER) and returns once
// the ACK arrives (the 200 is retransmitted over UDP meanwhile), or nil as
// well if the peer hangs up before its ACK is seen. For a late offer
// (INVITE without SDP) the 200 offers the profile's codecs and media starts
// from the answer in the ACK; an ACK without a usable answer hangs up with
// INCOMPATIBLE_DESTINATION. If no ACK comes
// within 32 s the call is hung up with a BYE, RECOVERY_ON_TIMER_EXPIRE. ctx
// bounds the wait only; the call stays answered if ctx ends first.
func (in *Inbound) Answer(ctx context.Context) error {
	in.mu.Lock()
	if err := in.checkUnansweredLocked(); err != nil {
		in.mu.Unlock()
		return err
	}
	if err := in.openMedia(); err != nil {
		in.mu.Unlock()
		return err
	}
	in.finalSent = true
	c := in.c
	c.mu.Lock()
	c.answered = true
	c.mu.Unlock()
	codecs := []media.Codec{in.Codec()}
	if in.late {
		codecs = c.p.codecs
	}
	res, err := in.respond(200, "OK", c.localSDP(codecs))
	in.mu.Unlock()
	in.finalOnce.Do(func() { close(in.final) })
	if err != nil {
		if c.finish(End{Cause: hangup.NormalTemporaryFailure, Disposition: DispSendBye}) {
			c.sendBye(hangup.NormalTemporaryFailure)
		}
		return err
	}
	// Answered when the 200 goes out, as FreeSWITCH fires CHANNEL_ANSWER:
	// a BYE that overtakes the ACK then ends an answered call.
	c.mu.Lock()
	c.emitLocked(Event{Kind: EventAnswered, Status: res.StatusCode, Phrase: res.Reason})
	c.mu.Unlock()
	c.p.bg.Add(1)
	go in.awaitAck(res)
	select {
	case <-in.answered:
		return nil
	case <-c.done:
		// Ended before the ACK: by the peer (a BYE racing the ACK: still a
		// good answer), or by awaitAck, which says why.
		return in.answerErr
	case <-ctx.Done():
		return fmt.Errorf("waiting for ACK: %w", ctx.Err())
	}
}

// awaitAck retransmits the 200 over UDP (T1 doubling up to T2, RFC 3261
// 13.3.1.4) until the ACK, and gives up after 64*T1 with a BYE.
func (in *Inbound) awaitAck(res *sipmsg.Response) {
	c := in.c
	defer c.p.bg.Done()
	interval := sipmsg.T1
	resend := time.NewTimer(interval)
	defer resend.Stop()
	giveUp := time.NewTimer(64 * sipmsg.T1)
	defer giveUp.Stop()
	for {
		select {
		case <-in.ack:
			if in.late && !in.lateAnswer() {
				return
			}
			close(in.answered)
			return
		case <-c.done:
			return
		case <-c.p.ctx.Done():
			return
		case <-resend.C:
			if c.transport == "UDP" {
				if err := in.tx.Respond(res); err != nil {
					c.p.log.Debug("retransmitting 200", "call_id", c.callID, "error", err)
				}
			}
			interval = min(2*interval, sipmsg.T2)
			resend.Reset(interval)
		case <-giveUp.C:
			in.answerErr = fmt.Errorf("no ACK within %s: %w", 64*sipmsg.T1, ErrEnded)
			if c.finish(End{Cause: hangup.RecoveryOnTimerExpire, Disposition: DispSendBye}) {
				c.sendBye(hangup.RecoveryOnTimerExpire)
			}
			return
		}
	}
}

// lateAnswer starts media from the SDP answer carried by the ACK of a late
// offer; without a usable answer the call is hung up
// INCOMPATIBLE_DESTINATION.
func (in *Inbound) lateAnswer() bool {
	c := in.c
	m, err := parseSDP(in.ackSDP)
	codec, ok := media.Codec{}, false
	if err == nil {
		codec, ok = pickCodec(m.codecs, c.p.codecs)
	}
	if !ok {
		c.p.log.Debug("late offer: no usable answer in the ACK", "call_id", c.callID, "error", err)
		in.answerErr = fmt.Errorf("late offer: no usable answer in the ACK: %w", ErrNoCodec)
		if c.finish(End{Cause: hangup.IncompatibleDestination, Disposition: DispSendBye}) {
			c.sendBye(hangup.IncompatibleDestination)
		}
		return false
	}
	if err := c.startMedia(m, codec); err != nil {
		c.p.log.Debug("late offer: starting media", "call_id", c.callID, "error", err)
	}
	return true
}
