package agent

import (
	"errors"
	"strconv"
	"strings"

	"github.com/callplan/callplan/internal/hangup"
)

// echoer is implemented by legs whose media can reflect what they receive
// (the echo app).
type echoer interface {
	StartEcho() error
}

var errHungup = errors.New("channel hung up")

// runApp runs one dialplan app on the channel goroutine and returns its
// Application-Response ("" = FreeSWITCH's default for the app).
func (c *channel) runApp(app, arg string) string {
	switch app {
	case "park":
		c.fire("CHANNEL_PARK", nil)
		c.whileDequeuingDTMF(func() { c.wait(nil, nil) })
		c.fire("CHANNEL_UNPARK", nil)
		return ""
	case "answer":
		_ = c.answer()
	case "pre_answer":
		_ = c.preAnswer()
	case "ring_ready":
		_ = c.ringReady()
	case "respond":
		c.respond(arg)
	case "hangup":
		c.doHangup(hangupInfo{cause: causeOr(arg, hangup.NormalClearing), sendSignal: true})
	case "echo":
		if err := c.preAnswer(); err == nil {
			c.mu.Lock()
			leg := c.leg
			c.mu.Unlock()
			if e, ok := leg.(echoer); ok {
				if err := e.StartEcho(); err != nil {
					c.a.log.Debug("echo", "uuid", c.uuid, "err", err)
				}
			}
			c.wait(nil, nil)
		}
	case "set":
		name, value, _ := strings.Cut(arg, "=")
		if name != "" {
			c.setVar(strings.TrimSpace(name), value)
		}
	case "multiset":
		for _, kv := range strings.Fields(arg) {
			if name, value, ok := strings.Cut(kv, "="); ok {
				c.setVar(name, value)
			}
		}
	case "sleep":
		c.sleep(arg)
	case "playback":
		return c.playback(arg)
	case "record_session":
		c.recordSessionApp(arg)
	case "stop_record_session":
		_ = c.stopRecordings(strings.TrimSpace(arg), "success-maxtime")
	case "bert_test":
		c.bertTest()
	case "tone_detect":
		c.toneDetectApp(arg)
	case "stop_tone_detect":
		c.stopToneDetect()
	case "record":
		c.recordFile(arg)
	case "send_dtmf":
		if err := c.sendDTMF(arg); err != nil {
			c.a.log.Debug("send_dtmf", "uuid", c.uuid, "err", err)
		}
	case "start_dtmf":
		if err := c.startInbandDTMF(); err != nil {
			c.a.log.Debug("start_dtmf", "uuid", c.uuid, "err", err)
		}
	case "stop_dtmf":
		c.stopInbandDTMF()
	default:
		// An unknown app hangs the channel up (src).
		c.doHangup(hangupInfo{cause: hangup.DestinationOutOfOrder, sendSignal: true})
	}
	return ""
}

// errAnswerOutbound: answer only sends 200 OK on an inbound leg.
var errAnswerOutbound = errors.New("cannot answer an outbound leg")

// answer answers an inbound leg (200 OK) with the events of 3.5 C.
func (c *channel) answer() error {
	return c.respondInbound(
		func() bool { return !c.answered.IsZero() },
		errAnswerOutbound,
		sipLeg.Answer,
		func() {
			c.markPreAnswered()
			c.markAnswered()
		})
}

// preAnswer sends 183 with SDP on an inbound leg.
func (c *channel) preAnswer() error {
	return c.respondInbound(
		func() bool { return !c.media.IsZero() || !c.answered.IsZero() },
		nil, sipLeg.PreAnswer, c.markPreAnswered)
}

// ringReady sends 180 on an inbound leg.
func (c *channel) ringReady() error {
	return c.respondInbound(
		func() bool { return !c.progress.IsZero() || !c.media.IsZero() || !c.answered.IsZero() },
		nil, sipLeg.Ring, c.markRingReady)
}

// respondInbound is the one order answer, preAnswer and ringReady share:
// nothing once the leg is past that state (past, read under c.mu),
// onOutbound on an outbound leg (which has nothing to send), else send
// the response on the SIP leg, if any, and record the state.
func (c *channel) respondInbound(past func() bool, onOutbound error, send func(sipLeg) error, mark func()) error {
	if c.isHungup() {
		return errHungup
	}
	c.mu.Lock()
	done, leg := past(), c.leg
	c.mu.Unlock()
	if done {
		return nil
	}
	if c.outbound {
		return onOutbound
	}
	if leg != nil {
		if err := send(leg); err != nil {
			return err
		}
	}
	mark()
	return nil
}

// respond is the respond app: codes of 400 and above refuse the unanswered
// leg with exactly that response; 180/183 ring or pre-answer.
func (c *channel) respond(arg string) {
	codeStr, reason, _ := strings.Cut(strings.TrimSpace(arg), " ")
	code, err := strconv.Atoi(codeStr)
	if err != nil {
		return
	}
	switch {
	case code >= 400:
		c.mu.Lock()
		answered := !c.answered.IsZero()
		c.mu.Unlock()
		if answered {
			return
		}
		c.doHangup(hangupInfo{cause: hangup.ForSIPStatus(code), sendSignal: true, respondCode: code,
			respondText: strings.TrimSpace(reason)})
	case code == 180:
		_ = c.ringReady()
	case code == 183:
		_ = c.preAnswer()
	}
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
