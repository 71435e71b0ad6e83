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

// This file tests the agent as a node (many ESL clients at once, limits,
// channel commands on live legs, the esl.Originate round trip, shutdown);
// loop_test.go has the loop calls of the fixtures.

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
