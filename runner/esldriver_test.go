package runner

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callplan/callplan/esl"
	"github.com/callplan/callplan/esl/esltest"
	"github.com/callplan/callplan/flows"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// eslNode is an esltest server scripted as a FreeSWITCH node, with a
// driver connected to it.
func eslNode(t *testing.T, opts ...ESLOption) (*esltest.Server, *ESLDriver) {
	t.Helper()
	srv := esltest.NewServer()
	t.Cleanup(srv.Close)
	srv.SetAPI("version", func(string) string { return "FreeSWITCH Version 1.10.12-release~64bit\n" })
	srv.SetAPI("status", func(string) string {
		return "UP 0 years\nFreeSWITCH (Version 1.10.12-release  64bit) is ready\n1000 session(s) max\nmin idle cpu 0.00/99.00\n"
	})
	srv.SetAPI("sofia", func(args string) string {
		if args == "status profile external" {
			return "=================\nName             \texternal\n"
		}
		return "Invalid Profile!\n"
	})
	srv.SetAPI("module_exists", func(args string) string { return strings.TrimSpace(strings.ToLower(strings.TrimPrefix(args, "mod_x"))) })
	d, err := DialESL(context.Background(), srv.Addr, "ClueCon", opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	return srv, d
}

// nextEvent waits for the driver's next event of kind k.
func nextEvent(t *testing.T, d Driver, k EventKind) LegEvent {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-d.Events():
			if ev.Kind == k {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %s event", k)
		}
	}
}

// commands is what the node received, without the session set-up.
func commands(srv *esltest.Server) []string {
	var out []string
	for _, c := range srv.Conns() {
		for _, l := range c.Commands() {
			if !strings.HasPrefix(l, "auth ") && !strings.HasPrefix(l, "event ") {
				out = append(out, l)
			}
		}
	}
	return out
}

func TestESLDriverOriginate(t *testing.T) {
	t.Parallel()
	srv, d := eslNode(t, WithOriginate(ESLOriginate{Profile: "external", Codecs: []string{"PCMU", "PCMA"}}))
	var mu sync.Mutex
	results := map[string]string{"call-ok": "+OK call-ok\n", "call-busy": "-ERR USER_BUSY\n"}
	srv.SetAPI("originate", func(args string) string {
		mu.Lock()
		defer mu.Unlock()
		for id, r := range results {
			if strings.Contains(args, "origination_uuid="+id+",") {
				return r
			}
		}
		return "-ERR NO_ROUTE_DESTINATION\n"
	})
	ctx := context.Background()
	o := Origination{
		CallID: "call-ok", RunID: "run1", Flow: "park", Stage: "steady", Destination: "1000@10.0.0.7:5060",
		CallerIDNumber: "5551000", Timeout: 30 * time.Second,
		Headers: map[string]string{"X-Team": "a,b"}, Variables: map[string]string{"zz": "1", "aa": "2"},
	}
	require.NoError(t, d.Originate(ctx, o))
	ok := nextEvent(t, d, EventJobResult)
	assert.Equal(t, "call-ok", ok.CallID, "the Job-UUID is the call id")
	assert.Equal(t, "+OK call-ok", ok.Result)
	assert.False(t, ok.Failed)
	assert.Equal(t, []string{"bgapi originate {origination_uuid=call-ok,sip_h_X-callplan-call=call-ok,sip_h_X-callplan-run=run1," +
		"callplan_run=run1,callplan_flow=park,callplan_stage=steady,origination_caller_id_number=5551000," +
		`originate_timeout=30,ignore_early_media=false,absolute_codec_string=PCMU\\,PCMA,sip_h_X-Team=a\\,b,aa=2,zz=1}` +
		"sofia/external/1000@10.0.0.7:5060 &park()"}, commands(srv))

	o.CallID = "call-busy"
	require.NoError(t, d.Originate(ctx, o))
	busy := nextEvent(t, d, EventJobResult)
	assert.Equal(t, LegEvent{Kind: EventJobResult, CallID: "call-busy", Result: "-ERR USER_BUSY", Failed: true, Cause: "USER_BUSY"},
		LegEvent{Kind: busy.Kind, CallID: busy.CallID, Result: busy.Result, Failed: busy.Failed, Cause: busy.Cause})

	// What cannot be carried safely is never sent.
	for _, bad := range []Origination{
		{CallID: "a b", Destination: "1000@h"},
		{CallID: "c3", Destination: "1000@h}x"},
		{CallID: "c4", Destination: "1000@h", Variables: map[string]string{"v": "${system rm}"}},
	} {
		assert.ErrorIs(t, d.Originate(ctx, bad), ErrBadOrigination, "%+v", bad)
	}
	assert.Len(t, commands(srv), 2)
}

func TestESLActionCommands(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a    Action
		want string
	}{
		{Action{Kind: ActAnswer}, "uuid_answer u1"},
		{Action{Kind: ActPreAnswer}, "uuid_pre_answer u1"},
		{Action{Kind: ActRingReady}, "uuid_ring_ready u1"},
		{Action{Kind: ActRespond, Code: 486}, "uuid_broadcast u1 respond::486 aleg"},
		{Action{Kind: ActHangup, Cause: "USER_BUSY"}, "uuid_kill u1 USER_BUSY"},
		{Action{Kind: ActPlay, URL: "tone_stream://%(2000,4000,440,480);loops=-1"}, "uuid_broadcast u1 tone_stream://%(2000,4000,440,480);loops=-1 aleg"},
		{Action{Kind: ActStopPlayback}, "uuid_break u1 all"},
		{Action{Kind: ActRecord, Path: "/tmp/r.wav", Limit: 2400 * time.Millisecond}, "uuid_record u1 start /tmp/r.wav 2"},
		{Action{Kind: ActRecord, Path: "/tmp/r.wav"}, "uuid_record u1 start /tmp/r.wav 1"},
		{Action{Kind: ActStopRecord, Path: "/tmp/r.wav"}, "uuid_record u1 stop /tmp/r.wav"},
		{Action{Kind: ActSendDTMF, Digits: "123#"}, "uuid_send_dtmf u1 123#"},
		{Action{Kind: ActSetVar, Name: "bert_timeout_ms", Value: "3000 ms"}, "uuid_setvar u1 bert_timeout_ms 3000 ms"},
		{Action{Kind: ActMute, Direction: flows.AudioWrite, Mute: true}, "uuid_audio u1 start write mute 1"},
		{Action{Kind: ActMute, Direction: flows.AudioWrite}, "uuid_audio u1 start write mute 0"},
		{Action{Kind: ActMute, Direction: flows.AudioRead, Mute: true}, "uuid_audio u1 start read mute 1"},
	}
	for _, tt := range tests {
		got, err := actionCommand("u1", tt.a)
		require.NoError(t, err, "%s", tt.a.Kind)
		assert.Equal(t, tt.want, got, "actionCommand(u1, %s)", tt.a.Kind)
	}
	for _, bad := range []Action{
		{Kind: ActRespond, Code: 99}, {Kind: ActHangup, Cause: "A B"}, {Kind: ActPlay, URL: "x\nhupall"},
		{Kind: ActSetVar, Name: "v", Value: "a\r\nb"}, {Kind: ActSendDTMF}, {Kind: ActionKind(99)},
		{Kind: ActMute, Direction: "both", Mute: true}, {Kind: ActMute},
	} {
		_, err := actionCommand("u1", bad)
		assert.Error(t, err, "%+v", bad)
	}
	_, err := actionCommand("u1 u2", Action{Kind: ActAnswer})
	assert.Error(t, err, "an unsafe leg id")
}

func TestESLDriverActs(t *testing.T) {
	t.Parallel()
	srv, d := eslNode(t)
	var mu sync.Mutex
	var msgs []esl.Headers
	srv.Handle(func(c *esltest.Conn, cmd *esl.Command) bool {
		if strings.HasPrefix(cmd.Line, "sendmsg ") {
			mu.Lock()
			msgs = append(msgs, cmd.Headers)
			mu.Unlock()
		}
		return false
	})
	srv.SetAPI("uuid_answer", func(args string) string {
		if args == "gone" {
			return "-ERR No such channel!\n"
		}
		return "+OK\n"
	})
	srv.SetAPI("hupall", func(args string) string {
		return "+OK hangup all channels matching [sip_h_X-callplan-run]=[run1] with cause: MANAGER_REQUEST\n"
	})
	ctx := context.Background()
	require.NoError(t, d.Act(ctx, "u1", Action{Kind: ActAnswer}))
	err := d.Act(ctx, "gone", Action{Kind: ActAnswer})
	assert.ErrorIs(t, err, ErrRefused)
	assert.EqualError(t, err, "uuid_answer: command failed: -ERR No such channel!")
	require.NoError(t, d.Act(ctx, "u1", Action{Kind: ActExecute, App: "tone_detect", Args: "ring 440 r +10000"}))
	assert.Error(t, d.Act(ctx, "u1", Action{Kind: ActExecute, App: "bert_test", Args: "a\nb"}))
	body, err := d.EndRun(ctx, "run1", "MANAGER_REQUEST")
	require.NoError(t, err)
	assert.Contains(t, body, "+OK hangup all channels")
	_, err = d.EndRun(ctx, "run 1", "MANAGER_REQUEST")
	assert.Error(t, err)
	assert.Equal(t, []string{"api uuid_answer u1", "api uuid_answer gone", "sendmsg u1",
		"api hupall MANAGER_REQUEST sip_h_X-callplan-run run1"}, commands(srv))
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, msgs, 1)
	assert.Equal(t, "execute", msgs[0].Get("call-command"))
	assert.Equal(t, "tone_detect", msgs[0].Get("execute-app-name"))
	assert.Equal(t, "ring 440 r +10000", msgs[0].Get("execute-app-arg"))
}

func TestESLDriverHealth(t *testing.T) {
	t.Parallel()
	srv, d := eslNode(t)
	assert.Equal(t, UnknownHealth(), d.Health())
	srv.Emit(srv.NewEvent("HEARTBEAT", esl.Header{Name: "Session-Count", Value: "12"},
		esl.Header{Name: "Max-Sessions", Value: "2000"}, esl.Header{Name: "Idle-CPU", Value: "87.500000"}))
	ev := nextEvent(t, d, EventHeartbeat)
	assert.Equal(t, Health{Sessions: 12, MaxSessions: 2000, IdleCPU: 87.5}, ev.Health)
	h := d.Health()
	assert.Equal(t, 12, h.Sessions)
	assert.GreaterOrEqual(t, h.HeartbeatAge, time.Duration(0))
	assert.False(t, ev.Received.IsZero(), "stamped on receipt")
}

func TestPreflight(t *testing.T) {
	t.Parallel()
	_, d := eslNode(t)
	ctx := context.Background()
	f, err := Preflight(ctx, "a", d, Check{Profile: "external"})
	require.NoError(t, err)
	assert.Equal(t, 1000, f.MaxSessions)
	assert.Contains(t, f.Version, "1.10.12")

	_, err = Preflight(ctx, "a", d, Check{Profile: "internal"})
	require.ErrorIs(t, err, ErrPreflight)
	assert.ErrorContains(t, err, `node a: SIP profile "internal" does not exist`)

	_, err = Preflight(ctx, "a", d, Check{Profile: "external", Modules: []string{"mod_bert"}})
	require.ErrorIs(t, err, ErrPreflight)
	assert.ErrorContains(t, err, "module mod_bert is not loaded")

	_, err = Preflight(ctx, "a", d, Check{Profile: "bad profile"})
	require.ErrorIs(t, err, ErrPreflight)

	srv2, d2 := eslNode(t)
	srv2.SetAPI("version", func(string) string { return "-ERR no\n" })
	_, err = Preflight(ctx, "b", d2, Check{})
	require.ErrorIs(t, err, ErrPreflight)
	assert.ErrorContains(t, err, "version")
}
