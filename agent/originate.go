package agent

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/callplan/callplan/internal/hangup"
)

// profiles are the SIP profiles the agent has; only "external" is served.
var profiles = []string{"external"}

// originate runs the originate command. It returns the command's output
// and a continuation that lets the new leg start its app: the caller runs
// it after writing the reply or firing BACKGROUND_JOB, so the job always
// precedes the leg's CHANNEL_EXECUTE (captured: 01, 09). A failed leg's
// CHANNEL_DESTROY likewise waits for the continuation (03).
func (a *Agent) originate(ctx context.Context, args string) (string, func()) {
	oc, err := parseOriginate(args)
	if err != nil {
		var oe originateError
		if errors.As(err, &oe) {
			return "-ERR " + oe.cause.String() + "\n", nil
		}
		return originateUsage, nil
	}
	return a.originateParsed(ctx, oc)
}

// originateParsed is originate of arguments parseOriginate accepted, run
// by `api`: the leg runs on a goroutine of its own while this one waits for
// its outcome.
func (a *Agent) originateParsed(ctx context.Context, oc originateCmd) (string, func()) {
	c, run, out := a.newOutbound(oc)
	if c == nil {
		return out, nil
	}
	res := make(chan string, 1)
	proceed := make(chan struct{})
	a.work.Go(func() { run(func(body string) { res <- body; <-proceed }) })
	cont := func() { close(proceed) }
	select {
	case body := <-res:
		return body, cont
	case <-ctx.Done():
		// The connection or the agent is going away: end the leg, still
		// report its outcome.
		c.requestHangup(hangupInfo{cause: hangup.OriginatorCancel, sendSignal: true})
		return <-res, cont
	}
}

// originateJob runs a bgapi originate. The job's goroutine becomes the
// leg's: it fires BACKGROUND_JOB itself once the leg has its outcome and
// then goes on to the leg's app, so a call costs no goroutine waiting for
// another and no hand-over of the result (FreeSWITCH's job thread, too,
// runs the originate and fires the event: mod_event_socket.c api_exec).
func (a *Agent) originateJob(jobID, cmd, args string, oc originateCmd) {
	a.jobs.Add(1)
	a.work.Go(func() {
		a.fireAPI(cmd, args)
		c, run, out := a.newOutbound(oc)
		if c == nil {
			a.fireJob(jobID, cmd, args, out)
			a.jobs.Done()
			return
		}
		if a.ctx.Err() != nil {
			// Shutting down: shutdown's hangup may have missed this leg.
			c.requestHangup(hangupInfo{cause: hangup.OriginatorCancel, sendSignal: true})
		}
		run(func(body string) {
			a.fireJob(jobID, cmd, args, body)
			a.jobs.Done()
		})
	})
}

// newOutbound creates and lists an originate's outbound leg and returns
// it with the function that runs it: run reports the originate's outcome
// ("+OK <uuid>" or "-ERR <cause>") through report, on the leg's goroutine,
// and the leg waits for report to return before it starts its app. c is
// nil when the originate fails before any leg exists; out says why.
func (a *Agent) newOutbound(oc originateCmd) (c *channel, run func(report func(string)), out string) {
	leg := oc.Dial.Legs[0]
	vars := append(append([]header{}, oc.Dial.Vars...), leg.Vars...)
	target, cause := parseSofia(leg.Endpoint, profiles)
	if cause != hangup.None {
		return nil, nil, "-ERR " + cause.String() + "\n"
	}
	get := func(name string) string {
		v := ""
		for _, h := range vars {
			if h.Name == name {
				v = h.Value
			}
		}
		return v
	}
	id := get("origination_uuid")
	if id == "" {
		id = a.newUUID()
	}
	c = newChannel(a, id, true)
	c.name = "sofia/" + target.Profile + "/" + target.User + "@" + target.Host
	cidName := firstNonEmpty(get("origination_caller_id_name"), oc.CIDName)
	cidNum := firstNonEmpty(get("origination_caller_id_number"), oc.CIDNumber, "0000000000")
	c.prof = callerProfile{
		cidName: cidName, cidNumber: cidNum, origCIDName: cidName, origCIDNumber: cidNum,
		calleeName: "Outbound Call", calleeNumber: target.User, ani: cidNum,
		destination: target.User, source: "src/switch_ivr_originate.c",
		context: firstNonEmpty(oc.Context, "default"), dialplan: oc.Dialplan,
	}
	timeout := defaultOriginateTimeout
	if oc.Timeout > 0 {
		timeout = time.Duration(oc.Timeout) * time.Second
	}
	if t, err := strconv.Atoi(get("originate_timeout")); err == nil && t > 0 {
		timeout = time.Duration(t) * time.Second
	}
	ignoreEarly := isTrue(get("ignore_early_media"))
	codecs := []string{"PCMU", "PCMA"}
	if s := get("absolute_codec_string"); s != "" {
		codecs = splitCodecs(s)
	}
	req := dialRequest{
		UUID: id, User: target.User, Host: target.Host, Proxy: target.Proxy,
		Transport: target.Transport, CallerIDName: cidName, CallerIDNumber: cidNum,
		Codecs: codecs,
	}
	for _, h := range vars {
		if name, ok := strings.CutPrefix(h.Name, "sip_h_"); ok && name != "" {
			req.Headers = append(req.Headers, header{name, h.Value})
		}
	}
	if err := a.addChannel(c); err != nil {
		// Duplicate uuid, max_sessions and sps all fail the leg this way (4.1).
		a.log.Debug("originate refused", "uuid", id, "err", err)
		return nil, nil, "-ERR " + hangup.DestinationOutOfOrder.String() + "\n"
	}
	// The leg is listed now (hupall, show channels): its variables are
	// written under its lock, as every later writer does.
	c.mu.Lock()
	v := &c.vars
	v.set("direction", "outbound")
	v.set("is_outbound", "true")
	v.set("uuid", id)
	v.set("call_uuid", id)
	v.set("session_id", strconv.FormatUint(c.sessID, 10))
	v.set("sip_local_network_addr", a.sipHost())
	v.set("sip_profile_name", target.Profile)
	v.set("video_media_flow", "disabled")
	v.set("text_media_flow", "disabled")
	v.set("channel_name", c.name)
	v.set("sip_destination_url", "sip:"+target.User+"@"+target.Host)
	for _, h := range vars {
		v.set(h.Name, h.Value)
	}
	v.set("originate_early_media", strconv.FormatBool(!ignoreEarly))
	v.set("originate_endpoint", "sofia")
	v.set("rtp_use_codec_string", strings.Join(codecs, ","))
	v.set("audio_media_flow", "sendrecv")
	v.set("sip_req_uri", target.User+"@"+target.Host)
	v.set("sip_to_host", target.Host)
	v.set("sip_from_host", a.sipHost())
	v.set("sofia_profile_name", target.Profile)
	v.set("recovery_profile_name", target.Profile)
	v.set("sofia_profile_url", "sip:mod_sofia@"+a.sipAddrOrDefault())
	c.mu.Unlock()

	app, appArg := oc.App, oc.AppArg
	return c, func(report func(string)) { c.runOutbound(req, timeout, ignoreEarly, app, appArg, report) }, ""
}

// originateLater parses originate args for a bgapi job. ok is false when
// they fail before any leg exists (usage, dial string, endpoint), so the
// job can answer inline; otherwise the job runs the parsed command and
// does not parse it again (the dial string's variable block is most of a
// loop call's originate cost).
func originateLater(args string) (oc originateCmd, ok bool) {
	oc, err := parseOriginate(args)
	if err != nil {
		return oc, false
	}
	_, cause := parseSofia(oc.Dial.Legs[0].Endpoint, profiles)
	return oc, cause == hangup.None
}

// runOutbound is an outbound leg's goroutine.
func (c *channel) runOutbound(req dialRequest, timeout time.Duration, ignoreEarly bool, app, appArg string, report func(string)) {
	c.fire("CHANNEL_OUTGOING", nil)
	c.setState(csInit)
	c.fire("CHANNEL_CREATE", nil)
	c.fire("CHANNEL_ORIGINATE", nil)
	c.setState(csRouting)
	c.setState(csConsumeMedia)
	leg, err := c.a.sig.Dial(c.a.ctx, req, c)
	if err != nil {
		c.a.log.Debug("dial failed", "uuid", c.uuid, "err", err)
		c.doHangup(dialFailure(err))
	} else {
		c.mu.Lock()
		c.leg = leg
		v := &c.vars
		info := leg.Info()
		v.set("sip_call_id", info.CallID)
		m := leg.Media()
		if m.LocalPort != 0 {
			v.set("local_media_ip", m.LocalIP)
			v.set("local_media_port", strconv.Itoa(m.LocalPort))
			v.set("advertised_media_ip", m.LocalIP)
		}
		if m.LocalSDP != "" {
			v.set("rtp_local_sdp_str", m.LocalSDP)
		}
		c.mu.Unlock()
		timer := time.NewTimer(timeout)
		ready := func() bool {
			c.mu.Lock()
			defer c.mu.Unlock()
			return !c.answered.IsZero() || (!ignoreEarly && !c.media.IsZero())
		}
		if timedOut := c.wait(ready, timer.C); timedOut {
			c.doHangup(hangupInfo{cause: hangup.NoAnswer, sendSignal: true})
		}
		timer.Stop()
	}
	c.runOps()
	if c.isHungup() {
		c.mu.Lock()
		cause := c.hangup.cause
		c.mu.Unlock()
		c.finish(func() { report("-ERR " + cause.String() + "\n") })
		return
	}
	c.fireCallUpdate()
	report("+OK " + c.uuid + "\n")
	c.setState(csExecute)
	c.execute(app, appArg, "", "")
	c.endOfApps()
}

// endOfApps hangs up a leg whose app returned while it was still up (the
// end of the dialplan), then finishes it.
func (c *channel) endOfApps() {
	c.runOps()
	if !c.isHungup() {
		c.doHangup(hangupInfo{cause: hangup.NormalClearing, sendSignal: true})
	}
	c.finish(nil)
}

// dialError is a failure to send the INVITE at all, with the cause the
// originate reports.
type dialError struct {
	cause hangup.Cause
	err   error
}

func (e *dialError) Error() string { return e.cause.String() + ": " + e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

// dialFailure is the hangup of an outbound leg whose INVITE could not be
// sent: the signalling's cause, else the locally made 503 FreeSWITCH
// reports when nothing listens (03a).
func dialFailure(err error) hangupInfo {
	var de *dialError
	if errors.As(err, &de) {
		return hangupInfo{cause: de.cause, disposition: "recv_refuse"}
	}
	return refusal(503, sipPhrase(503))
}

// refusal is the hangup of an outbound leg whose INVITE got a final error.
func refusal(code int, phrase string) hangupInfo {
	return hangupInfo{cause: hangup.ForSIPStatus(code), disposition: "recv_refuse", termStatus: code,
		failStatus: code, failPhrase: phrase}
}

// The legEvents callbacks: signalling reports, the channel goroutine acts.

func (c *channel) Ringing()    { c.mbox.Push(c.markRingReady) }
func (c *channel) EarlyMedia() { c.mbox.Push(c.markPreAnswered) }
func (c *channel) Answered()   { c.mbox.Push(c.markAnswered) }

func (c *channel) Ended(end legEnd) {
	c.mbox.Push(func() {
		c.doHangup(hangupInfo{cause: end.Cause, disposition: end.Disposition,
			termStatus: end.TermStatus, failStatus: end.FailStatus, failPhrase: end.FailPhrase,
			reason: end.Reason})
	})
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func isTrue(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "on", "1", "enabled", "active", "allow":
		return true
	}
	return false
}

func splitCodecs(s string) []string {
	var out []string
	for _, c := range strings.Split(s, ",") {
		c = strings.ToUpper(strings.TrimSpace(c))
		if i := strings.IndexByte(c, '@'); i >= 0 {
			c = c[:i]
		}
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}

func (a *Agent) sipHost() string {
	host, _ := splitHostPortLoose(a.sipAddrOrDefault())
	if host == "" || host == "0.0.0.0" || host == "::" {
		return "127.0.0.1"
	}
	return host
}

func (a *Agent) sipAddrOrDefault() string {
	if addr := a.SIPAddr(); addr != "" {
		return addr
	}
	return a.cfg.SIPAddr
}
