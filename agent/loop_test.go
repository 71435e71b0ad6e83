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

func TestLoopCallAnswerAndKill(t *testing.T) {
	t.Parallel()
	n := newFakeNet()
	a := startTestAgent(t, n, "127.0.0.1:5080")
	c := dialTest(t, a.Addr())
	c.auth()
	require.Equal(t, "+OK event listener enabled plain", c.send("event plain ALL").ReplyText())

	id, job := originateLoop(t, c, "test", "127.0.0.1:5080", "")
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
	c.waitEvent(nameAnd("CHANNEL_DESTROY", "Unique-ID", inID))

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
