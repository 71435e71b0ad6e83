package agent

import (
	"testing"
	"time"

	"github.com/callplan/callplan/esl"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// parkedLoopCall places an answered loop call on a and returns the control
// connection (subscribed to ALL) and the uuids of its outbound and inbound
// legs.
func parkedLoopCall(t *testing.T, a *Agent, sipAddr string) (*testClient, string, string) {
	t.Helper()
	ctl := dialTest(t, a.Addr())
	ctl.auth()
	require.Equal(t, "+OK event listener enabled plain", ctl.send("event plain ALL").ReplyText())
	id, _ := originateLoop(t, ctl, "test", sipAddr, "")
	inID := inboundOf(ctl, id).UniqueID()
	require.Equal(t, "+OK\n", ctl.api("uuid_answer "+inID))
	ctl.waitEvent(nameAnd("CHANNEL_PARK", "Unique-ID", id))
	return ctl, id, inID
}

// framesUntil reads c's frames in wire order until one matches stop and
// returns them all, the matching one last.
func framesUntil(t *testing.T, c *testClient, stop func(*esl.Frame) bool) []*esl.Frame {
	t.Helper()
	var out []*esl.Frame
	deadline := time.After(10 * time.Second)
	for {
		select {
		case f := <-c.frames:
			out = append(out, f)
			if stop(f) {
				return out
			}
		case <-deadline:
			t.Fatalf("frame not seen within 10s; have %d frames", len(out))
			return nil
		}
	}
}

func isNotice(disposition string) func(*esl.Frame) bool {
	return func(f *esl.Frame) bool {
		return f.ContentType() == esl.ContentDisconnectNotice && f.Headers.Get("Content-Disposition") == disposition
	}
}

// eventNames decodes the event frames among fs and lists their names,
// requiring every one to be about leg id.
func eventNames(t *testing.T, fs []*esl.Frame, id string) []string {
	t.Helper()
	var out []string
	for _, f := range fs {
		if !esl.IsEvent(f.ContentType()) {
			continue
		}
		ev, err := esl.DecodeEvent(f)
		require.NoError(t, err)
		require.Equal(t, id, ev.UniqueID(), "%s of another leg on a myevents connection", ev.Name())
		out = append(out, ev.Name())
	}
	return out
}

func TestMyeventsLingerReplies(t *testing.T) {
	t.Parallel()
	a := startTestAgent(t, newFakeNet(), "127.0.0.1:5080")
	_, id, _ := parkedLoopCall(t, a, "127.0.0.1:5080")

	unbound := dialTest(t, a.Addr())
	unbound.auth()
	bound := dialTest(t, a.Addr())
	bound.auth()
	for _, tc := range []struct {
		conn      *testClient
		cmd, want string
	}{
		{unbound, "linger", "-ERR not controlling a session"},
		{unbound, "linger 10", "-ERR not controlling a session"},
		{unbound, "nolinger", "-ERR not controlling a session"},
		{unbound, "myevents", "-ERR invalid uuid"},
		{unbound, "myevents 00000000-0000-0000-0000-000000000000", "-ERR invalid uuid"},
		{bound, "myevents " + id, "+OK Events Enabled"},
		{bound, "myevents " + id, "-ERR aready enabled."},
		{bound, "linger", "+OK will linger"},
		{bound, "linger 30", "+OK will linger 30 seconds"},
		{bound, "linger 5x", "+OK will linger 5 seconds"},
		{bound, "nolinger", "+OK will not linger"},
	} {
		assert.Equal(t, tc.want, tc.conn.send(tc.cmd).ReplyText(), tc.cmd)
	}
}

func TestMyeventsOnlyTheBoundLeg(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		first string // a subscription made before myevents
		// want/notWant: event names of the leg seen / not seen
		want, notWant []string
	}{
		{"myevents alone", "", []string{"CHANNEL_HANGUP", "CHANNEL_STATE", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_DESTROY"},
			[]string{"CHANNEL_CALLSTATE"}},
		{"after event ALL", "event plain ALL", []string{"CHANNEL_HANGUP", "CHANNEL_CALLSTATE", "CHANNEL_DESTROY"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := startTestAgent(t, newFakeNet(), "127.0.0.1:5080")
			ctl, id, inID := parkedLoopCall(t, a, "127.0.0.1:5080")
			c := dialTest(t, a.Addr())
			c.auth()
			if tc.first != "" {
				require.Equal(t, "+OK event listener enabled plain", c.send(tc.first).ReplyText())
			}
			require.Equal(t, "+OK Events Enabled", c.send("myevents "+id).ReplyText())
			// Lingering, the connection sees the leg's events to the end.
			require.Equal(t, "+OK will linger 1 seconds", c.send("linger 1").ReplyText())
			// Events of the other leg, a background job and an API event
			// (all wanted under ALL) must not reach the bound connection.
			require.Equal(t, "+OK\n", c.api("uuid_setvar "+inID+" x 1"))
			require.Equal(t, "+OK Job-UUID: j1", c.send("bgapi status", "Job-UUID: j1").ReplyText())
			ctl.waitEvent(nameAnd("BACKGROUND_JOB", "Job-UUID", "j1"))
			require.Equal(t, "+OK\n", ctl.api("uuid_kill "+inID))
			fs := framesUntil(t, c, isNotice("disconnect"))
			names := eventNames(t, fs, id)
			for _, n := range tc.want {
				assert.Contains(t, names, n)
			}
			for _, n := range tc.notWant {
				assert.NotContains(t, names, n)
			}
			assert.NotContains(t, names, "BACKGROUND_JOB")
		})
	}
}

func TestMyeventsHangupAndLinger(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		cmds     map[string]string // command → reply, sent after myevents in order of keys below
		order    []string
		linger   string // Linger-Time of the linger notice, "" when none
		closesBy string // what closes the connection: "hangup", "timeout" or "exit"
	}{
		{name: "no linger closes at hangup", closesBy: "hangup"},
		{name: "nolinger undoes linger", order: []string{"linger", "nolinger"},
			cmds: map[string]string{"linger": "+OK will linger", "nolinger": "+OK will not linger"}, closesBy: "hangup"},
		{name: "linger until exit", order: []string{"linger"},
			cmds: map[string]string{"linger": "+OK will linger"}, linger: "-1", closesBy: "exit"},
		{name: "linger 1 second", order: []string{"linger 1"},
			cmds: map[string]string{"linger 1": "+OK will linger 1 seconds"}, linger: "1", closesBy: "timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := startTestAgent(t, newFakeNet(), "127.0.0.1:5080")
			ctl, id, _ := parkedLoopCall(t, a, "127.0.0.1:5080")
			c := dialTest(t, a.Addr())
			c.auth()
			require.Equal(t, "+OK Events Enabled", c.send("myevents "+id+" json").ReplyText())
			for _, cmd := range tc.order {
				require.Equal(t, tc.cmds[cmd], c.send(cmd).ReplyText())
			}
			require.Equal(t, "+OK\n", ctl.api("uuid_kill "+id))

			if tc.linger == "" {
				fs := framesUntil(t, c, isNotice("disconnect"))
				names := eventNames(t, fs, id)
				require.NotEmpty(t, names)
				assert.Equal(t, "CHANNEL_HANGUP", names[len(names)-1], "the leg's events up to its hangup go out, then the notice")
				for _, f := range fs {
					assert.NotEqual(t, "linger", f.Headers.Get("Content-Disposition"))
				}
				checkGoodbye(t, c, fs[len(fs)-1], id)
				return
			}

			fs := framesUntil(t, c, isNotice("linger"))
			before := eventNames(t, fs, id)
			require.Contains(t, before, "CHANNEL_HANGUP", "CHANNEL_HANGUP precedes the linger notice")
			notice := fs[len(fs)-1]
			assert.Equal(t, esl.Headers{
				{Name: "Content-Type", Value: "text/disconnect-notice"},
				{Name: "Controlled-Session-UUID", Value: id},
				{Name: "Content-Disposition", Value: "linger"},
				{Name: "Channel-Name", Value: ctl.waitEvent(nameAnd("CHANNEL_PARK", "Unique-ID", id)).Get("Channel-Name")},
				{Name: "Linger-Time", Value: tc.linger},
				{Name: "Content-Length", Value: "0"},
			}, notice.Headers)
			assert.Empty(t, notice.Body)

			// While lingering, the rest of the leg's events still arrive.
			var after []*esl.Frame
			switch tc.closesBy {
			case "exit":
				require.Equal(t, "linger", c.next().Headers.Get("Content-Disposition"))
				after = framesUntil(t, c, isDestroy)
				time.Sleep(200 * time.Millisecond) // still open after the leg is gone
				require.Equal(t, "+OK bye", c.send("exit").ReplyText())
				checkGoodbye(t, c, c.next(), id)
			case "timeout":
				start := time.Now()
				after = framesUntil(t, c, isNotice("disconnect"))
				assert.Less(t, time.Since(start), 5*time.Second)
				checkGoodbye(t, c, after[len(after)-1], id)
			}
			names := eventNames(t, after, id)
			for _, f := range after {
				if esl.IsEvent(f.ContentType()) {
					// myevents' format word is ignored (2.5).
					assert.Equal(t, esl.ContentEventPlain, f.ContentType())
				}
			}
			assert.Contains(t, names, "CHANNEL_HANGUP_COMPLETE")
			assert.Contains(t, names, "CHANNEL_DESTROY")
		})
	}
}

func isDestroy(f *esl.Frame) bool {
	if !esl.IsEvent(f.ContentType()) {
		return false
	}
	ev, err := esl.DecodeEvent(f)
	return err == nil && ev.Name() == "CHANNEL_DESTROY"
}

// checkGoodbye requires the bound connection's final notice and the close.
func checkGoodbye(t *testing.T, c *testClient, f *esl.Frame, id string) {
	t.Helper()
	assert.Equal(t, esl.Headers{
		{Name: "Content-Type", Value: "text/disconnect-notice"},
		{Name: "Controlled-Session-UUID", Value: id},
		{Name: "Content-Disposition", Value: "disconnect"},
		{Name: "Content-Length", Value: "67"},
	}, f.Headers)
	assert.Equal(t, esl.DisconnectGoodbye, string(f.Body))
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		t.Fatal("connection not closed after the disconnect notice")
	}
}
