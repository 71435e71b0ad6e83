package agent

import (
	"strings"
	"testing"

	"github.com/callplan/callplan/esl"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// originateLoop sends the fixtures' loop-call originate with a chosen
// Job-UUID and returns the call uuid and the job uuid.
func originateLoop(t *testing.T, c *testClient, user, sipAddr, extraVars string) (string, string) {
	t.Helper()
	id := uuid.NewString()
	job := uuid.NewString()
	vars := "origination_uuid=" + id + ",sip_h_X-callplan-call=" + id
	if extraVars != "" {
		vars += "," + extraVars
	}
	f := c.send("bgapi originate {"+vars+"}sofia/external/"+user+"@"+sipAddr+" &park()", "Job-UUID: "+job)
	require.Equal(t, "+OK Job-UUID: "+job, f.ReplyText())
	require.Equal(t, job, f.Headers.Get("Job-UUID"))
	return id, job
}

func inboundOf(c *testClient, callID string) *esl.Event {
	return c.waitEvent(func(e *esl.Event) bool {
		return e.Name() == "CHANNEL_PARK" && e.Get("Call-Direction") == "inbound" &&
			e.Var("sip_h_X-callplan-call") == callID
	})
}

// agentKinds runs a test on an agent with the fake SIP network and on one
// with real SIP and RTP on loopback.
func agentKinds(t *testing.T, test func(t *testing.T, a *Agent, sipAddr string)) {
	t.Run("fake", func(t *testing.T) {
		t.Parallel()
		test(t, startTestAgent(t, newFakeNet(), "127.0.0.1:5080"), "127.0.0.1:5080")
	})
	t.Run("sip", func(t *testing.T) {
		t.Parallel()
		a := startSIPAgent(t)
		test(t, a, a.SIPAddr())
	})
}

func TestLoopCallAnswerAndKill(t *testing.T) {
	t.Parallel()
	agentKinds(t, testLoopCallAnswerAndKill)
}

func testLoopCallAnswerAndKill(t *testing.T, a *Agent, sipAddr string) {
	c := dialTest(t, a.Addr())
	c.auth()
	require.Equal(t, "+OK event listener enabled plain", c.send("event plain ALL").ReplyText())

	id, job := originateLoop(t, c, "test", sipAddr, "")
	in := inboundOf(c, id)
	inID := in.UniqueID()
	assert.Equal(t, "sofia/external/0000000000@127.0.0.1", in.Get("Channel-Name"))
	assert.Equal(t, "test", in.Get("Caller-Destination-Number"))
	assert.Equal(t, "ringing", in.Get("Answer-State"))

	assert.Equal(t, "+OK\n", c.api("uuid_answer "+inID))
	bg := c.waitEvent(nameAnd("BACKGROUND_JOB", "Job-UUID", job))
	assert.Equal(t, "+OK "+id+"\n", bg.Body)
	assert.Equal(t, "originate", bg.Get("Job-Command"))
	c.waitEvent(nameAnd("CHANNEL_PARK", "Unique-ID", id))

	assert.Equal(t, "true", c.api("uuid_exists "+id))
	assert.Equal(t, "\n2 total.\n", c.api("show channels count"))
	assert.Equal(t, "+OK\n", c.api("uuid_kill "+id))
	out := c.waitEvent(nameAnd("CHANNEL_HANGUP_COMPLETE", "Unique-ID", id))
	inEnd := c.waitEvent(nameAnd("CHANNEL_HANGUP_COMPLETE", "Unique-ID", inID))
	for _, leg := range []string{id, inID} {
		c.waitEvent(func(e *esl.Event) bool {
			return e.Name() == "CHANNEL_STATE" && e.UniqueID() == leg && e.Get("Channel-State") == "CS_DESTROY"
		})
	}

	assert.Equal(t, "NORMAL_CLEARING", out.Get("Hangup-Cause"))
	assert.Equal(t, "send_bye", out.Var("sip_hangup_disposition"))
	assert.Equal(t, "16", out.Var("hangup_cause_q850"))
	assert.Equal(t, "NORMAL_CLEARING", inEnd.Get("Hangup-Cause"))
	assert.Equal(t, "recv_bye", inEnd.Var("sip_hangup_disposition"))
	assert.Equal(t, "200", inEnd.Var("sip_term_status"))
	for _, v := range []string{"duration", "billsec", "billmsec", "answersec", "progress_mediasec", "mduration"} {
		_, ok := out.LookupVar(v)
		assert.True(t, ok, "outbound CHANNEL_HANGUP_COMPLETE lacks variable_%s", v)
	}

	// Per-leg order as in fixture 01 (3.5 A and C).
	assert.Equal(t, []string{"CHANNEL_OUTGOING", "CHANNEL_STATE", "CHANNEL_CREATE", "CHANNEL_ORIGINATE",
		"CHANNEL_STATE", "CHANNEL_STATE", "CODEC", "CODEC", "CHANNEL_ANSWER", "CHANNEL_CALLSTATE",
		"CALL_UPDATE", "CHANNEL_STATE", "CHANNEL_EXECUTE", "CHANNEL_PARK", "CHANNEL_HANGUP",
		"CHANNEL_UNPARK", "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_STATE", "CHANNEL_CALLSTATE",
		"CHANNEL_STATE", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_DESTROY", "CHANNEL_STATE"}, c.legEvents(id))
	assert.Equal(t, []string{"CHANNEL_STATE", "CHANNEL_STATE", "CHANNEL_CREATE", "CHANNEL_CALLSTATE",
		"CHANNEL_STATE", "CHANNEL_STATE", "CHANNEL_EXECUTE", "CHANNEL_PARK", "CODEC", "CODEC",
		"CHANNEL_PROGRESS_MEDIA", "CHANNEL_CALLSTATE", "CHANNEL_ANSWER", "CHANNEL_CALLSTATE",
		"CHANNEL_HANGUP", "CHANNEL_UNPARK", "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_STATE",
		"CHANNEL_CALLSTATE", "CHANNEL_STATE", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_DESTROY",
		"CHANNEL_STATE"}, c.legEvents(inID))

	// BACKGROUND_JOB precedes the outbound leg's park (captured: 01).
	names := c.names()
	assert.Less(t, strings.Index(names, "BACKGROUND_JOB"), strings.Index(names, "CHANNEL_EXECUTE("+short(id)+")"))
	assert.Equal(t, "false", c.api("uuid_exists "+id))
}

// TestOriginateFailures replays the cases of fixture 03 on loop calls.
func TestOriginateFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		host      string // where the INVITE goes
		vars      string
		onInbound func(c *testClient, in string) // what the callee side does
		wantJob   string
		wantIn    string // inbound leg's cause, "" = no inbound leg
		wantOut   map[string]string
	}{
		{name: "nothing listening", host: "127.0.0.1:" + closedPort(t), wantJob: "-ERR NORMAL_TEMPORARY_FAILURE\n",
			wantOut: map[string]string{"sip_hangup_disposition": "recv_refuse", "sip_term_status": "503",
				"sip_invite_failure_status": "503", "hangup_cause_q850": "41"}},
		{name: "respond 404", onInbound: func(c *testClient, in string) {
			require.Equal(t, "+OK", c.send("sendmsg "+in, "call-command: execute", "execute-app-name: respond", "execute-app-arg: 404").ReplyText())
		}, wantJob: "-ERR UNALLOCATED_NUMBER\n", wantIn: "UNALLOCATED_NUMBER",
			wantOut: map[string]string{"sip_hangup_disposition": "recv_refuse", "sip_term_status": "404",
				"proto_specific_hangup_cause": "sip:404", "sip_invite_failure_phrase": "Not Found"}},
		{name: "respond 486", onInbound: func(c *testClient, in string) {
			c.send("sendmsg "+in, "call-command: execute", "execute-app-name: respond", "execute-app-arg: 486")
		}, wantJob: "-ERR USER_BUSY\n", wantIn: "USER_BUSY",
			wantOut: map[string]string{"sip_term_status": "486", "hangup_cause_q850": "17"}},
		{name: "kill CALL_REJECTED", onInbound: func(c *testClient, in string) {
			require.Equal(t, "+OK\n", c.api("uuid_kill "+in+" CALL_REJECTED"))
		}, wantJob: "-ERR CALL_REJECTED\n", wantIn: "CALL_REJECTED",
			wantOut: map[string]string{"sip_term_status": "603"}},
		{name: "timeout", vars: "originate_timeout=1", wantJob: "-ERR NO_ANSWER\n", wantIn: "ORIGINATOR_CANCEL",
			wantOut: map[string]string{"sip_hangup_disposition": "send_cancel", "sip_invite_failure_status": "487"}},
		{name: "kill USER_BUSY", onInbound: func(c *testClient, in string) {
			c.api("uuid_kill " + in + " USER_BUSY")
		}, wantJob: "-ERR USER_BUSY\n", wantIn: "USER_BUSY"},
	}
	agentKinds(t, func(t *testing.T, a *Agent, sipAddr string) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				testOriginateFailure(t, a, sipAddr, tt.host, tt.vars, tt.onInbound, tt.wantJob, tt.wantIn, tt.wantOut)
			})
		}
	})
}

func testOriginateFailure(t *testing.T, a *Agent, sipAddr, host, vars string, onInbound func(c *testClient, in string),
	wantJob, wantIn string, wantOut map[string]string) {
	tt := struct {
		vars      string
		onInbound func(c *testClient, in string)
		wantJob   string
		wantIn    string
		wantOut   map[string]string
	}{vars, onInbound, wantJob, wantIn, wantOut}
	{
		{
			c := dialTest(t, a.Addr())
			c.auth()
			c.send("event plain BACKGROUND_JOB CHANNEL_CREATE CHANNEL_PARK CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE CHANNEL_DESTROY")
			if host == "" {
				host = sipAddr
			}
			id, job := originateLoop(t, c, "test", host, tt.vars)
			var inID string
			if tt.wantIn != "" {
				inID = inboundOf(c, id).UniqueID()
				if tt.onInbound != nil {
					tt.onInbound(c, inID)
				}
			}
			bg := c.waitEvent(nameAnd("BACKGROUND_JOB", "Job-UUID", job))
			assert.Equal(t, tt.wantJob, bg.Body)
			out := c.waitEvent(nameAnd("CHANNEL_DESTROY", "Unique-ID", id))
			assert.Equal(t, strings.TrimSuffix(strings.TrimPrefix(tt.wantJob, "-ERR "), "\n"), out.Get("Hangup-Cause"))
			for k, v := range tt.wantOut {
				assert.Equal(t, v, out.Var(k), "outbound variable_%s", k)
			}
			// The job reports before the failed leg is destroyed (03).
			evs := c.legEvents(id)
			assert.Equal(t, "CHANNEL_DESTROY", evs[len(evs)-1])
			if tt.wantIn != "" {
				in := c.waitEvent(nameAnd("CHANNEL_HANGUP_COMPLETE", "Unique-ID", inID))
				assert.Equal(t, tt.wantIn, in.Get("Hangup-Cause"))
			}
		}
	}
}

// TestEarlyMedia is fixtures 09 and 09b: the job returns at 183 unless
// ignore_early_media, and the outbound leg parks while still early.
func TestEarlyMedia(t *testing.T) {
	t.Parallel()
	agentKinds(t, testEarlyMedia)
}

func testEarlyMedia(t *testing.T, a *Agent, sipAddr string) {
	for _, ignore := range []bool{false, true} {
		t.Run(map[bool]string{false: "09", true: "09b"}[ignore], func(t *testing.T) {
			t.Parallel()
			c := dialTest(t, a.Addr())
			c.auth()
			c.send("event plain ALL")
			vars := ""
			if ignore {
				vars = "ignore_early_media=true"
			}
			id, job := originateLoop(t, c, "test", sipAddr, vars)
			in := inboundOf(c, id).UniqueID()
			assert.Equal(t, "+OK\n", c.api("uuid_ring_ready "+in))
			c.waitEvent(nameAnd("CHANNEL_PROGRESS", "Unique-ID", id))
			assert.Equal(t, "+OK\n", c.api("uuid_pre_answer "+in))
			early := c.waitEvent(nameAnd("CHANNEL_PROGRESS_MEDIA", "Unique-ID", id))
			assert.Equal(t, "early", early.Get("Answer-State"))
			jobDone := nameAnd("BACKGROUND_JOB", "Job-UUID", job)
			if !ignore {
				bg := c.waitEvent(jobDone)
				assert.Equal(t, "+OK "+id+"\n", bg.Body)
				park := c.waitEvent(nameAnd("CHANNEL_PARK", "Unique-ID", id))
				assert.Equal(t, "early", park.Get("Answer-State"))
			} else {
				assert.Equal(t, -1, c.indexOf(jobDone), "job returned before the answer with ignore_early_media")
			}
			assert.Equal(t, "+OK\n", c.api("uuid_answer "+in))
			c.waitEvent(nameAnd("CHANNEL_ANSWER", "Unique-ID", id))
			c.waitEvent(jobDone)
			if ignore {
				assert.Less(t, c.indexOf(nameAnd("CHANNEL_ANSWER", "Unique-ID", id)), c.indexOf(jobDone))
			}
			c.waitEvent(nameAnd("CHANNEL_PARK", "Unique-ID", id))
			c.api("uuid_kill " + id)
			end := c.waitEvent(nameAnd("CHANNEL_HANGUP_COMPLETE", "Unique-ID", in))
			// Microseconds: on loopback the 183 can follow the INVITE within
			// the same millisecond.
			assert.NotEqual(t, "0", end.Var("progress_mediausec"))
			assert.NotEqual(t, "0", end.Var("progress_media_uepoch"))
			assert.NotEqual(t, "0", end.Var("progress_uepoch"))
		})
	}
}

// TestHupall is fixture 05: hupall hangs up every leg, with BYE (send_bye),
// and answers +OK with or without calls; with a variable it only ends the
// matching legs.
func TestHupall(t *testing.T) {
	t.Parallel()
	agentKinds(t, testHupall)
}

func testHupall(t *testing.T, a *Agent, sipAddr string) {
	c := dialTest(t, a.Addr())
	c.auth()
	c.send("event plain CHANNEL_PARK CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB")
	var ids []string
	for i := 0; i < 3; i++ {
		id, job := originateLoop(t, c, "test", sipAddr, "sip_h_X-callplan-run=run"+map[bool]string{true: "A", false: "B"}[i < 2])
		in := inboundOf(c, id).UniqueID()
		c.api("uuid_answer " + in)
		c.waitEvent(nameAnd("BACKGROUND_JOB", "Job-UUID", job))
		ids = append(ids, id, in)
	}
	assert.Equal(t, "\n6 total.\n", c.api("show channels count"))
	assert.Equal(t, "+OK hangup all channels matching [sip_h_X-callplan-run]=[runB] with cause: USER_BUSY\n",
		c.api("hupall USER_BUSY sip_h_X-callplan-run runB"))
	for _, id := range ids[4:] {
		e := c.waitEvent(nameAnd("CHANNEL_HANGUP_COMPLETE", "Unique-ID", id))
		assert.Equal(t, "USER_BUSY", e.Get("Hangup-Cause"))
	}
	assert.Equal(t, "+OK hangup all channels with cause NORMAL_CLEARING\n", c.api("hupall NORMAL_CLEARING"))
	for _, id := range ids[:4] {
		e := c.waitEvent(nameAnd("CHANNEL_HANGUP_COMPLETE", "Unique-ID", id))
		assert.Equal(t, "NORMAL_CLEARING", e.Get("Hangup-Cause"))
		assert.Contains(t, []string{"send_bye", "recv_bye"}, e.Var("sip_hangup_disposition"))
	}
	assert.Equal(t, "+OK hangup all channels with cause NORMAL_CLEARING\n", c.api("hupall NORMAL_CLEARING"))
	assert.Equal(t, "+OK hangup all channels with cause MANAGER_REQUEST\n", c.api("hupall"))
}
