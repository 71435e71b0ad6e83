package agent

import (
	"strconv"
	"strings"

	"github.com/callplan/callplan/esl"
	"github.com/callplan/callplan/internal/hangup"
)

// sendmsg queues a message on a channel (2.8) and returns the Reply-Text.
// The reply means only "queued": the channel goroutine runs it when it next
// looks at its mailbox (inside park or any blocking app, or between apps).
func (a *Agent) sendmsg(uuidArg string, cmd *esl.Command) string {
	id := strings.TrimSpace(uuidArg)
	c := a.channel(id)
	if c == nil {
		return "-ERR invalid session id [" + id + "]"
	}
	hs := cmd.Headers
	switch strings.ToLower(hs.Get("call-command")) {
	case "execute":
		app := hs.Get("execute-app-name")
		arg, hasArg := hs.Lookup("execute-app-arg")
		if !hasArg && len(cmd.Body) > 0 {
			arg = string(cmd.Body)
		}
		loops := 1
		if n, err := strconv.Atoi(hs.Get("loops")); err == nil && (n > 0 || n == -1) {
			loops = n
		}
		appUUID, appUUIDName := hs.Get("Event-UUID"), hs.Get("Event-UUID-Name")
		sent := append(esl.Headers{}, hs...)
		c.postPrivate(isTrue(hs.Get("event-lock")), func() {
			for i := 0; loops == -1 || i < loops; i++ {
				if c.isHungup() {
					break
				}
				c.execute(app, arg, appUUID, appUUIDName)
			}
			c.firePrivateCommand(id, sent)
		})
	case "hangup":
		cause := causeOr(hs.Get("hangup-cause"), hangup.NormalClearing)
		sent := append(esl.Headers{}, hs...)
		c.postPrivate(isTrue(hs.Get("event-lock")), func() {
			c.doHangup(hangupInfo{cause: cause, sendSignal: true})
			c.firePrivateCommand(id, sent)
		})
	}
	return "+OK"
}

// postPrivate queues a message from sendmsg or uuid_broadcast (FreeSWITCH's
// private event queue). It runs when the channel next looks at its
// mailbox, unless an app sent with event-lock is running: then it waits
// until that app returns instead of running nested inside it (2.8).
// Signalling and API operations are not private messages and are never
// held.
func (c *channel) postPrivate(lock bool, run func()) {
	var op func()
	op = func() {
		if c.eventLock > 0 {
			c.held = append(c.held, op)
			return
		}
		if !lock {
			run()
			return
		}
		c.eventLock++
		run()
		c.eventLock--
		if c.eventLock == 0 && len(c.held) > 0 {
			// Held messages go before anything queued since, in their
			// own order.
			held := c.held
			c.held = nil
			c.mbox.PushFront(held...)
		}
	}
	c.mbox.Push(op)
}

// firePrivateCommand fires the PRIVATE_COMMAND of a processed sendmsg: the
// message headers first, then the core and channel headers, no variables.
func (c *channel) firePrivateCommand(id string, sent esl.Headers) {
	c.a.hub.fire("PRIVATE_COMMAND", "", func(e *event) {
		pre := make([]header, 0, len(sent)+1)
		pre = append(pre, header{"Command", "sendmsg " + id})
		for _, h := range sent {
			pre = append(pre, header{h.Name, h.Value})
		}
		e.Headers = append(pre, e.Headers...)
		c.addChannelData(e, "PRIVATE_COMMAND")
	})
}
