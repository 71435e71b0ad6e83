package esl_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callplan/callplan/esl"
	"github.com/callplan/callplan/esl/esltest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testCtx bounds every test: nothing here may hang the suite.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func dial(t *testing.T, srv *esltest.Server, opts ...esl.Option) *esl.Conn {
	t.Helper()
	c, err := esl.Dial(testCtx(t), srv.Addr, "ClueCon", opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func newServer(t *testing.T, opts ...esltest.Option) *esltest.Server {
	t.Helper()
	srv := esltest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

func serverConn(t *testing.T, srv *esltest.Server) *esltest.Conn {
	t.Helper()
	sc, err := srv.NextConn(testCtx(t))
	require.NoError(t, err)
	return sc
}

func TestDialErrors(t *testing.T) {
	t.Parallel()
	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := ln.Addr().String()
		require.NoError(t, ln.Close())
		_, err = esl.Dial(testCtx(t), addr, "ClueCon")
		assert.ErrorIs(t, err, esl.ErrRefused)
	})
	t.Run("wrong password", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t, esltest.WithPassword("Secret"))
		_, err := esl.Dial(testCtx(t), srv.Addr, "WrongPassword")
		assert.ErrorIs(t, err, esl.ErrAuth)
		assert.NotContains(t, err.Error(), "WrongPassword", "the password never appears in errors")
	})
	t.Run("rude rejection", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t, esltest.WithRudeRejection())
		_, err := esl.Dial(testCtx(t), srv.Addr, "ClueCon")
		assert.ErrorIs(t, err, esl.ErrRejected)
		assert.Contains(t, err.Error(), "Access Denied")
	})
	t.Run("not esl", func(t *testing.T) {
		t.Parallel()
		addr := rawServer(t, func(c net.Conn) { _, _ = c.Write([]byte("SSH-2.0-OpenSSH_9.6\r\n")) })
		_, err := esl.Dial(testCtx(t), addr, "ClueCon")
		assert.ErrorIs(t, err, esl.ErrNotESL)
	})
	t.Run("http server", func(t *testing.T) {
		t.Parallel()
		addr := rawServer(t, func(c net.Conn) { _, _ = c.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")) })
		_, err := esl.Dial(testCtx(t), addr, "ClueCon")
		assert.ErrorIs(t, err, esl.ErrNotESL)
	})
	t.Run("silent server obeys the context", func(t *testing.T) {
		t.Parallel()
		addr := rawServer(t, func(c net.Conn) { time.Sleep(3 * time.Second) })
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := esl.Dial(ctx, addr, "ClueCon")
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Less(t, time.Since(start), 2*time.Second)
	})
}

// rawServer accepts connections and runs fn on each, for peers that are
// not ESL at all.
func rawServer(t *testing.T, fn func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				fn(c)
			}()
		}
	}()
	return ln.Addr().String()
}

func TestAPIReplies(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.SetAPI("status", func(string) string { return "UP 0 years, 0 days\n" })
	srv.SetAPI("uuid_kill", func(string) string { return "-ERR No such channel!\n" })
	srv.SetAPI("uuid_answer", func(string) string { return "-ERROR" })
	srv.SetAPI("originate", func(string) string { return "-USAGE: <call url> <exten>\n" })
	srv.SetAPI("uuid_exists", func(string) string { return "false" })
	c := dial(t, srv)
	ctx := testCtx(t)

	body, err := c.API(ctx, "status")
	require.NoError(t, err)
	assert.Equal(t, "UP 0 years, 0 days\n", body)

	body, err = c.API(ctx, "uuid_exists 00000000-0000-0000-0000-000000000000")
	require.NoError(t, err, "false is an answer, not an error")
	assert.Equal(t, "false", body)

	for cmd, want := range map[string]string{
		"uuid_kill x":      "-ERR No such channel!",
		"uuid_answer x":    "-ERROR",
		"originate":        "-USAGE: <call url> <exten>",
		"nosuchcommand ab": "-ERR nosuchcommand Command not found!",
	} {
		_, err := c.API(ctx, cmd)
		var ce *esl.CommandError
		require.ErrorAs(t, err, &ce, cmd)
		assert.Equal(t, want, ce.Reply, cmd)
	}
	_, err = c.API(ctx, "status\napi fsctl shutdown")
	assert.ErrorIs(t, err, esl.ErrUnsafe)
}

// go-eventsocket defect: concurrent Send calls share one reply channel, so
// a caller can get another's reply. Here every reply carries its request's
// number and each caller must get its own.
func TestConcurrentAPIRepliesMatchCallers(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.SetAPI("echo", func(args string) string { return args })
	c := dial(t, srv)
	ctx := testCtx(t)
	const n = 200
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			want := "request-" + strconv.Itoa(i)
			got, err := c.API(ctx, "echo "+want)
			if err != nil {
				errs <- err
				return
			}
			if got != want {
				errs <- fmt.Errorf("caller %q got %q", want, got)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// go-eventsocket defect: after 16 unread events its reader blocks and no
// reply is delivered. Here 20000 events nobody reads must not delay an api
// reply, and all of them must still be queued, in order.
func TestAPINotBlockedByUnreadEvents(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.SetAPI("status", func(string) string { return "+OK\n" })
	c := dial(t, srv)
	ctx := testCtx(t)
	require.NoError(t, c.Subscribe(ctx, "ALL"))
	sub := c.Events()
	sc := serverConn(t, srv)
	const n = 20000
	for i := range n {
		require.NoError(t, sc.Emit(srv.NewEvent("CUSTOM", esl.Header{Name: "Event-Subclass", Value: "test::x"}, esl.Header{Name: "N", Value: strconv.Itoa(i)})))
	}
	apiCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := c.API(apiCtx, "status")
	require.NoError(t, err, "api reply must not wait for event consumers")
	require.Eventually(t, func() bool { return sub.Len() == n }, 5*time.Second, 5*time.Millisecond)
	assert.GreaterOrEqual(t, sub.MaxLen(), n)
	for i := range n {
		e, err := sub.Next(ctx)
		require.NoError(t, err)
		require.Equal(t, strconv.Itoa(i), e.Get("N"))
	}
}

// go-eventsocket defect: a handler that calls Send from inside event
// handling deadlocks for 60 s. Here a consumer calls API for every event.
func TestAPIFromEventHandler(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.SetAPI("uuid_answer", func(args string) string { return "+OK " + args + "\n" })
	c := dial(t, srv)
	ctx := testCtx(t)
	require.NoError(t, c.Subscribe(ctx, "CHANNEL_PARK"))
	sub := c.Events("CHANNEL_PARK")
	sc := serverConn(t, srv)
	const n = 300
	done := make(chan error, 1)
	go func() {
		for i := range n {
			e, err := sub.Next(ctx)
			if err != nil {
				done <- err
				return
			}
			got, err := c.API(ctx, "uuid_answer "+e.UniqueID())
			if err != nil || got != "+OK leg-"+strconv.Itoa(i)+"\n" {
				done <- fmt.Errorf("event %d: %q, %v", i, got, err)
				return
			}
		}
		done <- nil
	}()
	for i := range n {
		require.NoError(t, sc.Emit(srv.NewEvent("CHANNEL_PARK", esl.Header{Name: "Unique-ID", Value: "leg-" + strconv.Itoa(i)})))
	}
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(15 * time.Second):
		t.Fatal("event handler calling API deadlocked")
	}
}

// go-eventsocket defect: ReadEvent picks randomly between a pending error
// and a pending event, so events still buffered when the socket closes can
// be lost. Here a consumer that starts reading after the close gets every
// event, then the error.
func TestEventsBufferedAtCloseAreDelivered(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := dial(t, srv)
	ctx := testCtx(t)
	require.NoError(t, c.Subscribe(ctx, "ALL"))
	sub := c.Events()
	sc := serverConn(t, srv)
	const n = 1000
	for i := range n {
		require.NoError(t, sc.Emit(srv.NewEvent("DTMF", esl.Header{Name: "N", Value: strconv.Itoa(i)})))
	}
	sc.Disconnect()
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatal("connection did not end")
	}
	assert.ErrorIs(t, c.Err(), esl.ErrDisconnected)
	for i := range n {
		e, err := sub.Next(ctx)
		require.NoError(t, err, "event %d lost", i)
		require.Equal(t, strconv.Itoa(i), e.Get("N"))
	}
	_, err := sub.Next(ctx)
	assert.ErrorIs(t, err, esl.ErrDisconnected)
	_, err = c.API(ctx, "status")
	assert.ErrorIs(t, err, esl.ErrClosed)
}

// go-eventsocket defect: an unknown content type calls log.Fatal. Here
// every kind of unexpected frame is skipped and the connection works on.
func TestUnknownContentTypesAreSkipped(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.SetAPI("status", func(string) string { return "+OK\n" })
	c := dial(t, srv)
	ctx := testCtx(t)
	sc := serverConn(t, srv)
	frames := []string{
		"Content-Type: log/data\nContent-Length: 6\nLog-Level: 7\n\nhello\n",
		"Content-Type: text/event-xml\nContent-Length: 16\n\n<event></event>\n",
		"Content-Type: something/new\n\n",
		"Content-Type: auth/request\n\n",
		"Content-Length: 13\nContent-Type: text/event-plain\n\nnot an event\n", // undecodable event
		"Content-Type: text/disconnect-notice\nContent-Disposition: linger\nContent-Length: 0\n\n",
	}
	for _, f := range frames {
		require.NoError(t, sc.WriteRaw([]byte(f)))
	}
	_, err := c.API(ctx, "status")
	require.NoError(t, err)
	st := c.Stats()
	assert.Equal(t, int64(5), st.IgnoredFrames)
	assert.Equal(t, int64(1), st.BadEvents)
	assert.Nil(t, c.Err())
}

func TestRudeRejectionAfterConnect(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := dial(t, srv)
	sc := serverConn(t, srv)
	require.NoError(t, sc.Write(esl.RudeRejection()))
	select {
	case <-c.Done():
	case <-testCtx(t).Done():
		t.Fatal("connection did not end")
	}
	assert.ErrorIs(t, c.Err(), esl.ErrRejected)
}

// go-eventsocket defects: a fixed 60 s timeout, no context, and a reply
// that arrives after its Send timed out is handed to the next Send. Here a
// context bounds the wait, and the late reply is dropped in its own slot.
func TestContextTimeoutKeepsRepliesInStep(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.SetAPI("echo", func(args string) string { return args })
	c := dial(t, srv)
	ctx := testCtx(t)
	sc := serverConn(t, srv)
	sc.Stall()
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.API(short, "echo first")
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 3*time.Second)
	sc.Resume()
	got, err := c.API(ctx, "echo second")
	require.NoError(t, err)
	assert.Equal(t, "second", got, "the late reply to the first command must not reach the second")
}

func TestBgAPIJobs(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.SetAPI("originate", func(args string) string {
		if strings.Contains(args, "busy") {
			return "-ERR USER_BUSY\n"
		}
		return "+OK 3f0e1e2a-0000-4000-8000-000000000001\n"
	})
	c := dial(t, srv)
	ctx := testCtx(t)
	sc := serverConn(t, srv)

	ok, err := c.BgAPI(ctx, "originate sofia/external/ok@127.0.0.1 &park()")
	require.NoError(t, err)
	busy, err := c.BgAPI(ctx, "originate sofia/external/busy@127.0.0.1 &park()")
	require.NoError(t, err)
	assert.True(t, sc.Subscribed("BACKGROUND_JOB"), "BgAPI subscribes to BACKGROUND_JOB")
	assert.NotEqual(t, ok.UUID, busy.UUID)

	body, err := ok.Wait(ctx)
	require.NoError(t, err)
	assert.Equal(t, "+OK 3f0e1e2a-0000-4000-8000-000000000001\n", body)

	_, err = busy.Wait(ctx)
	var ce *esl.CommandError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "USER_BUSY", ce.Cause())
	// The client-chosen Job-UUID went on the wire as a header.
	assert.Contains(t, sc.Commands(), "bgapi originate sofia/external/ok@127.0.0.1 &park()")
}

func TestBgAPIManyConcurrentJobs(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.SetAPI("echo", func(args string) string {
		n, _ := strconv.Atoi(args)
		time.Sleep(time.Duration(n%7) * time.Millisecond) // finish out of order
		return "+OK " + args + "\n"
	})
	c := dial(t, srv)
	ctx := testCtx(t)
	const n = 300
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			j, err := c.BgAPI(ctx, "echo "+strconv.Itoa(i))
			if err != nil {
				errs <- err
				return
			}
			body, err := j.Wait(ctx)
			if err != nil || body != "+OK "+strconv.Itoa(i)+"\n" {
				errs <- fmt.Errorf("job %d: %q %v", i, body, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestEventRoutingByUniqueIDAndName(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := dial(t, srv, esl.WithEventFormat(esl.FormatJSON))
	ctx := testCtx(t)
	require.NoError(t, c.Subscribe(ctx, "ALL"))
	a := c.ChannelEvents("leg-a")
	b := c.ChannelEvents("leg-b")
	answers := c.Events("channel_answer", "mod_bert::in_sync", "CHANNEL_ANSWER")
	sc := serverConn(t, srv)
	names := []string{"CHANNEL_CREATE", "CHANNEL_PROGRESS", "CHANNEL_ANSWER", "CHANNEL_PARK", "CHANNEL_HANGUP"}
	for _, name := range names {
		for _, leg := range []string{"leg-a", "leg-b", "leg-other"} {
			require.NoError(t, sc.Emit(srv.NewEvent(name, esl.Header{Name: "Unique-ID", Value: leg})))
		}
	}
	require.NoError(t, sc.Emit(srv.NewEvent("CUSTOM", esl.Header{Name: "Event-Subclass", Value: "mod_bert::in_sync"}, esl.Header{Name: "Unique-ID", Value: "leg-a"})))
	for _, tt := range []struct {
		sub  *esl.Subscription
		leg  string
		want []string
	}{
		{a, "leg-a", append(names, "CUSTOM")},
		{b, "leg-b", names},
	} {
		for _, want := range tt.want {
			e, err := tt.sub.Next(ctx)
			require.NoError(t, err)
			assert.Equal(t, want, e.Name())
			assert.Equal(t, tt.leg, e.UniqueID())
		}
	}
	var got []string
	for range 4 {
		e, err := answers.Next(ctx)
		require.NoError(t, err)
		got = append(got, e.Name()+"/"+e.UniqueID())
	}
	assert.Equal(t, []string{"CHANNEL_ANSWER/leg-a", "CHANNEL_ANSWER/leg-b", "CHANNEL_ANSWER/leg-other", "CUSTOM/leg-a"}, got,
		"each event once, even when it matches two names")
	assert.Equal(t, 0, answers.Len())
	a.Close()
	_, err := a.Next(ctx)
	assert.ErrorIs(t, err, esl.ErrClosed)
}

func TestEventHeaderSpellingFromRealTranscript(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("testdata/fixtures/11-burst-10-calls-custom-subscription.txt")
	require.NoError(t, err)
	srv := newServer(t, esltest.WithReplay(b))
	c := dial(t, srv)
	ctx := testCtx(t)
	all := c.Events()
	bert := c.Events("mod_bert::in_sync")
	require.NoError(t, c.Subscribe(ctx, "BACKGROUND_JOB", "CHANNEL_PARK", "CHANNEL_ANSWER", "CHANNEL_HANGUP_COMPLETE", "mod_bert::in_sync", "mod_bert::lost_sync", "mod_bert::timeout"))
	// Drive the replay: each reply waits for one command.
	sent, err := os.ReadFile("testdata/fixtures/11-burst-10-calls-custom-subscription.sent.txt")
	require.NoError(t, err)
	cmds := strings.Count(string(sent), "### t=") - 2 // auth and event already sent
	for range cmds {
		_, err := c.Send(ctx, esl.Command{Line: "api status"})
		if err != nil {
			break // the replayed reply may be an -ERR or the final close
		}
	}
	<-c.Done()
	var jobs, inSync int
	for {
		e, err := all.Next(ctx)
		if err != nil {
			require.ErrorIs(t, err, esl.ErrDisconnected)
			break
		}
		if e.Name() == "BACKGROUND_JOB" {
			jobs++
			_, spelled := e.Lookup("Job-UUID")
			assert.True(t, spelled)
			assert.Equal(t, e.Get("Job-UUID"), e.JobUUID())
			assert.Regexp(t, `^\+OK [0-9a-f-]{36}\n$`, e.Body)
		}
		if e.Name() == "CHANNEL_ANSWER" {
			assert.Equal(t, e.UniqueID(), e.Headers().Get("Unique-ID"))
			assert.Equal(t, e.UniqueID(), e.Var("uuid"))
			assert.False(t, e.Time().IsZero())
		}
	}
	for {
		if _, err := bert.Next(ctx); err != nil {
			break
		}
		inSync++
	}
	assert.Equal(t, 10, jobs)
	assert.Equal(t, 20, inSync, "20 mod_bert::in_sync in fixture 11")
	assert.Equal(t, "event plain BACKGROUND_JOB CHANNEL_PARK CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE CUSTOM mod_bert::in_sync mod_bert::lost_sync mod_bert::timeout",
		srv.Conns()[0].Commands()[1], "CUSTOM subclasses go last, as FreeSWITCH requires")
}

func TestHeartbeatTracking(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := dial(t, srv)
	ctx := testCtx(t)
	_, ok := c.Heartbeat()
	assert.False(t, ok)
	require.NoError(t, c.Subscribe(ctx, "HEARTBEAT"))
	sub := c.Events("HEARTBEAT")
	sc := serverConn(t, srv)
	require.NoError(t, sc.Emit(srv.NewEvent("HEARTBEAT",
		esl.Header{Name: "Uptime-msec", Value: "61524"},
		esl.Header{Name: "Session-Count", Value: "2"},
		esl.Header{Name: "Max-Sessions", Value: "2000"},
		esl.Header{Name: "Session-Per-Sec", Value: "998"},
		esl.Header{Name: "Session-Per-Sec-Last", Value: "2"},
		esl.Header{Name: "Idle-CPU", Value: "90.966667"},
	)))
	_, err := sub.Next(ctx)
	require.NoError(t, err)
	hb, ok := c.Heartbeat()
	require.True(t, ok)
	assert.Equal(t, 2, hb.SessionCount)
	assert.Equal(t, 2000, hb.MaxSessions)
	assert.Equal(t, 998, hb.SessionPerSec)
	assert.Equal(t, 2, hb.SessionPerSecLast)
	assert.InDelta(t, 90.966667, hb.IdleCPU, 1e-9)
	assert.Equal(t, 61524*time.Millisecond, hb.Uptime)
	assert.WithinDuration(t, time.Now(), hb.Time, 5*time.Second)
}

func TestHeartbeatTimeoutDropsSilentNode(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := dial(t, srv, esl.WithHeartbeatTimeout(200*time.Millisecond))
	ctx := testCtx(t)
	require.NoError(t, c.Subscribe(ctx, "HEARTBEAT"))
	sc := serverConn(t, srv)
	require.NoError(t, sc.Emit(srv.NewEvent("HEARTBEAT")))
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatal("silent node not dropped")
	}
	assert.ErrorIs(t, c.Err(), esl.ErrDisconnected)
}

func TestReconnectResubscribesAndRefilters(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // runs before the server's Close
	srv.SetAPI("slow", func(string) string { <-release; return "+OK\n" })
	states := make(chan esl.StateChange, 16)
	c := dial(t, srv, esl.WithReconnect(10*time.Millisecond, 50*time.Millisecond),
		esl.WithStateHandler(func(sc esl.StateChange) { states <- sc }))
	ctx := testCtx(t)
	require.NoError(t, c.Subscribe(ctx, "CHANNEL_ANSWER", "mod_bert::in_sync"))
	require.NoError(t, c.Filter(ctx, "Event-Name", "CHANNEL_ANSWER"))
	require.NoError(t, c.Filter(ctx, "Unique-ID", "leg-1"))
	require.NoError(t, c.FilterDelete(ctx, "Unique-ID", "leg-1"))
	sub := c.ChannelEvents("leg-2")
	first := serverConn(t, srv)
	job, err := c.BgAPI(ctx, "slow")
	require.NoError(t, err)

	first.Close()
	second := serverConn(t, srv)
	_, err = job.Wait(ctx)
	assert.ErrorIs(t, err, esl.ErrDisconnected, "a job in flight when the link dropped has an unknown fate")
	require.Eventually(t, func() bool { return c.State() == esl.StateConnected && len(second.Filters()) == 1 }, 5*time.Second, 5*time.Millisecond)
	assert.True(t, second.Subscribed("CHANNEL_ANSWER"))
	assert.True(t, second.Subscribed("mod_bert::in_sync"))
	assert.True(t, second.Subscribed("BACKGROUND_JOB"))
	assert.Equal(t, []esl.Header{{Name: "Event-Name", Value: "CHANNEL_ANSWER"}}, second.Filters())

	// Routing survives the reconnect.
	require.NoError(t, second.Emit(srv.NewEvent("CHANNEL_ANSWER", esl.Header{Name: "Unique-ID", Value: "leg-2"})))
	e, err := sub.Next(ctx)
	require.NoError(t, err)
	assert.Equal(t, "CHANNEL_ANSWER", e.Name())

	var seen []esl.State
	for len(seen) < 3 {
		select {
		case sc := <-states:
			seen = append(seen, sc.State)
		case <-ctx.Done():
			t.Fatalf("states so far: %v", seen)
		}
	}
	assert.Equal(t, []esl.State{esl.StateConnected, esl.StateDisconnected, esl.StateConnected}, seen)

	require.NoError(t, c.Close())
	assert.Equal(t, esl.StateClosed, c.State())
	_, err = sub.Next(ctx)
	assert.ErrorIs(t, err, esl.ErrClosed)
}

func TestReconnectRetriesUntilNodeIsBack(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := dial(t, srv, esl.WithReconnect(5*time.Millisecond, 20*time.Millisecond))
	ctx := testCtx(t)
	first := serverConn(t, srv)
	srv.SetPassword("changed") // the node refuses us for a while
	first.Close()
	require.Eventually(t, func() bool { return c.State() == esl.StateDisconnected }, 5*time.Second, time.Millisecond)
	// Several attempts are refused meanwhile; it stays disconnected.
	require.Eventually(t, func() bool { return len(srv.Conns()) >= 4 }, 5*time.Second, time.Millisecond)
	assert.Equal(t, esl.StateDisconnected, c.State())
	_, err := c.API(ctx, "status")
	assert.ErrorIs(t, err, esl.ErrDisconnected, "commands fail fast while disconnected")
	srv.SetPassword("ClueCon")
	require.Eventually(t, func() bool { return c.State() == esl.StateConnected }, 5*time.Second, 5*time.Millisecond)
}

func TestFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault func(*esltest.Conn)
		want  error
	}{
		{"close mid frame", (*esltest.Conn).CloseMidFrame, io.ErrUnexpectedEOF},
		{"garbage", (*esltest.Conn).Garbage, esl.ErrMalformed},
		{"huge body", func(c *esltest.Conn) { c.HugeBody(1 << 40) }, esl.ErrTooLarge},
		{"disconnect notice", (*esltest.Conn).Disconnect, io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			c := dial(t, srv)
			sc := serverConn(t, srv)
			tt.fault(sc)
			select {
			case <-c.Done():
			case <-testCtx(t).Done():
				t.Fatal("fault not detected")
			}
			assert.ErrorIs(t, c.Err(), esl.ErrDisconnected)
			assert.ErrorIs(t, c.Err(), tt.want)
		})
	}
}

func TestSendMsgExecuteHangup(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	var mu sync.Mutex
	var got []*esl.Command
	srv.Handle(func(sc *esltest.Conn, cmd *esl.Command) bool {
		if !strings.HasPrefix(cmd.Line, "sendmsg") {
			return false
		}
		mu.Lock()
		got = append(got, cmd)
		mu.Unlock()
		if strings.HasSuffix(cmd.Line, "bad") {
			_ = sc.Write(esl.CommandReply("-ERR invalid session id [bad]"))
		} else {
			_ = sc.Write(esl.CommandReply("+OK"))
		}
		return true
	})
	c := dial(t, srv)
	ctx := testCtx(t)
	require.NoError(t, c.Execute(ctx, "u1", "bert_test", "", false))
	require.NoError(t, c.Execute(ctx, "u1", "playback", "/tmp/a b.wav", true))
	require.NoError(t, c.Hangup(ctx, "u2", "USER_BUSY"))
	err := c.Hangup(ctx, "bad", "")
	var ce *esl.CommandError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "-ERR invalid session id [bad]", ce.Reply)
	assert.ErrorIs(t, c.Execute(ctx, "u1", "playback", "a\ncall-command: hangup", false), esl.ErrUnsafe)

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, got, 4)
	assert.Equal(t, "sendmsg u1", got[0].Line)
	assert.Equal(t, esl.Headers{{Name: "call-command", Value: "execute"}, {Name: "execute-app-name", Value: "bert_test"}}, got[0].Headers)
	assert.Equal(t, esl.Headers{{Name: "call-command", Value: "execute"}, {Name: "execute-app-name", Value: "playback"},
		{Name: "execute-app-arg", Value: "/tmp/a b.wav"}, {Name: "event-lock", Value: "true"}}, got[1].Headers)
	assert.Equal(t, esl.Headers{{Name: "call-command", Value: "hangup"}, {Name: "hangup-cause", Value: "USER_BUSY"}}, got[2].Headers)
}

func TestSubscriptionCommands(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := dial(t, srv)
	ctx := testCtx(t)
	sc := serverConn(t, srv)
	require.NoError(t, c.Subscribe(ctx, "CHANNEL_ANSWER", "CHANNEL_PARK"))
	require.NoError(t, c.NixEvent(ctx, "CHANNEL_PARK"))
	assert.True(t, sc.Subscribed("CHANNEL_ANSWER"))
	assert.False(t, sc.Subscribed("CHANNEL_PARK"))
	require.NoError(t, c.NoEvents(ctx))
	assert.False(t, sc.Subscribed("CHANNEL_ANSWER"))
	err := c.Subscribe(ctx, "NOSUCHEVENT")
	var ce *esl.CommandError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "-ERR no keywords supplied", ce.Reply)
	assert.ErrorIs(t, c.Subscribe(ctx), esl.ErrUnsafe)
	assert.ErrorIs(t, c.Filter(ctx, "Unique ID", "x"), esl.ErrUnsafe)
	assert.Equal(t, []string{"auth <redacted>", "event plain CHANNEL_ANSWER CHANNEL_PARK", "nixevent CHANNEL_PARK", "noevents", "event plain NOSUCHEVENT"}, sc.Commands())
}

func TestCloseFailsWaitingCallers(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := dial(t, srv)
	ctx := testCtx(t)
	sc := serverConn(t, srv)
	sc.Stall()
	errc := make(chan error, 1)
	go func() {
		_, err := c.API(ctx, "status")
		errc <- err
	}()
	require.Eventually(t, func() bool { return len(sc.Commands()) == 2 }, 5*time.Second, time.Millisecond)
	require.NoError(t, c.Close())
	select {
	case err := <-errc:
		assert.True(t, errors.Is(err, esl.ErrClosed), "got %v", err)
	case <-ctx.Done():
		t.Fatal("waiting caller not released by Close")
	}
}

// A peer that stops reading must not block a writer forever: the context
// bounds the write, and the session (now out of step) is dropped.
func TestStalledPeerCannotBlockWriter(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	addr := rawServer(t, func(c net.Conn) {
		_, _ = c.Write([]byte("Content-Type: auth/request\n\n"))
		r := esl.NewReader(c)
		if _, err := r.ReadCommand(); err != nil {
			return
		}
		_, _ = c.Write([]byte("Content-Type: command/reply\nReply-Text: +OK accepted\n\n"))
		<-release // never read again
	})
	t.Cleanup(func() { close(release) })
	c, err := esl.Dial(testCtx(t), addr, "ClueCon")
	require.NoError(t, err)
	defer c.Close()
	// Far more than the socket buffers hold (the peer never reads, so its
	// window stays small; the send buffer grows to 4 MiB at most), so the
	// write must stall. No larger: building the command copies the body,
	// which under -race on a loaded machine takes seconds per 64 MiB.
	body := make([]byte, 16<<20)
	ctx, cancel := context.WithTimeout(testCtx(t), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = c.SendMsg(ctx, "u", esl.Headers{{Name: "call-command", Value: "execute"}}, body)
	require.Error(t, err)
	// "Not forever", not a speed figure: copying 64 MiB under -race on a
	// loaded 2-core machine alone has taken over 5 s.
	assert.Less(t, time.Since(start), 60*time.Second)
	select {
	case <-c.Done():
		assert.ErrorIs(t, c.Err(), esl.ErrDisconnected)
	case <-testCtx(t).Done():
		t.Fatal("session with a half-written command not dropped")
	}
}

// The state handler may call Close (say, on giving up a node) without
// deadlocking the Conn.
func TestStateHandlerMayClose(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	var c *esl.Conn
	ready := make(chan struct{})
	closed := make(chan struct{})
	c = dial(t, srv, esl.WithReconnect(time.Millisecond, 5*time.Millisecond), esl.WithStateHandler(func(sc esl.StateChange) {
		<-ready
		switch sc.State {
		case esl.StateDisconnected:
			_ = c.Close()
		case esl.StateClosed:
			close(closed)
		}
	}))
	close(ready)
	serverConn(t, srv).Close()
	select {
	case <-closed:
	case <-testCtx(t).Done():
		t.Fatal("Close from the state handler deadlocked")
	}
	assert.ErrorIs(t, c.Err(), esl.ErrClosed)
}
