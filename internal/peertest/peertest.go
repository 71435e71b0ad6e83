package peertest

import (
	"bytes"
	"errors"
	"net"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Proc is one peer process. Its output is kept and logged when the test
// fails.
type Proc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
	err  error
}

// Write collects the process's stdout and stderr.
func (p *Proc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

// Start runs name with args in a temporary directory (SIPp writes its logs
// to the working directory) and its own process group (so Kamailio's
// children go with it). It fails the test when name is not installed:
// `make deps-e2e` installs the peers. The process is stopped at cleanup.
func Start(tb testing.TB, name string, args ...string) *Proc {
	tb.Helper()
	path, err := exec.LookPath(name)
	require.NoErrorf(tb, err, "%s is needed for the e2e tests (make deps-e2e)", name)
	p := &Proc{cmd: exec.Command(path, args...), done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p, p
	p.cmd.Dir = tb.TempDir()
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(tb, p.cmd.Start())
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	tb.Cleanup(func() {
		p.Stop()
		if tb.Failed() {
			tb.Logf("%s output:\n%s", name, p.Output())
		}
	})
	return p
}

// Stop ends the process group this test started (by its id), politely
// first. Stopping a process that has exited does nothing.
func (p *Proc) Stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// Done is closed when the process has exited; Err then says how.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Err is the process's exit error, once Done is closed.
func (p *Proc) Err() error { return p.err }

// Output is what the process has written so far.
func (p *Proc) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// Wait returns the exit code once the process ends, failing the test if it
// does not end within d.
func (p *Proc) Wait(tb testing.TB, d time.Duration) int {
	tb.Helper()
	select {
	case <-p.done:
	case <-time.After(d):
		require.FailNowf(tb, "peer did not exit", "within %s", d)
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	require.NoError(tb, p.err)
	return 0
}

// FreePort finds a loopback port free for both UDP and TCP (SIP peers
// listen on both).
func FreePort(tb testing.TB) int {
	tb.Helper()
	for range 50 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		require.NoError(tb, err)
		port := pc.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		_ = pc.Close()
		if err == nil {
			_ = l.Close()
			return port
		}
	}
	require.FailNow(tb, "no free port")
	return 0
}

// WaitBound waits until something has bound port on network ("udp" or
// "tcp") — a bind of our own fails — i.e. the peer is listening. It fails
// the test if the peer exits first or 10 s pass.
func (p *Proc) WaitBound(tb testing.TB, network string, port int) {
	tb.Helper()
	addr := "127.0.0.1:" + strconv.Itoa(port)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		select {
		case <-p.done:
			require.FailNowf(tb, "peer exited before listening", "%v", p.err)
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
	require.FailNowf(tb, "peer not listening", "%s %s", network, addr)
}
