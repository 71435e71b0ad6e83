package agent

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/callplan/callplan/esl"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAuth(t *testing.T) {
	t.Parallel()
	a := startTestAgent(t, newFakeNet(), "127.0.0.1:5080")

	t.Run("wrong password", func(t *testing.T) {
		t.Parallel()
		c := dialTest(t, a.Addr())
		require.Equal(t, esl.ContentAuthRequest, c.next().ContentType())
		assert.Equal(t, "-ERR invalid", c.send("auth WrongPassword").ReplyText())
		n := c.next()
		assert.Equal(t, esl.ContentDisconnectNotice, n.ContentType())
		assert.Equal(t, esl.DisconnectGoodbye, string(n.Body))
		_, ok := <-c.reply
		assert.False(t, ok, "connection still open after a wrong password")
	})
	t.Run("command before auth", func(t *testing.T) {
		t.Parallel()
		c := dialTest(t, a.Addr())
		c.next()
		assert.Equal(t, "-ERR command not found", c.send("api status").ReplyText())
		assert.Equal(t, "+OK accepted", c.send("auth ClueCon").ReplyText())
		assert.Equal(t, "+OK bye", c.send("exit").ReplyText())
		n := c.next()
		assert.Equal(t, esl.ContentDisconnectNotice, n.ContentType())
		assert.Len(t, n.Body, 67)
	})
}

func TestNewRefusesDefaultPasswordOffLoopback(t *testing.T) {
	t.Parallel()
	_, err := New(Config{ESLAddr: "0.0.0.0:8021"})
	assert.ErrorIs(t, err, ErrNoPassword)
	_, err = New(Config{ESLAddr: "0.0.0.0:8021", Password: "secret"})
	assert.NoError(t, err)
	_, err = New(Config{ESLAddr: "127.0.0.1:0"})
	assert.NoError(t, err)
}

// TestAPIResponses checks the texts of fixture 10a on an idle agent.
func TestAPIResponses(t *testing.T) {
	t.Parallel()
	a := startTestAgent(t, newFakeNet(), "127.0.0.1:5080")
	c := dialTest(t, a.Addr())
	c.auth()
	const nobody = "00000000-0000-0000-0000-000000000000"
	tests := []struct{ cmd, want string }{
		{"fsctl max_sessions 500", "+OK max sessions: 500\n"},
		{"fsctl max_sessions", "+OK max sessions: 500\n"},
		{"fsctl sps 100", "+OK sessions per second: 100\n"},
		{"fsctl sps", "+OK sessions per second: 100\n"},
		{"originate", originateUsage},
		{"originate nosuchendpoint/foo &park()", "-ERR CHAN_NOT_IMPLEMENTED\n"},
		{"originate sofia/nosuchprofile/x@127.0.0.1 &park()", "-ERR INVALID_PROFILE\n"},
		{"originate {origination_uuid=bad sofia/external/x@127.0.0.1:5080 &park()", "-ERR DESTINATION_OUT_OF_ORDER\n"},
		{"nosuchcommand", "-ERR nosuchcommand Command not found!\n"},
		{"nosuchcommand with args", "-ERR nosuchcommand Command not found!\n"},
		{"uuid_kill " + nobody, "-ERR No such channel!\n"},
		{"uuid_answer " + nobody, "-ERROR\n"},
		{"uuid_pre_answer " + nobody, "-ERROR\n"},
		{"uuid_ring_ready " + nobody, "-ERROR\n"},
		{"uuid_send_dtmf " + nobody + " 1", "-ERR Cannot locate session!\n"},
		{"uuid_broadcast " + nobody + " tone_stream://%(100,0,1004) aleg", "-ERR invalid uuid\n"},
		{"uuid_exists " + nobody, "false"},
		{"uuid_dump " + nobody, "-ERR No such channel!\n"},
		{"uuid_getvar " + nobody + " x", "-ERR No such channel!\n"},
		{"uuid_setvar " + nobody + " x 1", "-ERR No such channel!\n"},
		{"show channels count", "\n0 total.\n"},
		{"show calls count", "\n0 total.\n"},
		{"show channels as json", `{"row_count": 0}`},
		{"hupall", "+OK hangup all channels with cause MANAGER_REQUEST\n"},
		{"global_getvar max-sessions", "-ERR no reply\n"},
		{"version", "FreeSWITCH Version 1.10.12-release~64bit ( 64bit)\n"},
		{"module_exists mod_sofia", "true"},
		{"module_exists mod_nothing", "false"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, c.api(tt.cmd), "api %s", tt.cmd)
	}
	status := c.api("status")
	lines := strings.Split(status, "\n")
	require.Len(t, lines, 9, "status: %q", status)
	assert.True(t, strings.HasPrefix(lines[0], "UP 0 years, 0 days, 0 hours, 0 minutes, "))
	assert.Equal(t, "FreeSWITCH (Version 1.10.12-release  64bit) is ready", lines[1])
	assert.Equal(t, "0 session(s) per Sec out of max 100, peak 0, last 5min 0 ", lines[4])
	assert.Equal(t, "500 session(s) max", lines[5])
	assert.True(t, strings.HasPrefix(lines[6], "min idle cpu "))
	prof := c.api("sofia status profile external")
	assert.True(t, strings.HasPrefix(prof, strings.Repeat("=", 97)+"\nName             \texternal\n"), prof)
	assert.Contains(t, prof, "CALLS-IN         \t0\n")

	// bgapi: the reply first, then the job; a chosen Job-UUID is honoured.
	c.send("event plain BACKGROUND_JOB")
	r := c.send("bgapi status", "Job-UUID: 563536d8-2a23-48ef-95f9-130bc53d2d33")
	assert.Equal(t, "+OK Job-UUID: 563536d8-2a23-48ef-95f9-130bc53d2d33", r.ReplyText())
	bg := c.waitEvent(nameAnd("BACKGROUND_JOB", "Job-UUID", "563536d8-2a23-48ef-95f9-130bc53d2d33"))
	assert.True(t, strings.HasPrefix(bg.Body, "UP "))
	_, hasArg := bg.Lookup("Job-Command-Arg")
	assert.False(t, hasArg, "Job-Command-Arg present without arguments")
	_, hasOwner := bg.Lookup("Job-Owner-UUID")
	assert.False(t, hasOwner)
	r = c.send("bgapi nosuchcommand")
	job := r.Headers.Get("Job-UUID")
	assert.Equal(t, "+OK Job-UUID: "+job, r.ReplyText())
	bg = c.waitEvent(nameAnd("BACKGROUND_JOB", "Job-UUID", job))
	assert.Equal(t, "-ERR nosuchcommand Command not found!\n", bg.Body)

	replies := []struct{ cmd, want string }{
		{"sendmsg " + nobody, "-ERR invalid session id [" + nobody + "]"},
		{"nosuchcmd", "-ERR command not found"},
		{"event plain NOSUCHEVENT", "-ERR no keywords supplied"},
		{"filter Unique-ID " + nobody, "+OK filter added. [Unique-ID]=[" + nobody + "]"},
		{"filter delete Unique-ID " + nobody, "+OK filter deleted. [Unique-ID][" + nobody + "]"},
		{"filter Unique-ID", "-ERR invalid syntax"},
		{"nixevent BACKGROUND_JOB", "+OK events nixed"},
		{"noevents", "+OK no longer listening for events"},
		{"noevents", "-ERR not listening for events"},
		{"linger", "-ERR not controlling a session"},
	}
	for _, tt := range replies {
		assert.Equal(t, tt.want, c.send(tt.cmd).ReplyText(), tt.cmd)
	}
}

// TestSubscriptionsAndFilters: each client gets what it subscribed to,
// filtered by its own filters; HEARTBEAT carries real figures.
func TestSubscriptionsAndFilters(t *testing.T) {
	t.Parallel()
	a := startTestAgent(t, newFakeNet(), "127.0.0.1:5080", func(c *Config) {
		c.Heartbeat = 50 * time.Millisecond
		c.MaxSessions = 42
	})
	hb := dialTest(t, a.Addr())
	hb.auth()
	require.Equal(t, "+OK event listener enabled json", hb.send("event json HEARTBEAT").ReplyText())
	e := hb.waitEvent(func(e *esl.Event) bool { return e.Name() == "HEARTBEAT" })
	assert.Equal(t, "42", e.Get("Max-Sessions"))
	assert.Equal(t, "0", e.Get("Session-Count"))
	assert.Equal(t, "System Ready", e.Get("Event-Info"))
	for _, h := range []string{"Core-UUID", "FreeSWITCH-Hostname", "Event-Date-Timestamp", "Event-Sequence",
		"Up-Time", "Uptime-msec", "Session-Per-Sec", "Session-Peak-Max", "Idle-CPU"} {
		_, ok := e.Lookup(h)
		assert.True(t, ok, "HEARTBEAT lacks %s", h)
	}
	_, hasUID := e.Lookup("Unique-ID")
	assert.False(t, hasUID)

	// A Unique-ID filter hides heartbeats (2.4); an Event-Name filter lets
	// them through again.
	f := dialTest(t, a.Addr())
	f.auth()
	f.send("event plain HEARTBEAT RE_SCHEDULE")
	f.send("filter Unique-ID nobody")
	applied := time.Now()
	time.Sleep(300 * time.Millisecond)
	assert.Equal(t, -1, f.indexOf(func(e *esl.Event) bool { return e.Time().After(applied) }),
		"filtered client got %s", f.names())
	f.send("filter Event-Name HEARTBEAT")
	f.waitEvent(func(e *esl.Event) bool { return e.Name() == "HEARTBEAT" })
	f.send("filter Event-Name -HEARTBEAT")
	// Events created before the filter may still be queued; none created
	// after it may arrive.
	applied = time.Now()
	time.Sleep(300 * time.Millisecond)
	assert.Equal(t, -1, f.indexOf(func(e *esl.Event) bool { return e.Time().After(applied) }),
		"negative filter let through %s", f.names())

	// nixevent while on ALL removes one type.
	x := dialTest(t, a.Addr())
	x.auth()
	x.send("event plain ALL")
	assert.Equal(t, "+OK events nixed", x.send("nixevent RE_SCHEDULE").ReplyText())
	x.waitEvent(func(e *esl.Event) bool { return e.Name() == "HEARTBEAT" })
	x.waitEvent(func(e *esl.Event) bool { return e.Name() == "HEARTBEAT" && e.Sequence() > 4 })
	assert.Equal(t, -1, x.indexOf(func(e *esl.Event) bool { return e.Name() == "RE_SCHEDULE" }))
}

// TestSlowClientDoesNotStallCalls: a client that never reads loses events
// (counted) and is disconnected, while another client's calls go on.
func TestSlowClientDoesNotStallCalls(t *testing.T) {
	t.Parallel()
	n := newFakeNet()
	a := startTestAgent(t, n, "127.0.0.1:5080", func(c *Config) { c.EventQueue = 10 })
	// The slow client subscribes to everything and never reads.
	slow, err := net.Dial("tcp", a.Addr())
	require.NoError(t, err)
	defer slow.Close()
	_, err = slow.Write([]byte("auth ClueCon\n\nevent plain ALL\n\n"))
	require.NoError(t, err)
	time.Sleep(100 * time.Millisecond)

	c := dialTest(t, a.Addr())
	c.auth()
	c.send("event plain BACKGROUND_JOB CHANNEL_PARK CHANNEL_HANGUP_COMPLETE")
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; a.KilledListeners() == 0 && time.Now().Before(deadline); i++ {
		id, job := originateLoop(t, c, "test", "127.0.0.1:5080", "")
		in := inboundOf(c, id).UniqueID()
		c.api("uuid_answer " + in)
		c.waitEvent(nameAnd("BACKGROUND_JOB", "Job-UUID", job))
		c.api("uuid_kill " + id)
		c.waitEvent(nameAnd("CHANNEL_HANGUP_COMPLETE", "Unique-ID", in))
	}
	assert.Greater(t, a.DroppedEvents(), uint64(500))
	assert.Equal(t, uint64(1), a.KilledListeners())
}
