package agent

import (
	"bytes"
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callplan/callplan/esl"
	"github.com/stretchr/testify/require"
)

// testClient is a raw ESL client for tests: it writes commands and reads
// frames with the esl wire format, keeping replies and events apart.
type testClient struct {
	t      testing.TB
	nc     net.Conn
	frames chan *esl.Frame // every frame, in order
	mu     sync.Mutex
	events []*esl.Event
	evCh   chan struct{}
	reply  chan *esl.Frame
	done   chan struct{}
}

func dialTest(t testing.TB, addr string) *testClient {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	c := &testClient{t: t, nc: nc, frames: make(chan *esl.Frame, 100000),
		evCh: make(chan struct{}, 1), reply: make(chan *esl.Frame, 1000), done: make(chan struct{})}
	go c.read()
	t.Cleanup(func() { _ = nc.Close(); <-c.done })
	return c
}

func (c *testClient) read() {
	defer close(c.done)
	r := esl.NewReader(c.nc)
	for {
		f, err := r.ReadFrame()
		if err != nil {
			close(c.reply)
			return
		}
		select {
		case c.frames <- f:
		default:
		}
		if esl.IsEvent(f.ContentType()) {
			ev, err := esl.DecodeEvent(f)
			if err != nil {
				c.t.Errorf("decoding event: %v", err)
				continue
			}
			c.mu.Lock()
			c.events = append(c.events, ev)
			c.mu.Unlock()
			select {
			case c.evCh <- struct{}{}:
			default:
			}
			continue
		}
		c.reply <- f
	}
}

// send writes one command (with optional header lines) and returns the
// next non-event frame.
func (c *testClient) send(cmd string, headers ...string) *esl.Frame {
	c.t.Helper()
	var b bytes.Buffer
	b.WriteString(cmd + "\n")
	for _, h := range headers {
		b.WriteString(h + "\n")
	}
	b.WriteString("\n")
	_, err := c.nc.Write(b.Bytes())
	require.NoError(c.t, err)
	return c.next()
}

func (c *testClient) next() *esl.Frame {
	c.t.Helper()
	select {
	case f, ok := <-c.reply:
		if !ok {
			c.t.Fatalf("connection closed")
		}
		return f
	case <-time.After(10 * time.Second):
		c.t.Fatalf("no reply within 10s")
	}
	return nil
}

func (c *testClient) auth() {
	c.t.Helper()
	f := c.next()
	require.Equal(c.t, esl.ContentAuthRequest, f.ContentType())
	require.Equal(c.t, "+OK accepted", c.send("auth ClueCon").ReplyText())
}

func (c *testClient) api(cmd string) string {
	c.t.Helper()
	f := c.send("api " + cmd)
	require.Equal(c.t, esl.ContentAPIResponse, f.ContentType())
	return string(f.Body)
}

// waitEvent waits for the first event (from the start of the session)
// matching pred.
func (c *testClient) waitEvent(pred func(*esl.Event) bool) *esl.Event {
	c.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		c.mu.Lock()
		for _, e := range c.events {
			if pred(e) {
				c.mu.Unlock()
				return e
			}
		}
		c.mu.Unlock()
		select {
		case <-c.evCh:
		case <-deadline:
			c.t.Fatalf("event not seen within 10s; have %s", c.names())
			return nil
		}
	}
}

func (c *testClient) names() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, e := range c.events {
		s := e.Name() + "(" + short(e.UniqueID()) + ")"
		if cause := e.Get("Hangup-Cause"); cause != "" {
			s += "[" + cause + " " + e.Var("sip_hangup_disposition") + " " + e.Var("sip_term_status") + "]"
		}
		if e.Body != "" {
			s += "[" + strings.TrimSpace(e.Body) + "]"
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

// legEvents lists the names of the events about one channel, in arrival order.
func (c *testClient) legEvents(uuid string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, e := range c.events {
		if e.UniqueID() == uuid {
			out = append(out, e.Name())
		}
	}
	return out
}

func short(s string) string {
	if len(s) > 8 {
		return s[:8]
	}
	return s
}

func nameAnd(name, header, value string) func(*esl.Event) bool {
	return func(e *esl.Event) bool { return e.Name() == name && e.Get(header) == value }
}

// startTestAgent starts an agent on a random ESL port with the fake SIP
// network, registered at sipAddr.
func startTestAgent(t testing.TB, n *fakeNet, sipAddr string, mod ...func(*Config)) *Agent {
	t.Helper()
	cfg := Config{ESLAddr: "127.0.0.1:0", SIPAddr: sipAddr, SPS: 10000, MaxSessions: 10000,
		Heartbeat: time.Hour, signalling: n.signalling()}
	return startAgent(t, cfg, mod, func(a *Agent) { n.register(sipAddr, a) })
}

// startAgent applies mod to cfg, creates the agent, runs beforeStart (when
// not nil) on it and starts it; the test's cleanup stops it.
func startAgent(t testing.TB, cfg Config, mod []func(*Config), beforeStart func(*Agent)) *Agent {
	t.Helper()
	for _, m := range mod {
		m(&cfg)
	}
	a, err := New(cfg)
	require.NoError(t, err)
	if beforeStart != nil {
		beforeStart(a)
	}
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, a.Start(ctx))
	t.Cleanup(func() {
		cancel()
		_ = a.Close()
	})
	return a
}

// indexOf is the position of the first event matching pred, -1 if none.
func (c *testClient) indexOf(pred func(*esl.Event) bool) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, e := range c.events {
		if pred(e) {
			return i
		}
	}
	return -1
}

// The tests' RTP range is as wide as possible: other test processes and
// benchmarks on the machine hold thousands of ports in the usual ranges,
// and a range they exhaust fails dials with DESTINATION_OUT_OF_ORDER.
const testRTPMin, testRTPMax = 10000, 65000

// startSIPAgent starts an agent with real SIP and RTP on loopback, on
// random ports.
func startSIPAgent(t testing.TB, mod ...func(*Config)) *Agent {
	t.Helper()
	cfg := Config{ESLAddr: "127.0.0.1:0", SIPAddr: "127.0.0.1:0", SPS: 10000, MaxSessions: 10000,
		Heartbeat: time.Hour, RTPPortMin: testRTPMin, RTPPortMax: testRTPMax}
	return startAgent(t, cfg, mod, nil)
}

// closedPort is a UDP port on loopback that nothing listens on.
func closedPort(t testing.TB) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	_, port, _ := net.SplitHostPort(pc.LocalAddr().String())
	require.NoError(t, pc.Close())
	return port
}
