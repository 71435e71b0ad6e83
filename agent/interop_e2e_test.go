//go:build e2e

package agent

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/callplan/callplan/esl"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Interop of the whole agent (ESL → channel model → SIP) with foreign SIP
// stacks on loopback: SIPp as UAS answering an originate, SIPp as UAC
// calling the agent while an ESL client answers, and Kamailio as a
// stateless proxy in the fs_path. They fail, not skip, when sipp or
// kamailio is missing (make deps-e2e installs them).

// peer is a SIPp or Kamailio process owned by one test.
type peer struct {
	cmd  *exec.Cmd
	out  bytes.Buffer
	done chan struct{}
	err  error
}

func startPeer(t *testing.T, name string, args ...string) *peer {
	t.Helper()
	path, err := exec.LookPath(name)
	require.NoErrorf(t, err, "%s is needed for the e2e tests (make deps-e2e)", name)
	p := &peer{cmd: exec.Command(path, args...), done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	p.cmd.Dir = t.TempDir()
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, p.cmd.Start())
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			// Only the process group this test started.
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
			select {
			case <-p.done:
			case <-time.After(5 * time.Second):
				_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
				<-p.done
			}
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", name, p.out.String())
		}
	})
	return p
}

func (p *peer) exitCode(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(d):
		require.FailNowf(t, "peer did not exit", "within %s", d)
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	require.NoError(t, p.err)
	return 0
}

func freeUDPTCPPort(t *testing.T) int {
	t.Helper()
	for range 50 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		require.NoError(t, err)
		port := pc.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		_ = pc.Close()
		if err == nil {
			_ = l.Close()
			return port
		}
	}
	require.FailNow(t, "no free port")
	return 0
}

// waitListening waits until the peer has bound port (our own bind fails).
func waitListening(t *testing.T, p *peer, network string, port int) {
	t.Helper()
	addr := "127.0.0.1:" + strconv.Itoa(port)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		select {
		case <-p.done:
			require.FailNowf(t, "peer exited before listening", "%v", p.err)
		default:
		}
		var err error
		if network == "udp" {
			var pc net.PacketConn
			if pc, err = net.ListenPacket("udp", addr); err == nil {
				_ = pc.Close()
			}
		} else {
			var l net.Listener
			if l, err = net.Listen("tcp", addr); err == nil {
				_ = l.Close()
			}
		}
		if errors.Is(err, syscall.EADDRINUSE) {
			return
		}
	}
	require.FailNowf(t, "peer not listening", "%s %s", network, addr)
}

// SIPp's UAS answers an originate placed over ESL; the ESL client kills it.
func TestSIPpUASAnswersOriginate(t *testing.T) {
	a := startSIPAgent(t)
	port := freeUDPTCPPort(t)
	sipp := startPeer(t, "sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", strconv.Itoa(port),
		"-m", "1", "-nostdin", "-timeout", "30s", "-timeout_error")
	waitListening(t, sipp, "udp", port)

	c := dialTest(t, a.Addr())
	c.auth()
	c.send("event plain BACKGROUND_JOB CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE")
	id, job := originateLoop(t, c, "service", "127.0.0.1:"+strconv.Itoa(port), "absolute_codec_string=PCMU")
	bg := c.waitEvent(nameAnd("BACKGROUND_JOB", "Job-UUID", job))
	require.Equal(t, "+OK "+id+"\n", bg.Body)
	ans := c.waitEvent(nameAnd("CHANNEL_ANSWER", "Unique-ID", id))
	assert.Equal(t, "PCMU", ans.Get("Channel-Read-Codec-Name"))
	assert.Equal(t, "+OK\n", c.api("uuid_kill "+id))
	end := c.waitEvent(nameAnd("CHANNEL_HANGUP_COMPLETE", "Unique-ID", id))
	assert.Equal(t, "NORMAL_CLEARING", end.Get("Hangup-Cause"))
	assert.Equal(t, "send_bye", end.Var("sip_hangup_disposition"))
	assert.Equal(t, 0, sipp.exitCode(t, 30*time.Second), "sipp uas counts the call successful")
}

// SIPp's UAC calls the agent; the inbound leg parks and an ESL client
// answers it; SIPp hangs up.
func TestSIPpUACAnsweredOverESL(t *testing.T) {
	a := startSIPAgent(t)
	c := dialTest(t, a.Addr())
	c.auth()
	c.send("event plain CHANNEL_PARK CHANNEL_HANGUP_COMPLETE")
	port := freeUDPTCPPort(t)
	sipp := startPeer(t, "sipp", "-sn", "uac", a.SIPAddr(), "-s", "2000", "-i", "127.0.0.1",
		"-p", strconv.Itoa(port), "-m", "1", "-d", "500", "-nostdin", "-timeout", "30s", "-timeout_error")
	park := c.waitEvent(func(e *esl.Event) bool {
		return e.Name() == "CHANNEL_PARK" && e.Get("Call-Direction") == "inbound"
	})
	assert.Equal(t, "2000", park.Get("Caller-Destination-Number"))
	assert.Equal(t, "+OK\n", c.api("uuid_ring_ready "+park.UniqueID()))
	assert.Equal(t, "+OK\n", c.api("uuid_answer "+park.UniqueID()))
	end := c.waitEvent(nameAnd("CHANNEL_HANGUP_COMPLETE", "Unique-ID", park.UniqueID()))
	assert.Equal(t, "NORMAL_CLEARING", end.Get("Hangup-Cause"))
	assert.Equal(t, "recv_bye", end.Var("sip_hangup_disposition"))
	assert.Equal(t, 0, sipp.exitCode(t, 30*time.Second), "sipp uac counts the call successful")
}

// A loop call through Kamailio as a stateless proxy in the fs_path: the
// X-header crosses it, the callee answers over ESL, a refusal's cause
// crosses it too.
func TestKamailioInFSPath(t *testing.T) {
	a := startSIPAgent(t)
	kport := freeUDPTCPPort(t)
	l := "127.0.0.1:" + strconv.Itoa(kport)
	cfg, err := filepath.Abs("sip/testdata/kamailio.cfg")
	require.NoError(t, err)
	k := startPeer(t, "kamailio", "-f", cfg, "-DD", "-E", "-l", "udp:"+l, "-l", "tcp:"+l, "-Y", t.TempDir())
	waitListening(t, k, "udp", kport)

	c := dialTest(t, a.Addr())
	c.auth()
	c.send("event plain BACKGROUND_JOB CHANNEL_PARK CHANNEL_HANGUP_COMPLETE")
	viaProxy := a.SIPAddr() + ";fs_path=sip:" + l
	id, job := originateLoop(t, c, "1000", viaProxy, "")
	in := inboundOf(c, id).UniqueID()
	assert.Equal(t, "+OK\n", c.api("uuid_answer "+in))
	bg := c.waitEvent(nameAnd("BACKGROUND_JOB", "Job-UUID", job))
	assert.Equal(t, "+OK "+id+"\n", bg.Body)
	c.api("uuid_kill " + id)
	end := c.waitEvent(nameAnd("CHANNEL_HANGUP_COMPLETE", "Unique-ID", in))
	assert.Equal(t, "recv_bye", end.Var("sip_hangup_disposition"))

	id, job = originateLoop(t, c, "busy", viaProxy, "")
	in = inboundOf(c, id).UniqueID()
	c.send("sendmsg "+in, "call-command: execute", "execute-app-name: respond", "execute-app-arg: 486")
	bg = c.waitEvent(nameAnd("BACKGROUND_JOB", "Job-UUID", job))
	assert.Equal(t, "-ERR USER_BUSY\n", bg.Body)
}

// BenchmarkAgentVsSIPp runs SIPp's UAC against SIPp's UAS (the baseline:
// INVITE, 200, ACK, BYE, no RTP), then the same number of agent → agent loop
// calls driven over ESL (originate, park, answer, kill; RTP sockets open),
// and reports both rates and their ratio. Run with -benchtime 1x; SIPP_CALLS
// and SIPP_RATE override 10000 calls at up to 3000 calls/s.
func BenchmarkAgentVsSIPp(b *testing.B) {
	calls, rate := 10000, 3000
	if n, err := strconv.Atoi(os.Getenv("SIPP_CALLS")); err == nil && n > 0 {
		calls = n
	}
	if r, err := strconv.Atoi(os.Getenv("SIPP_RATE")); err == nil && r > 0 {
		rate = r
	}
	for range b.N {
		uasPort := freeUDPTCPPortB(b)
		uas := startPeerB(b, "sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", strconv.Itoa(uasPort), "-nostdin")
		time.Sleep(300 * time.Millisecond) // SIPp binds at once; no call is lost to this wait
		uacPort := freeUDPTCPPortB(b)
		start := time.Now()
		uac := startPeerB(b, "sipp", "-sn", "uac", "127.0.0.1:"+strconv.Itoa(uasPort), "-i", "127.0.0.1",
			"-p", strconv.Itoa(uacPort), "-r", strconv.Itoa(rate), "-m", strconv.Itoa(calls),
			"-nostdin", "-timeout", "120s", "-timeout_error")
		select {
		case <-uac.done:
		case <-time.After(150 * time.Second):
			b.Fatalf("sipp uac did not finish")
		}
		base := float64(calls) / time.Since(start).Seconds()
		if uac.err != nil {
			b.Fatalf("sipp uac: %v\n%s", uac.err, uac.out.String())
		}
		_ = syscall.Kill(-uas.cmd.Process.Pid, syscall.SIGTERM)

		a := startSIPAgent(b, func(c *Config) {
			c.SPS, c.MaxSessions = 1000000, 100000
			c.RTPPortMin, c.RTPPortMax = 20000, 60000
		})
		d := newLoopDriver(b, a, 500)
		start = time.Now()
		for range calls {
			d.originate()
		}
		for d.ended.Load()+d.fail.Load() < int64(calls) {
			if time.Since(start) > 5*time.Minute {
				b.Fatalf("agent: %d of %d calls done", d.ended.Load(), calls)
			}
			time.Sleep(time.Millisecond)
		}
		agentRate := float64(calls) / time.Since(start).Seconds()
		b.ReportMetric(base, "sipp_calls/s")
		b.ReportMetric(agentRate, "agent_calls/s")
		b.ReportMetric(agentRate/base, "ratio")
		b.ReportMetric(float64(d.fail.Load()), "agent_failed")
	}
}

// The benchmark's process helpers (testing.TB versions of the ones above).

func startPeerB(b *testing.B, name string, args ...string) *peer {
	b.Helper()
	path, err := exec.LookPath(name)
	require.NoErrorf(b, err, "%s is needed for the e2e benchmarks (make deps-e2e)", name)
	p := &peer{cmd: exec.Command(path, args...), done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	p.cmd.Dir = b.TempDir()
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(b, p.cmd.Start())
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	b.Cleanup(func() {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	})
	return p
}

func freeUDPTCPPortB(b *testing.B) int {
	b.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(b, err)
	defer pc.Close()
	return pc.LocalAddr().(*net.UDPAddr).Port
}
