package agent

import (
	"strconv"
	"strings"
	"time"

	"github.com/callplan/callplan/internal/hangup"
)

// This file holds the API commands that act on one leg (uuid_*,
// sched_hangup; reference 4.2), with FreeSWITCH's reply texts.

func apiUUIDKill(a *Agent, args string) string {
	argv, c, reply := a.uuidArgs(args, 1, "-USAGE: <uuid> [cause]\n", noSuchChannel)
	if c == nil {
		return reply
	}
	cause := hangup.NormalClearing
	if len(argv) > 1 {
		cause = causeOr(argv[1], cause)
	}
	c.requestHangup(hangupInfo{cause: cause, sendSignal: true})
	return "+OK\n"
}

func apiUUIDPark(a *Agent, args string) string {
	c := a.channel(strings.TrimSpace(args))
	if c == nil {
		return noSuchChannel
	}
	// Every agent leg is parked or running an app that returns to park.
	return "+OK\n"
}

func apiUUIDSetvar(a *Agent, args string) string {
	argv := strings.SplitN(strings.TrimSpace(args), " ", 3)
	if len(argv) < 2 {
		return "-USAGE: <uuid> <var> [value]\n"
	}
	c := a.channel(argv[0])
	if c == nil {
		return noSuchChannel
	}
	value := ""
	if len(argv) == 3 {
		value = argv[2]
	}
	c.setVar(argv[1], value)
	return "+OK\n"
}

func apiUUIDSetvarMulti(a *Agent, args string) string {
	id, rest, _ := strings.Cut(strings.TrimSpace(args), " ")
	c := a.channel(id)
	if c == nil {
		return noSuchChannel + "-USAGE: <uuid> <var>=<value>;<var>=<value>...\n"
	}
	for _, kv := range strings.Split(rest, ";") {
		if name, value, ok := strings.Cut(kv, "="); ok && name != "" {
			c.setVar(strings.TrimSpace(name), value)
		}
	}
	return "+OK\n"
}

func apiUUIDGetvar(a *Agent, args string) string {
	argv, c, reply := a.uuidArgs(args, 2, "-USAGE: <uuid> <var>\n", noSuchChannel)
	if c == nil {
		return reply
	}
	if v, ok := c.getVar(argv[1]); ok {
		return v
	}
	return "_undef_"
}

func apiUUIDExists(a *Agent, args string) string {
	return strconv.FormatBool(a.channel(strings.TrimSpace(args)) != nil)
}

func apiUUIDDump(a *Agent, args string) string {
	argv, c, reply := a.uuidArgs(args, 1, noSuchChannel, noSuchChannel)
	if c == nil {
		return reply
	}
	e := a.id.newEvent("CHANNEL_DATA", "", a.hub.seq.Add(1), time.Now(), 64+c.varCount())
	c.addChannelData(e, "CHANNEL_DATA")
	format := "txt"
	if len(argv) > 1 {
		format = strings.ToLower(argv[1])
	}
	if format == "json" {
		return string(encodeJSONEvent(e))
	}
	return string(encodePlainHeaders(e))
}

// apiUUIDBroadcast queues `app::arg` (or a playback of a path) on a leg,
// like sendmsg with event-lock. The leg word is read as mod_commands.c's
// uuid_broadcast reads it: case-insensitive substrings, so "both" and
// "aleg" play on the leg, "holdb" alone and any other word play nothing,
// and no word at all plays on the leg. The b-leg is the leg's partner
// (switch_ivr_broadcast in switch_ivr_async.c asks
// switch_channel_get_partner_uuid, the signal_bond variable a bridge or an
// originate from a session sets). Agent legs are never bridged, and a loop
// call's two legs are two SIP sessions, as on FreeSWITCH, where an API
// originate has no session to bond to: "bleg" plays nothing and "both"
// plays on the named leg only, exactly as FreeSWITCH does for them.
// `app!cause::arg` queues a hangup with that cause after the app
// (normal_clearing when empty), whatever the leg word.
func apiUUIDBroadcast(a *Agent, args string) string {
	argv, c, reply := a.uuidArgs(args, 2, "-USAGE: <uuid> <path> [aleg|bleg|holdb|both]\n", "-ERR invalid uuid\n")
	if c == nil {
		return reply
	}
	app, arg := "playback", argv[1]
	if name, rest, ok := strings.Cut(argv[1], "::"); ok {
		app, arg = name, rest
	}
	app, cause, hangupAfter := strings.Cut(app, "!")
	if hangupAfter && cause == "" {
		cause = "normal_clearing"
	}
	if broadcastsOnLeg(argv[2:]) {
		// FreeSWITCH queues it as a sendmsg with event-lock (1.4, captured:
		// 08), with a COMMAND event now and a PRIVATE_COMMAND once it ran.
		c.broadcast(app, arg)
	}
	if hangupAfter {
		c.broadcast("hangup", cause)
	}
	return "+OK Message sent\n"
}

// broadcastsOnLeg reports whether uuid_broadcast's leg word (words[0], if
// any) sets SMF_ECHO_ALEG, as mod_commands.c's uuid_broadcast decides it.
func broadcastsOnLeg(words []string) bool {
	if len(words) == 0 {
		return true
	}
	w := strings.ToLower(words[0])
	return strings.Contains(w, "both") || strings.Contains(w, "aleg")
}

func apiUUIDBreak(a *Agent, args string) string {
	_, c, reply := a.uuidArgs(args, 1, noSuchChannel, noSuchChannel)
	if c == nil {
		return reply
	}
	c.breakApp()
	return "+OK\n"
}

func apiSchedHangup(a *Agent, args string) string {
	argv := strings.Fields(args)
	if len(argv) < 2 {
		return "-USAGE: [+]<time> <uuid> [<cause>]\n"
	}
	c := a.channel(argv[1])
	if c == nil {
		return noSuchChannel
	}
	secs, err := strconv.Atoi(strings.TrimPrefix(argv[0], "+"))
	if err != nil || secs < 0 {
		return "-USAGE: [+]<time> <uuid> [<cause>]\n"
	}
	if !strings.HasPrefix(argv[0], "+") {
		secs = int(time.Until(time.Unix(int64(secs), 0)).Seconds())
	}
	cause := hangup.AllottedTimeout
	if len(argv) > 2 {
		cause = causeOr(argv[2], cause)
	}
	t := time.AfterFunc(time.Duration(max(secs, 0))*time.Second, func() {
		c.requestHangup(hangupInfo{cause: cause, sendSignal: true})
	})
	go func() {
		<-c.done
		t.Stop()
	}()
	return "+OK\n"
}
