package agent

import (
	"strconv"
	"time"
)

// This file builds a channel's events: the channel block of reference
// 3.2 (state, codecs, the Caller-* profile) and the variables of 3.3.

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
		e.Headers = c.vars.appendHeaders(e.Headers)
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

// usecMemo is one of a channel's times as microseconds text.
type usecMemo struct {
	t time.Time
	s string
}

// usecOf is usec(t), remembered: every channel event carries the leg's
// times (Caller-Channel-*-Time) and its end the same times as *_uepoch
// variables, and formatting them anew was about 14 allocations a loop
// call. A channel has at most five distinct times (created, progress,
// media, answered, hungup), so five memos are enough. c.mu is held.
func (c *channel) usecOf(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	for i := range c.usecs {
		if m := &c.usecs[i]; m.s != "" && m.t.Equal(t) {
			return m.s
		}
	}
	m := &c.usecs[c.usecNext%len(c.usecs)]
	c.usecNext++
	m.t, m.s = t, usec(t)
	return m.s
}

// addCallerProfile appends the caller profile headers; c.mu is held.
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
		header{"Caller-Profile-Created-Time", c.usecOf(c.created)},
		header{"Caller-Channel-Created-Time", c.usecOf(c.created)},
		header{"Caller-Channel-Answered-Time", c.usecOf(c.answered)},
		header{"Caller-Channel-Progress-Time", c.usecOf(c.progress)},
		header{"Caller-Channel-Progress-Media-Time", c.usecOf(c.media)},
		header{"Caller-Channel-Hangup-Time", c.usecOf(c.hungup)},
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
