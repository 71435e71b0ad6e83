package agent

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/callplan/callplan/internal/hangup"
	"github.com/callplan/callplan/internal/queue"
)

// chanState is FreeSWITCH's channel state (switch_channel_state_t).
type chanState int

const (
	csNew chanState = iota
	csInit
	csRouting
	csSoftExecute
	csExecute
	csExchangeMedia
	csPark
	csConsumeMedia
	csHibernate
	csReset
	csHangup
	csReporting
	csDestroy
	csNone
)

var stateNames = [...]string{"CS_NEW", "CS_INIT", "CS_ROUTING", "CS_SOFT_EXECUTE", "CS_EXECUTE",
	"CS_EXCHANGE_MEDIA", "CS_PARK", "CS_CONSUME_MEDIA", "CS_HIBERNATE", "CS_RESET", "CS_HANGUP",
	"CS_REPORTING", "CS_DESTROY", "CS_NONE"}

func (s chanState) String() string { return stateNames[s] }

// Call states (switch_channel_callstate_t) and their numbers.
var callStateNumbers = map[string]int{"DOWN": 0, "DIALING": 1, "RINGING": 2, "EARLY": 3,
	"ACTIVE": 4, "HELD": 5, "RING_WAIT": 6, "HANGUP": 7, "UNHELD": 8}

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

// channel is one leg: FreeSWITCH's session. Its goroutine (run) fires all of
// its events in order and executes its apps; other goroutines talk to it
// through its mailbox.
type channel struct {
	a        *Agent
	uuid     string
	outbound bool
	name     string
	sessID   uint64

	mu          sync.Mutex
	state       chanState
	stateNum    int
	callState   string
	answerState string
	hitDialplan bool
	vars        varList
	prof        callerProfile
	flipped     bool
	codecSet    bool
	created     time.Time
	progress    time.Time
	media       time.Time
	answered    time.Time
	hungup      time.Time
	hangup      *hangupInfo
	pending     *hangupInfo // requested, not yet processed by the goroutine
	app         string      // running app
	appArg      string
	leg         sipLeg
	lastAppResp string
	apps        mediaApps // running media apps (app_media.go)

	// mbox holds operations for the channel goroutine, so signalling
	// callbacks and other goroutines never wait for it.
	mbox queue.Queue[func()]
	// eventLock counts running sendmsg apps sent with event-lock; while
	// it is non-zero, later sendmsg messages wait in held (2.8). Both are
	// touched only on the channel goroutine.
	eventLock int
	held      []func()
	dtmf      dtmfQueue     // received digits (app_dtmf.go); channel goroutine only
	audio     audioBug      // uuid_audio's media bug (app_audio.go); channel goroutine only
	hupCh     chan struct{} // closed when hangup starts
	hupOnce   sync.Once
	done      chan struct{} // closed after CHANNEL_DESTROY
}

// callerProfile is the Caller-* block (switch_caller_profile_t).
type callerProfile struct {
	username, dialplan, cidName, cidNumber, origCIDName, origCIDNumber string
	calleeName, calleeNumber, networkAddr, ani, destination, source    string
	context                                                            string
}

func newChannel(a *Agent, uuid string, outbound bool) *channel {
	c := &channel{
		a:           a,
		uuid:        uuid,
		outbound:    outbound,
		callState:   "DOWN",
		answerState: "ringing",
		created:     time.Now(),
		hupCh:       make(chan struct{}),
		done:        make(chan struct{}),
	}
	return c
}

// setState moves the channel to s and fires CHANNEL_STATE.
func (c *channel) setState(s chanState) {
	c.mu.Lock()
	c.state = s
	c.stateNum = int(s)
	c.mu.Unlock()
	c.fire("CHANNEL_STATE", nil)
}

// setCallState changes the call state and fires CHANNEL_CALLSTATE.
func (c *channel) setCallState(cs string) {
	c.mu.Lock()
	orig := c.callState
	if orig == cs {
		c.mu.Unlock()
		return
	}
	c.callState = cs
	c.mu.Unlock()
	c.fire("CHANNEL_CALLSTATE", func(e *event) {
		e.Headers = append(e.Headers,
			header{"Original-Channel-Call-State", orig},
			header{"Channel-Call-State-Number", strconv.Itoa(callStateNumbers[cs])})
	})
}

// fire builds and dispatches a channel event. pre adds headers that come
// before the channel block (CALLSTATE, CALL_UPDATE); the event-specific
// trailing headers are added by post via fireWith.
func (c *channel) fire(name string, pre func(*event)) {
	c.fireWith(name, pre, nil)
}

func (c *channel) fireWith(name string, pre, post func(*event)) {
	// Core, channel and caller headers are about 55; variables come on top.
	size := 64
	if eventsWithVariables[name] {
		size += c.varCount()
	}
	c.a.hub.fireSized(name, "", size, func(e *event) {
		if name == "CHANNEL_HANGUP_COMPLETE" {
			c.mu.Lock()
			if c.hangup != nil {
				e.Headers = append(e.Headers, header{"Hangup-Cause", c.hangup.cause.String()})
			}
			c.mu.Unlock()
		}
		if pre != nil {
			pre(e)
		}
		c.addChannelData(e, name)
		if post != nil {
			post(e)
		}
	})
}

// addChannelData appends the channel headers of section 3.2 and, for the
// events of 3.3, every variable.
func (c *channel) addChannelData(e *event, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	state := c.state
	if name == "CHANNEL_OUTGOING" {
		state = csNone
	}
	stateNum := c.stateNum
	if name == "CHANNEL_OUTGOING" {
		stateNum = 1
	}
	e.Headers = append(e.Headers,
		header{"Channel-State", state.String()},
		header{"Channel-Call-State", c.callState},
		header{"Channel-State-Number", strconv.Itoa(stateNum)},
		header{"Channel-Name", c.name},
		header{"Unique-ID", c.uuid},
		header{"Call-Direction", c.direction()},
		header{"Presence-Call-Direction", c.direction()},
		header{"Channel-HIT-Dialplan", strconv.FormatBool(c.hitDialplan)},
	)
	callUUID, ok := c.vars.get("call_uuid")
	if !ok {
		callUUID = c.uuid
	}
	e.Headers = append(e.Headers,
		header{"Channel-Call-UUID", callUUID},
		header{"Answer-State", c.answerState})
	if c.hangup != nil {
		e.Headers = append(e.Headers, header{"Hangup-Cause", c.hangup.cause.String()})
	}
	if c.codecSet {
		m := c.mediaLocked()
		e.Headers = append(e.Headers,
			header{"Channel-Read-Codec-Name", m.Codec},
			header{"Channel-Read-Codec-Rate", "8000"},
			header{"Channel-Read-Codec-Bit-Rate", "64000"},
			header{"Channel-Write-Codec-Name", m.Codec},
			header{"Channel-Write-Codec-Rate", "8000"},
			header{"Channel-Write-Codec-Bit-Rate", "64000"})
	}
	if !(name == "CHANNEL_STATE" && state == csNew) {
		c.addCallerProfile(e)
	}
	if eventsWithVariables[name] {
		for _, v := range c.vars.list {
			e.Headers = append(e.Headers, header{"variable_" + v.Name, v.Value})
		}
	}
}

func (c *channel) direction() string {
	if c.outbound {
		return "outbound"
	}
	return "inbound"
}

func usec(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return strconv.FormatInt(t.UnixMicro(), 10)
}

func (c *channel) addCallerProfile(e *event) {
	p := c.prof
	d := c.direction()
	e.add("Caller-Direction", d)
	e.add("Caller-Logical-Direction", d)
	e.add("Caller-Username", p.username)
	e.add("Caller-Dialplan", p.dialplan)
	e.add("Caller-Caller-ID-Name", p.cidName)
	e.add("Caller-Caller-ID-Number", p.cidNumber)
	e.add("Caller-Orig-Caller-ID-Name", p.origCIDName)
	e.add("Caller-Orig-Caller-ID-Number", p.origCIDNumber)
	e.add("Caller-Callee-ID-Name", p.calleeName)
	e.add("Caller-Callee-ID-Number", p.calleeNumber)
	e.add("Caller-Network-Addr", p.networkAddr)
	e.add("Caller-ANI", p.ani)
	e.add("Caller-Destination-Number", p.destination)
	e.add("Caller-Unique-ID", c.uuid)
	e.add("Caller-Source", p.source)
	e.add("Caller-Context", p.context)
	e.add("Caller-Channel-Name", c.name)
	e.Headers = append(e.Headers,
		header{"Caller-Profile-Index", "1"},
		header{"Caller-Profile-Created-Time", usec(c.created)},
		header{"Caller-Channel-Created-Time", usec(c.created)},
		header{"Caller-Channel-Answered-Time", usec(c.answered)},
		header{"Caller-Channel-Progress-Time", usec(c.progress)},
		header{"Caller-Channel-Progress-Media-Time", usec(c.media)},
		header{"Caller-Channel-Hangup-Time", usec(c.hungup)},
		header{"Caller-Channel-Transfer-Time", "0"},
		header{"Caller-Channel-Resurrect-Time", "0"},
		header{"Caller-Channel-Bridged-Time", "0"},
		header{"Caller-Channel-Last-Hold", "0"},
		header{"Caller-Channel-Hold-Accum", "0"},
		header{"Caller-Screen-Bit", "true"},
		header{"Caller-Privacy-Hide-Name", "false"},
		header{"Caller-Privacy-Hide-Number", "false"},
	)
}

func (c *channel) mediaLocked() mediaInfo {
	if c.leg == nil {
		return mediaInfo{Codec: "PCMU"}
	}
	m := c.leg.Media()
	if m.Codec == "" {
		m.Codec = "PCMU"
	}
	return m
}

func (c *channel) varCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.vars.list)
}

// setVar sets a channel variable (empty value unsets it).
func (c *channel) setVar(name, value string) {
	c.mu.Lock()
	c.vars.set(name, value)
	c.mu.Unlock()
}

func (c *channel) getVar(name string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.vars.get(name)
}

func (c *channel) isHungup() bool {
	select {
	case <-c.hupCh:
		return true
	default:
		return false
	}
}

// wait runs mailbox ops until stop returns true or the channel hangs up. It
// is the body of park and of every blocking app.
func (c *channel) wait(stop func() bool, timer <-chan time.Time) (timedOut bool) {
	for {
		if c.isHungup() {
			return false
		}
		if stop != nil && stop() {
			return false
		}
		select {
		case <-c.mbox.Ready():
			for _, op := range c.mbox.Drain() {
				op()
			}
		case <-c.hupCh:
		case <-timer:
			return true
		}
	}
}

// runOps runs whatever is queued, without waiting.
func (c *channel) runOps() {
	for _, op := range c.mbox.Drain() {
		op()
	}
}

// do runs op on the channel goroutine and waits for its result. It fails
// when the channel is gone.
func (c *channel) do(op func() error) error {
	res := make(chan error, 1)
	c.mbox.Push(func() { res <- op() })
	select {
	case err := <-res:
		return err
	case <-c.done:
		select {
		case err := <-res:
			return err
		default:
			return errNoChannel
		}
	}
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
	stamp := func(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05") }
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
	epoch := func(name string, t time.Time) {
		if t.IsZero() {
			v.set(name+"_epoch", "0")
			v.set(name+"_uepoch", "0")
			return
		}
		v.set(name+"_epoch", strconv.FormatInt(t.Unix(), 10))
		v.set(name+"_uepoch", strconv.FormatInt(t.UnixMicro(), 10))
	}
	epoch("start", c.created)
	epoch("profile_start", c.created)
	epoch("answer", c.answered)
	epoch("bridge", time.Time{})
	epoch("last_hold", time.Time{})
	v.set("hold_accum_seconds", "0")
	v.set("hold_accum_usec", "0")
	v.set("hold_accum_ms", "0")
	epoch("resurrect", time.Time{})
	epoch("progress", c.progress)
	epoch("progress_media", c.media)
	epoch("end", c.hungup)
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
	diff := func(name string, from, to time.Time) {
		if from.IsZero() || to.IsZero() {
			v.set(name+"sec", "0")
			v.set(name+"msec", "0")
			v.set(name+"usec", "0")
			return
		}
		v.set(name+"sec", strconv.FormatInt(to.Unix()-from.Unix(), 10))
		v.set(name+"msec", strconv.FormatInt(to.Sub(from).Milliseconds(), 10))
		v.set(name+"usec", strconv.FormatInt(to.Sub(from).Microseconds(), 10))
	}
	end := c.hungup
	v.set("duration", strconv.FormatInt(end.Unix()-c.created.Unix(), 10))
	diff("bill", c.answered, end)
	diff("progress", c.created, c.progress)
	diff("answer", c.created, c.answered)
	diff("wait", time.Time{}, time.Time{})
	diff("progress_media", c.created, c.media)
	diff("flow_bill", c.created, end)
	v.set("mduration", strconv.FormatInt(end.Sub(c.created).Milliseconds(), 10))
	v.set("uduration", strconv.FormatInt(end.Sub(c.created).Microseconds(), 10))
}

// markRingReady records 180 (sent or received) and fires CHANNEL_PROGRESS.
func (c *channel) markRingReady() {
	c.mu.Lock()
	if !c.progress.IsZero() || !c.answered.IsZero() {
		c.mu.Unlock()
		return
	}
	c.progress = time.Now()
	c.mu.Unlock()
	c.fire("CHANNEL_PROGRESS", nil)
	if c.outbound {
		c.setCallState("RINGING")
	}
}

// setCodecs fires the two CODEC events of media set-up (captured: 01).
func (c *channel) setCodecs() {
	c.mu.Lock()
	if c.codecSet {
		c.mu.Unlock()
		return
	}
	c.codecSet = true
	m := c.mediaLocked()
	c.vars.set("rtp_use_codec_name", m.Codec)
	c.vars.set("rtp_use_codec_rate", "8000")
	c.vars.set("rtp_use_codec_ptime", "20")
	c.vars.set("rtp_use_codec_channels", "1")
	c.vars.set("read_codec", m.Codec)
	c.vars.set("original_read_codec", m.Codec)
	c.vars.set("read_rate", "8000")
	c.vars.set("original_read_rate", "8000")
	c.vars.set("write_codec", m.Codec)
	c.vars.set("write_rate", "8000")
	c.vars.set("dtmf_type", "rfc2833")
	if m.LocalPort != 0 {
		c.vars.set("local_media_ip", m.LocalIP)
		c.vars.set("local_media_port", strconv.Itoa(m.LocalPort))
		c.vars.set("advertised_media_ip", m.LocalIP)
		c.vars.set("rtp_use_pt", strconv.Itoa(m.PT))
	}
	if m.RemotePort != 0 {
		c.vars.set("remote_media_ip", m.RemoteIP)
		c.vars.set("remote_media_port", strconv.Itoa(m.RemotePort))
	}
	if m.LocalSDP != "" {
		c.vars.set("rtp_local_sdp_str", m.LocalSDP)
	}
	if m.RemoteSDP != "" {
		c.vars.set("switch_r_sdp", m.RemoteSDP)
	}
	c.mu.Unlock()
	codecHeaders := func(e *event) {
		e.Headers = append(e.Headers,
			header{"channel-read-codec-name", m.Codec},
			header{"channel-read-codec-rate", "8000"},
			header{"channel-read-codec-bit-rate", "64000"})
	}
	c.fireWith("CODEC", nil, codecHeaders)
	c.fireWith("CODEC", nil, func(e *event) {
		e.Headers = append(e.Headers,
			header{"Channel-Write-Codec-Name", m.Codec},
			header{"Channel-Write-Codec-Rate", "8000"},
			header{"Channel-Write-codec-bit-rate", "64000"})
	})
}

// markPreAnswered records early media and fires CHANNEL_PROGRESS_MEDIA.
func (c *channel) markPreAnswered() {
	c.mu.Lock()
	if !c.media.IsZero() || !c.answered.IsZero() {
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	if !c.outbound {
		c.setCodecs()
	}
	c.mu.Lock()
	c.media = time.Now()
	c.answerState = "early"
	c.vars.set("endpoint_disposition", "EARLY MEDIA")
	c.mu.Unlock()
	c.fire("CHANNEL_PROGRESS_MEDIA", nil)
	c.setCallState("EARLY")
	if c.outbound {
		c.setCodecs()
	}
}

// markAnswered records the answer and fires CHANNEL_ANSWER.
func (c *channel) markAnswered() {
	c.mu.Lock()
	if !c.answered.IsZero() {
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	c.setCodecs()
	c.mu.Lock()
	c.answered = time.Now()
	c.answerState = "answered"
	c.vars.set("endpoint_disposition", "ANSWER")
	c.mu.Unlock()
	c.fire("CHANNEL_ANSWER", nil)
	c.setCallState("ACTIVE")
}

func (c *channel) peerIP() string {
	if c.leg == nil {
		return ""
	}
	return c.leg.Info().NetworkIP
}

// fireCallUpdate flips caller and callee on an outbound leg, as FreeSWITCH
// does when its originate succeeds: at the answer, or at early media unless
// ignore_early_media (captured: 01, 09, 09b).
func (c *channel) fireCallUpdate() {
	c.mu.Lock()
	if c.flipped {
		c.mu.Unlock()
		return
	}
	c.flipped = true
	c.hitDialplan = true
	p := &c.prof
	p.networkAddr = c.peerIP()
	c.vars.set("pre_transfer_caller_id_number", p.cidNumber)
	c.vars.set("channel_cid_flipped", "yes")
	p.cidName, p.cidNumber, p.calleeName, p.calleeNumber = p.calleeNumber, p.calleeNumber, "", p.cidNumber
	c.mu.Unlock()
	c.fire("CALL_UPDATE", func(e *event) {
		e.Headers = append(e.Headers, header{"Direction", "RECV"})
	})
}

// execute runs one app on the channel goroutine with its EXECUTE events.
func (c *channel) execute(app, arg, appUUID, appUUIDName string) {
	c.mu.Lock()
	prevApp, prevArg := c.app, c.appArg
	c.app, c.appArg = app, arg
	c.vars.set("current_application", app)
	if arg != "" {
		c.vars.set("current_application_data", arg)
	}
	c.mu.Unlock()
	if appUUID == "" {
		appUUID = c.a.newUUID()
	}
	appHeaders := func(e *event) {
		e.Headers = append(e.Headers, header{"Application", app})
		e.add("Application-Data", arg)
	}
	c.fireWith("CHANNEL_EXECUTE", nil, func(e *event) {
		appHeaders(e)
		e.Headers = append(e.Headers, header{"Application-UUID", appUUID})
		e.add("Application-UUID-Name", appUUIDName)
	})
	// The app's DTMF mode; the caller's comes back after
	// CHANNEL_EXECUTE_COMPLETE, so digits the app left queued come out
	// after it, as the calling app (park) dequeues them then.
	restoreDTMF := c.appDTMF()
	resp := c.runApp(app, arg)
	c.mu.Lock()
	if resp == "" {
		resp = c.lastAppResp
		if resp == "" {
			resp = "_none_"
		}
	}
	c.lastAppResp = resp
	c.app, c.appArg = prevApp, prevArg
	c.mu.Unlock()
	c.fireWith("CHANNEL_EXECUTE_COMPLETE", nil, func(e *event) {
		appHeaders(e)
		e.Headers = append(e.Headers, header{"Application-Response", resp})
		e.Headers = append(e.Headers, header{"Application-UUID", appUUID})
		e.add("Application-UUID-Name", appUUIDName)
	})
	restoreDTMF()
}

// showRow is the channel as a `show channels` row.
func (c *channel) showRow(hostname string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.prof
	codec, rate, bits := "", "", ""
	if c.codecSet {
		codec, rate, bits = c.mediaLocked().Codec, "8000", "64000"
	}
	callUUID := ""
	if v, ok := c.vars.get("call_uuid"); ok && c.outbound {
		callUUID = v
	}
	return []string{c.uuid, c.direction(), c.created.Local().Format("2006-01-02 15:04:05"),
		strconv.FormatInt(c.created.Unix(), 10), c.name, c.state.String(), p.cidName, p.cidNumber,
		p.networkAddr, p.destination, c.app, c.appArg, p.dialplan, p.context, codec, rate, bits,
		codec, rate, bits, "", hostname, "", "", "", c.callState, p.calleeName, p.calleeNumber, "",
		callUUID, "", "", p.origCIDName, p.origCIDNumber, p.networkAddr, p.destination, p.dialplan,
		p.context}
}

var showChannelsColumns = strings.Split("uuid,direction,created,created_epoch,name,state,cid_name,cid_num,ip_addr,dest,application,application_data,dialplan,context,read_codec,read_rate,read_bit_rate,write_codec,write_rate,write_bit_rate,secure,hostname,presence_id,presence_data,accountcode,callstate,callee_name,callee_num,callee_direction,call_uuid,sent_callee_name,sent_callee_num,initial_cid_name,initial_cid_num,initial_ip_addr,initial_dest,initial_dialplan,initial_context", ",")
