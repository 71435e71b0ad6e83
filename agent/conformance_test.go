package agent

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callplan/callplan/esl"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The conformance tests replay the command sequence of each FreeSWITCH
// capture against the agent (those with media over real SIP and RTP only)
// and compare what comes back: content types and reply texts in order,
// api and job bodies, the event names of each leg in order, and the set
// of headers per event type. UUIDs, times, sequence numbers and host
// values are normalised. Every remaining difference is filtered
// explicitly in the cases below (or headerDiffs), and listed in
// docs/agent.md.

// conformanceCase describes how to replay one fixture.
type conformanceCase struct {
	name string
	// skip drops commands the agent does not do yet (bert_test: media issue).
	skip func(cmd string) bool
	// rewrite derives a variation of a command (a shorter timeout).
	rewrite func(cmd string) string
	// untimed sends commands back to back instead of at the captured times.
	untimed bool
	// legFilter adjusts the agent's event names of one leg for a documented
	// difference.
	legFilter func(direction, dest string, names []string) []string
	// sipOnly replays only against real SIP and RTP: the fixture's events
	// come from media (bert_test, playback, recording), which the fake
	// signalling has none of.
	sipOnly bool
	// headerOrder names event types whose header names (variables aside)
	// must come in the fixture's order, per subclass and call direction.
	headerOrder []string
	// headerValues names headers whose values must match the fixture's on
	// those same first events (values that do not depend on time).
	headerValues []string
	// await names, for a command, the events the capture had before it
	// was sent: the replay waits (bounded) until the agent has sent as many,
	// so a loaded machine does not cut a timed step short.
	await func(cmd string) (name string, count int)
}

// dialplan answers what the fixtures' FreeSWITCH dialplan did by itself:
// destinations reject404 / reject486 are refused with that code. It also
// maps originating uuids to the agent's inbound legs.
type dialplan struct {
	c       *testClient
	mu      sync.Mutex
	inbound map[string]string // X-originating_session_uuid -> agent inbound uuid
	seen    int
}

func startDialplan(t *testing.T, addr string) *dialplan {
	d := &dialplan{c: dialTest(t, addr), inbound: map[string]string{}}
	d.c.auth()
	d.c.send("event plain CHANNEL_PARK")
	return d
}

// poll handles inbound parks seen so far.
func (d *dialplan) poll() {
	d.c.mu.Lock()
	evs := append([]*esl.Event(nil), d.c.events[d.seen:]...)
	d.seen = len(d.c.events)
	d.c.mu.Unlock()
	for _, e := range evs {
		if e.Get("Call-Direction") != "inbound" {
			continue
		}
		orig := e.Var("sip_h_X-originating_session_uuid")
		d.mu.Lock()
		d.inbound[orig] = e.UniqueID()
		d.mu.Unlock()
		switch dest := e.Get("Caller-Destination-Number"); dest {
		case "reject404", "reject486":
			d.c.send("sendmsg "+e.UniqueID(), "call-command: execute", "execute-app-name: respond",
				"execute-app-arg: "+strings.TrimPrefix(dest, "reject"))
		}
	}
}

// fixtureInbound maps the fixture's inbound leg uuids to their originating uuid.
func fixtureInbound(events []*esl.Event) map[string]string {
	m := map[string]string{}
	for _, e := range events {
		if e.Get("Call-Direction") == "inbound" {
			if o := e.Var("sip_h_X-originating_session_uuid"); o != "" {
				m[e.UniqueID()] = o
			}
		}
	}
	return m
}

func runConformance(t *testing.T, cc conformanceCase, realSIP bool) {
	fixture, err := os.ReadFile(fixturePath(cc.name + ".txt"))
	require.NoError(t, err)
	want := decodeTranscript(t, readFrames(t, fixture))
	if cc.skip != nil {
		// Drop what the skipped commands caused: their +OK replies and the
		// CUSTOM (mod_bert) events.
		skipped := 0
		for _, cmd := range readSent(t, cc.name) {
			if cc.skip(cmd.text) {
				skipped++
			}
		}
		for i := len(want.replies) - 1; i >= 0 && skipped > 0; i-- {
			if want.replies[i] == "command/reply | +OK | " {
				want.replies = slices.Delete(want.replies, i, i+1)
				skipped--
			}
		}
		want.events = slices.DeleteFunc(want.events, func(e *esl.Event) bool { return e.Name() == "CUSTOM" })
	}
	fixIn := fixtureInbound(want.events)

	node := func(c *Config) {
		// The captures' node: heartbeat every 2 s, max_sessions 2000, sps 1000.
		c.Heartbeat = 2 * time.Second
		c.MaxSessions, c.SPS = 2000, 1000
		c.Hostname = "vm" // the captured node's name
	}
	var a *Agent
	addrs := strings.NewReplacer()
	if realSIP {
		a = startSIPAgent(t, node)
		// The captures dial the node's own profile on :5080 and a closed
		// :5999; the agent listens on a random port.
		addrs = strings.NewReplacer("127.0.0.1:5080", a.SIPAddr(), "127.0.0.1:5999", "127.0.0.1:"+closedPort(t))
	} else {
		a = startTestAgent(t, newFakeNet(), "127.0.0.1:5080", node)
	}
	dp := startDialplan(t, a.Addr())
	c := dialTest(t, a.Addr())
	start := time.Now()
	c.next() // auth/request
	for _, cmd := range readSent(t, cc.name) {
		if cc.skip != nil && cc.skip(cmd.text) {
			continue
		}
		text := cmd.text
		if cc.rewrite != nil {
			text = cc.rewrite(text)
		}
		text = addrs.Replace(text)
		if d := time.Until(start.Add(cmd.at)); d > 0 && !cc.untimed {
			time.Sleep(d)
		}
		dp.poll()
		// Replace the fixture's inbound uuids by the agent's.
		for fixUUID, orig := range fixIn {
			if !strings.Contains(text, fixUUID) {
				continue
			}
			var got string
			// Generous: on a loaded machine the INVITE can take seconds.
			for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				dp.poll()
				dp.mu.Lock()
				got = dp.inbound[orig]
				dp.mu.Unlock()
				if got != "" {
					break
				}
			}
			require.NotEmpty(t, got, "no inbound leg for %s; replay connection saw %s", orig, c.names())
			text = strings.ReplaceAll(text, fixUUID, got)
		}
		if text == "exit" {
			// Wait (bounded) for the jobs the capture has, so a loaded
			// machine cannot cut the replay short.
			wantJobs := 0
			for _, e := range want.events {
				if e.Name() == "BACKGROUND_JOB" {
					wantJobs++
				}
			}
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				if jobsSeen(c) >= wantJobs {
					break
				}
			}
		}
		if cc.await != nil {
			if name, n := cc.await(text); n > 0 {
				for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
					if eventsSeen(c, name) >= n {
						break
					}
				}
			}
		}
		lines := strings.Split(text, "\n")
		c.send(lines[0], lines[1:]...)
	}
	// Let the last events arrive (exit closes the connection).
	select {
	case <-c.done:
	case <-time.After(3 * time.Second):
	}
	var frames []*esl.Frame
	for {
		select {
		case f := <-c.frames:
			frames = append(frames, f)
			continue
		default:
		}
		break
	}
	got := decodeTranscript(t, frames)

	assert.Equal(t, want.replies, got.replies, "replies in order")

	// Map agent inbound legs to the fixture's.
	dp.mu.Lock()
	agentToFix := map[string]string{}
	for fixUUID, orig := range fixIn {
		if ag := dp.inbound[orig]; ag != "" {
			agentToFix[ag] = fixUUID
		}
	}
	dp.mu.Unlock()
	compareLegs(t, cc, want.events, got.events, agentToFix)
	compareEndVars(t, want.events, got.events, agentToFix)
	compareDTMF(t, want.events, got.events, agentToFix)
	compareJobs(t, want.events, got.events)
	compareHeaderSets(t, want.events, got.events)
	compareHeaderOrder(t, cc.headerOrder, cc.headerValues, want.events, got.events)
}

func jobsSeen(c *testClient) int { return eventsSeen(c, "BACKGROUND_JOB") }

func eventsSeen(c *testClient, name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, e := range c.events {
		if e.Name() == name {
			n++
		}
	}
	return n
}

// recPath replaces fixture 08's recording path: one file per test process.
var recPath = filepath.Join(os.TempDir(), "callplan-conformance-"+strconv.Itoa(os.Getpid())+".wav")

func TestConformance(t *testing.T) {
	t.Parallel()
	t.Cleanup(func() { _ = os.Remove(recPath) })
	if _, err := os.Stat(fixturePath("README.md")); err != nil {
		t.Fatalf("fixtures not found (set CALLPLAN_FIXTURES): %v", err)
	}
	cases := []conformanceCase{
		{name: "01-loopback-call-plain-all"},
		{name: "02-loopback-call-json-all"},
		{name: "03-originate-failures", legFilter: func(dir, dest string, names []string) []string {
			// FreeSWITCH's dialplan refused reject404/486 before parking;
			// the agent parks every inbound leg and the refusal comes by
			// sendmsg respond.
			if dir == "inbound" && strings.HasPrefix(dest, "reject") {
				return slices.DeleteFunc(names, func(n string) bool { return n == "CHANNEL_PARK" })
			}
			return names
		}},
		{name: "04-heartbeat"},
		{name: "07-dtmf", sipOnly: true},
		{name: "05-hupall"},
		{name: "09-ringback-early-media"},
		{name: "09b-ringback-ignore-early-media"},
		{name: "10a-misc-api-responses", untimed: true, rewrite: func(cmd string) string {
			// The captured originate waited 59 s for NO_ANSWER; derive a
			// 2-second variation.
			return strings.Replace(cmd, "originate sofia/external/x@127.0.0.1:5080 &nosuchapp()",
				"originate {originate_timeout=2}sofia/external/x@127.0.0.1:5080 &nosuchapp()", 1)
		}},
		{name: "10b-auth-wrong-password"},
		{name: "10c-command-before-auth"},
		{name: "11-burst-10-calls-custom-subscription", sipOnly: true, await: func(cmd string) (string, int) {
			if strings.HasPrefix(cmd, "api hupall") {
				return "CUSTOM", 20 // every leg's mod_bert::in_sync
			}
			return "", 0
		}},
		{name: "06-bert", sipOnly: true, await: awaitBERT06,
			headerOrder:  []string{"MEDIA_BUG_START", "MEDIA_BUG_STOP", "CUSTOM"},
			headerValues: []string{"Media-Bug-Function", "Media-Bug-Target", "Event-Subclass", "Event-Calling-File", "Event-Calling-Function", "sync_lost_count"}},
		{name: "08-playback-record", sipOnly: true, rewrite: func(cmd string) string {
			// The capture's fixed /tmp path would be shared by every test
			// process on the machine (other worktrees run this test too).
			return strings.ReplaceAll(cmd, "/tmp/fs-rec-test.wav", recPath)
		}},
	}
	for _, cc := range cases {
		for _, realSIP := range []bool{false, true} {
			if cc.sipOnly && !realSIP {
				continue
			}
			t.Run(cc.name+map[bool]string{false: "/fake", true: "/sip"}[realSIP], func(t *testing.T) {
				t.Parallel()
				runConformance(t, cc, realSIP)
			})
		}
	}
}

// awaitBERT06 holds each step of fixture 06 until the events the capture
// had before it: each call's two CHANNEL_PARKs (the outbound leg's comes
// once its originate succeeded) before bert_test is sent to it, both legs
// in sync before the first dumps and the mute, the outbound leg's
// lost_sync before the unmute, in sync again before the second dumps, the
// second call's timeout before its dump.
func awaitBERT06(cmd string) (string, int) {
	const secondCall = "4a26bd03-2084-4c1a-80a8-952bc7b198b5" // the capture's origination_uuid
	switch {
	case strings.HasPrefix(cmd, "sendmsg"), strings.HasPrefix(cmd, "api uuid_setvar"):
		if strings.Contains(cmd, secondCall) {
			return "CHANNEL_PARK", 4
		}
		return "CHANNEL_PARK", 2
	case strings.HasPrefix(cmd, "api uuid_audio") && strings.HasSuffix(cmd, " stop"):
		return "CUSTOM", 3
	case strings.HasPrefix(cmd, "api uuid_dump") && strings.Contains(cmd, secondCall):
		return "CUSTOM", 5
	case strings.HasPrefix(cmd, "api uuid_dump"), strings.HasPrefix(cmd, "api uuid_audio"):
		return "CUSTOM", 2
	case strings.HasPrefix(cmd, "api uuid_kill"),
		strings.HasPrefix(cmd, "bgapi originate") && strings.Contains(cmd, secondCall):
		return "CUSTOM", 4
	}
	return "", 0
}
