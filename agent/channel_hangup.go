package agent

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/callplan/callplan/internal/hangup"
)

// This file is a channel's end: the hangup request from any goroutine,
// CHANNEL_HANGUP and the signalling, the hangup states and the
// end-of-call variables of reference 3.9.

// hangupInfo says how a leg ended, for the SIP end-of-call variables (3.9).
type hangupInfo struct {
	cause       hangup.Cause
	disposition string // send_bye, recv_bye, send_cancel, recv_cancel, send_refuse, recv_refuse
	termStatus  int    // received final status / 200 for a received BYE; 0 = absent
	failStatus  int    // sip_invite_failure_status
	failPhrase  string
	reason      string // sip_reason received
	sendSignal  bool   // the agent must send BYE/CANCEL/refusal
	respondCode int    // explicit response code (respond app)
	respondText string
}

// requestHangup starts hanging the channel up (from any goroutine): the
// CHANNEL_HANGUP event and the signalling happen on the channel goroutine.
//
// The request is recorded at once, as FreeSWITCH marks a channel hung up in
// the caller's thread: when the peer's BYE for the same call overtakes it
// (hupall ends both legs of a loop call), the leg still ends as the agent's
// own hangup (send_bye, captured: 05, 11).
func (c *channel) requestHangup(h hangupInfo) {
	c.markPending(h)
	c.postHangup(h)
}

// markPending records a requested hangup before it is processed.
func (c *channel) markPending(h hangupInfo) {
	c.mu.Lock()
	if c.pending == nil && c.hangup == nil {
		c.pending = &h
	}
	c.mu.Unlock()
}

func (c *channel) postHangup(h hangupInfo) {
	c.mbox.Push(func() { c.doHangup(h) })
}

// doHangup runs on the channel goroutine: it records the cause, fires
// CHANNEL_HANGUP, sends BYE/CANCEL/refusal when the agent ends the leg, and
// wakes every wait loop. A second call (the signalling confirming a local
// hangup) only fills in SIP detail that is still missing.
func (c *channel) doHangup(h hangupInfo) {
	c.mu.Lock()
	if c.hangup != nil {
		if h.disposition != "" {
			c.vars.setIfAbsent("sip_hangup_disposition", h.disposition)
		}
		c.mu.Unlock()
		return
	}
	if c.pending != nil && !h.sendSignal {
		// Our own hangup was requested first; the peer's end only raced it.
		h = *c.pending
	}
	answered := !c.answered.IsZero()
	if h.sendSignal {
		switch {
		case answered:
			h.disposition = "send_bye"
		case c.outbound:
			h.disposition = "send_cancel"
			h.failStatus, h.failPhrase = 487, "CANCEL"
		default:
			h.disposition = "send_refuse"
		}
	}
	if h.disposition == "recv_refuse" && h.termStatus == 0 && h.failStatus != 0 {
		// A locally made 503 (nothing listening) still shows as received,
		// as FreeSWITCH reports it (03a).
		h.termStatus = h.failStatus
	}
	c.hangup = &h
	c.hungup = time.Now()
	c.answerState = "hangup"
	c.stateNum = int(csHangup)
	v := &c.vars
	// What FreeSWITCH already knows at CHANNEL_HANGUP: the received
	// message's detail (3.4); a locally sent BYE/refusal is recorded after.
	if strings.HasPrefix(h.disposition, "recv_") || h.disposition == "send_cancel" {
		v.set("sip_hangup_disposition", h.disposition)
	}
	if h.failStatus != 0 {
		v.set("sip_invite_failure_status", strconv.Itoa(h.failStatus))
		v.set("sip_invite_failure_phrase", h.failPhrase)
	}
	if h.reason != "" {
		v.set("sip_reason", h.reason)
	}
	if h.termStatus != 0 {
		v.set("sip_term_status", strconv.Itoa(h.termStatus))
		v.set("proto_specific_hangup_cause", "sip:"+strconv.Itoa(h.termStatus))
		switch h.termStatus {
		case 200:
			v.set("sip_term_cause", "16")
		case 487:
			v.set("sip_term_cause", "487") // recv_cancel (captured: 03)
		default:
			// A received refusal's sip_term_cause is the Q.850 value of
			// its mapped cause (404 → 1, 486 → 17; 3.9).
			v.set("sip_term_cause", strconv.Itoa(h.cause.Q850()))
		}
	}
	leg := c.leg
	c.mu.Unlock()
	c.fire("CHANNEL_HANGUP", nil)
	c.hupOnce.Do(func() { close(c.hupCh) })
	if !h.sendSignal || leg == nil {
		return
	}
	var err error
	if h.respondCode != 0 && !answered && !c.outbound {
		err = leg.Reject(h.respondCode, firstNonEmpty(h.respondText, sipPhrase(h.respondCode)), h.cause)
	} else {
		err = leg.Hangup(h.cause)
	}
	if err != nil {
		c.a.log.Debug("ending leg", "uuid", c.uuid, "err", err)
	}
	c.mu.Lock()
	if !strings.HasPrefix(h.disposition, "recv_") {
		c.vars.set("sip_hangup_disposition", h.disposition)
	}
	c.mu.Unlock()
}

// finish runs the end of the state machine after the app returned: the
// hangup states, end-of-call variables and CHANNEL_HANGUP_COMPLETE. beforeDestroy
// runs between HANGUP_COMPLETE and DESTROY (the failed originate's job).
func (c *channel) finish(beforeDestroy func()) {
	c.stopMedia()
	c.setState(csHangup)
	c.setCallState("HANGUP")
	c.setState(csReporting)
	c.setEndVars()
	c.fire("CHANNEL_HANGUP_COMPLETE", nil)
	if beforeDestroy != nil {
		beforeDestroy()
	}
	c.mu.Lock()
	c.stateNum = int(csDestroy)
	c.mu.Unlock()
	c.fire("CHANNEL_DESTROY", nil)
	c.mu.Lock()
	c.state = csDestroy
	c.mu.Unlock()
	c.fire("CHANNEL_STATE", nil)
	c.a.removeChannel(c)
	c.mu.Lock()
	c.vars.recycle()
	c.mu.Unlock()
	close(c.done)
}

// setEndVars sets the end-of-call variables of 3.9.
func (c *channel) setEndVars() {
	c.mu.Lock()
	defer c.mu.Unlock()
	v := &c.vars
	h := c.hangup
	if h == nil {
		h = &hangupInfo{cause: hangup.NormalClearing}
		c.hangup = h
	}
	if c.leg != nil {
		m := c.leg.Media()
		if m.LocalPort != 0 {
			for _, kv := range rtpVars(m.Stats, c.hungup) {
				v.set(kv.Name, kv.Value)
			}
		}
	}
	v.set("hangup_cause", h.cause.String())
	v.set("hangup_cause_q850", strconv.Itoa(h.cause.Q850()))
	v.set("digits_dialed", "none")
	dates := &c.a.id.dates
	stamp := func(t time.Time) string { return dates.of(t).local }
	v.set("start_stamp", stamp(c.created))
	v.set("profile_start_stamp", stamp(c.created))
	if !c.answered.IsZero() {
		v.set("answer_stamp", stamp(c.answered))
	}
	if !c.progress.IsZero() {
		v.set("progress_stamp", stamp(c.progress))
	}
	if !c.media.IsZero() {
		v.set("progress_media_stamp", stamp(c.media))
	}
	v.set("end_stamp", stamp(c.hungup))
	// The names are spelled out, not concatenated: every leg sets them
	// all, and each concatenation was an allocation.
	epoch := func(names [2]string, t time.Time) {
		if t.IsZero() {
			v.set(names[0], "0")
			v.set(names[1], "0")
			return
		}
		v.set(names[0], dates.of(t).epoch)
		v.set(names[1], c.usecOf(t))
	}
	epoch([2]string{"start_epoch", "start_uepoch"}, c.created)
	epoch([2]string{"profile_start_epoch", "profile_start_uepoch"}, c.created)
	epoch([2]string{"answer_epoch", "answer_uepoch"}, c.answered)
	epoch([2]string{"bridge_epoch", "bridge_uepoch"}, time.Time{})
	epoch([2]string{"last_hold_epoch", "last_hold_uepoch"}, time.Time{})
	v.set("hold_accum_seconds", "0")
	v.set("hold_accum_usec", "0")
	v.set("hold_accum_ms", "0")
	epoch([2]string{"resurrect_epoch", "resurrect_uepoch"}, time.Time{})
	epoch([2]string{"progress_epoch", "progress_uepoch"}, c.progress)
	epoch([2]string{"progress_media_epoch", "progress_media_uepoch"}, c.media)
	epoch([2]string{"end_epoch", "end_uepoch"}, c.hungup)
	if c.lastAppResp != "" || c.app != "" {
		if last, ok := v.get("current_application"); ok {
			v.set("last_app", last)
		}
	}
	if c.prof.cidName != "" {
		v.set("caller_id", fmt.Sprintf("%q <%s>", c.prof.cidName, c.prof.cidNumber))
	} else {
		v.set("caller_id", c.prof.cidNumber)
	}
	// The *sec values are differences of whole-second epochs, as in
	// FreeSWITCH (billsec 15 with billmsec 14080, captured: 06).
	diff := func(names [3]string, from, to time.Time) {
		if from.IsZero() || to.IsZero() {
			v.set(names[0], "0")
			v.set(names[1], "0")
			v.set(names[2], "0")
			return
		}
		v.set(names[0], strconv.FormatInt(to.Unix()-from.Unix(), 10))
		v.set(names[1], strconv.FormatInt(to.Sub(from).Milliseconds(), 10))
		v.set(names[2], strconv.FormatInt(to.Sub(from).Microseconds(), 10))
	}
	end := c.hungup
	v.set("duration", strconv.FormatInt(end.Unix()-c.created.Unix(), 10))
	diff([3]string{"billsec", "billmsec", "billusec"}, c.answered, end)
	diff([3]string{"progresssec", "progressmsec", "progressusec"}, c.created, c.progress)
	diff([3]string{"answersec", "answermsec", "answerusec"}, c.created, c.answered)
	diff([3]string{"waitsec", "waitmsec", "waitusec"}, time.Time{}, time.Time{})
	diff([3]string{"progress_mediasec", "progress_mediamsec", "progress_mediausec"}, c.created, c.media)
	diff([3]string{"flow_billsec", "flow_billmsec", "flow_billusec"}, c.created, end)
	v.set("mduration", strconv.FormatInt(end.Sub(c.created).Milliseconds(), 10))
	v.set("uduration", strconv.FormatInt(end.Sub(c.created).Microseconds(), 10))
}
