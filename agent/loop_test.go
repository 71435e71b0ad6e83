package agent

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

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

// TestManyClients: ESL clients each drive their own loop calls at once,
// each with its own subscription and filters; every client sees every job
// result (FreeSWITCH broadcasts BACKGROUND_JOB) but only its own legs.
func TestManyClients(t *testing.T) {
	t.Parallel()
	agentKinds(t, func(t *testing.T, a *Agent, sipAddr string) {
		const clients, calls = 8, 3
		var wg sync.WaitGroup
		jobs := make(chan string, clients*calls)
		cs := make([]*testClient, clients)
		for i := range cs {
			cs[i] = dialTest(t, a.Addr())
			cs[i].auth()
			// Only this client's legs (both carry the run header) and jobs;
			// filters first, so nothing else is ever queued.
			cs[i].send(fmt.Sprintf("filter variable_sip_h_X-callplan-run run%d", i))
			cs[i].send("filter Event-Name BACKGROUND_JOB")
			cs[i].send("event json BACKGROUND_JOB CHANNEL_PARK CHANNEL_HANGUP_COMPLETE")
		}
		for i, c := range cs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				run := fmt.Sprintf("run%d", i)
				for range calls {
					id, job := originateLoop(t, c, "test", sipAddr, "sip_h_X-callplan-run="+run)
					jobs <- job
					in := inboundOf(c, id).UniqueID()
					assert.Equal(t, "+OK\n", c.api("uuid_answer "+in))
					c.waitEvent(nameAnd("BACKGROUND_JOB", "Job-UUID", job))
					assert.Equal(t, "+OK\n", c.api("uuid_kill "+id))
					c.waitEvent(nameAnd("CHANNEL_HANGUP_COMPLETE", "Unique-ID", in))
				}
				c.mu.Lock()
				defer c.mu.Unlock()
				for _, e := range c.events {
					if e.Name() != "BACKGROUND_JOB" {
						assert.Equal(t, run, e.Var("sip_h_X-callplan-run"), "client %d got another client's leg", i)
					}
				}
			}()
		}
		wg.Wait()
		close(jobs)
		for job := range jobs {
			for _, c := range cs {
				c.waitEvent(nameAnd("BACKGROUND_JOB", "Job-UUID", job))
			}
		}
		// Legs leave the table right after CHANNEL_DESTROY.
		assert.Eventually(t, func() bool { return a.API(t.Context(), "show channels count") == "\n0 total.\n" },
			5*time.Second, 10*time.Millisecond)
	})
}

// TestLimits: max_sessions and sps are enforced per leg as FreeSWITCH does:
// originate fails DESTINATION_OUT_OF_ORDER, an inbound INVITE gets 503
// (which the calling leg reports as NORMAL_TEMPORARY_FAILURE).
func TestLimits(t *testing.T) {
	t.Parallel()
	agentKinds(t, func(t *testing.T, a *Agent, sipAddr string) {
		c := dialTest(t, a.Addr())
		c.auth()
		c.send("event plain BACKGROUND_JOB CHANNEL_PARK")
		assert.Equal(t, "+OK max sessions: 3\n", c.api("fsctl max_sessions 3"))
		id, _ := originateLoop(t, c, "test", sipAddr, "")
		inboundOf(c, id)
		// The third leg is allowed, the callee's fourth is refused with 503.
		_, job := originateLoop(t, c, "test", sipAddr, "")
		bg := c.waitEvent(nameAnd("BACKGROUND_JOB", "Job-UUID", job))
		assert.Equal(t, "-ERR NORMAL_TEMPORARY_FAILURE\n", bg.Body)
		assert.Equal(t, "+OK max sessions: 2\n", c.api("fsctl max_sessions 2"))
		assert.Equal(t, "-ERR DESTINATION_OUT_OF_ORDER\n",
			c.api("originate sofia/external/test@"+sipAddr+" &park()"))
		c.api("hupall")
		assert.Eventually(t, func() bool { return a.API(t.Context(), "show channels count") == "\n0 total.\n" },
			5*time.Second, 10*time.Millisecond)

		// sps: the budget of the current second is what HEARTBEAT calls
		// Session-Per-Sec; once spent, new legs fail until the next second.
		c.api("fsctl max_sessions 100")
		assert.Equal(t, "+OK sessions per second: 1\n", c.api("fsctl sps 1"))
		var refused bool
		for i := 0; i < 5 && !refused; i++ {
			refused = c.api("originate {originate_timeout=1}sofia/external/test@"+sipAddr+" &park()") == "-ERR DESTINATION_OUT_OF_ORDER\n"
		}
		assert.True(t, refused, "sps 1 never refused an originate")
		c.api("hupall")
	})
}

// TestChannelCommands: variables, dumps, show channels, sendmsg execute and
// hangup on live legs.
func TestChannelCommands(t *testing.T) {
	t.Parallel()
	agentKinds(t, func(t *testing.T, a *Agent, sipAddr string) {
		c := dialTest(t, a.Addr())
		c.auth()
		c.send("event plain BACKGROUND_JOB CHANNEL_PARK CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP_COMPLETE PRIVATE_COMMAND")
		id, _ := originateLoop(t, c, "test", sipAddr, "origination_caller_id_number=1112223333,flow=park")
		in := inboundOf(c, id)
		inID := in.UniqueID()
		assert.Equal(t, "1112223333", in.Get("Caller-Caller-ID-Number"))
		assert.Equal(t, "test", in.Get("Caller-Destination-Number"))

		assert.Equal(t, "park", c.api("uuid_getvar "+id+" flow"))
		assert.Equal(t, "_undef_", c.api("uuid_getvar "+id+" nothing"))
		assert.Equal(t, "+OK\n", c.api("uuid_setvar "+inID+" mark 42"))
		assert.Equal(t, "42", c.api("uuid_getvar "+inID+" mark"))
		assert.Equal(t, "+OK\n", c.api("uuid_setvar_multi "+inID+" a=1;b=2"))
		assert.Equal(t, "2", c.api("uuid_getvar "+inID+" b"))

		dump := c.api("uuid_dump " + inID)
		assert.Contains(t, dump, "Event-Name: CHANNEL_DATA\n")
		assert.Contains(t, dump, "Unique-ID: "+inID+"\n")
		assert.Contains(t, dump, "variable_mark: 42\n")
		assert.Contains(t, c.api("uuid_dump "+inID+" json"), `"variable_sip_h_X-callplan-call":"`+id+`"`)

		csv := c.api("show channels")
		assert.True(t, strings.HasPrefix(csv, "uuid,direction,created,created_epoch,name,state,"), csv)
		assert.Contains(t, csv, id+",outbound,")
		assert.Contains(t, csv, inID+",inbound,")
		assert.True(t, strings.HasSuffix(csv, "\n2 total.\n"), csv)
		js := c.api("show channels as json")
		assert.True(t, strings.HasPrefix(js, `{"row_count":2,"rows":[{"uuid":"`), js)

		// sendmsg execute on the parked inbound leg runs nested in park.
		r := c.send("sendmsg "+inID, "call-command: execute", "execute-app-name: set",
			"execute-app-arg: answered_by=sendmsg", "Event-UUID: app-1")
		assert.Equal(t, "+OK", r.ReplyText())
		done := c.waitEvent(nameAnd("CHANNEL_EXECUTE_COMPLETE", "Application-UUID", "app-1"))
		assert.Equal(t, "set", done.Get("Application"))
		pc := c.waitEvent(nameAnd("PRIVATE_COMMAND", "Unique-ID", inID))
		assert.Equal(t, "sendmsg "+inID, pc.Get("Command"))
		assert.Equal(t, "sendmsg", c.api("uuid_getvar "+inID+" answered_by"))

		r = c.send("sendmsg "+inID, "call-command: hangup", "hangup-cause: USER_BUSY")
		assert.Equal(t, "+OK", r.ReplyText())
		end := c.waitEvent(nameAnd("CHANNEL_HANGUP_COMPLETE", "Unique-ID", id))
		assert.Equal(t, "USER_BUSY", end.Get("Hangup-Cause"))
		assert.Equal(t, "486", end.Var("sip_term_status"))
	})
}

// TestOriginateRoundTrip: values the esl package escapes for FreeSWITCH's
// three parsing passes arrive in the agent's channel variables unchanged,
// and the X- header reaches the inbound leg.
func TestOriginateRoundTrip(t *testing.T) {
	t.Parallel()
	agentKinds(t, func(t *testing.T, a *Agent, sipAddr string) {
		c := dialTest(t, a.Addr())
		c.auth()
		c.send("event plain BACKGROUND_JOB CHANNEL_PARK")
		id := uuid.NewString()
		hostile := map[string]string{
			"origination_caller_id_name": `Load, 'Tester' \ one`,
			"custom_a":                   `a=b,c;d 'e' "f" \g`,
			"custom_b":                   `^^:x:y, ,z`,
			"sip_h_X-callplan-note":      `quoted 'value', with = and \,`,
		}
		vars := []esl.Var{{Name: "origination_uuid", Value: id}, {Name: "sip_h_X-callplan-call", Value: id}}
		for _, k := range []string{"origination_caller_id_name", "custom_a", "custom_b", "sip_h_X-callplan-note"} {
			vars = append(vars, esl.Var{Name: k, Value: hostile[k]})
		}
		cmd, err := esl.Originate{Vars: vars, Endpoint: esl.Sofia("external", "test@"+sipAddr)}.Command()
		require.NoError(t, err)
		r := c.send("bgapi "+cmd, "Job-UUID: "+id)
		require.Equal(t, "+OK Job-UUID: "+id, r.ReplyText())
		in := inboundOf(c, id)
		for k, v := range hostile {
			assert.Equal(t, v, a.API(t.Context(), "uuid_getvar "+id+" "+k), "variable %s", k)
		}
		assert.Equal(t, hostile["sip_h_X-callplan-note"], in.Var("sip_h_X-callplan-note"))
		c.api("hupall")
	})
}

// TestShutdownHangsUpCalls: stopping the agent (Ctrl-C in `callplan agent`)
// hangs its calls up cleanly before ESL clients are told it shuts down.
func TestShutdownHangsUpCalls(t *testing.T) {
	t.Parallel()
	a, err := New(Config{ESLAddr: "127.0.0.1:0", SIPAddr: "127.0.0.1:0", RTPPortMin: testRTPMin, RTPPortMax: testRTPMax})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	require.NoError(t, a.Start(ctx))
	c := dialTest(t, a.Addr())
	c.auth()
	c.send("event plain BACKGROUND_JOB CHANNEL_PARK CHANNEL_HANGUP_COMPLETE")
	id, job := originateLoop(t, c, "test", a.SIPAddr(), "")
	in := inboundOf(c, id).UniqueID()
	c.api("uuid_answer " + in)
	c.waitEvent(nameAnd("BACKGROUND_JOB", "Job-UUID", job))
	cancel()
	require.NoError(t, a.Close())
	for _, leg := range []string{id, in} {
		e := c.waitEvent(nameAnd("CHANNEL_HANGUP_COMPLETE", "Unique-ID", leg))
		assert.Equal(t, "NORMAL_CLEARING", e.Get("Hangup-Cause"))
	}
	n := c.next()
	assert.Equal(t, esl.ContentDisconnectNotice, n.ContentType())
	assert.Equal(t, "The system is being shut down.\n", string(n.Body))
	select {
	case <-a.Done():
	default:
		t.Fatal("Done not closed after Close")
	}
}
