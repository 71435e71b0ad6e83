package agent

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callplan/callplan/esl"
	"github.com/callplan/callplan/internal/gctune"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

// loopDriver drives loop calls through one agent over ESL the way a load
// tester does: bgapi originate with a chosen Job-UUID, answer the parked
// inbound leg, and on the job's +OK kill the call. It keeps up to window
// calls in flight.
//
// It reads events as callplan's runner does (plain events decoded with
// only the headers it reads: esl.WithEventHeaders, runner/eslevents.go),
// not as JSON decoded whole: it runs in the agent's process, and decoding
// every variable of every event twice (ReadFrame, then DecodeEvent) was
// about a sixth of the benchmark's CPU and 40 % of its bytes, none of it
// the agent's.
type loopDriver struct {
	nc      net.Conn
	w       *bufio.Writer
	wmu     sync.Mutex
	sipAddr string

	slots    chan struct{}
	ok, fail atomic.Int64
	ended    atomic.Int64 // outbound legs destroyed
	done     chan struct{}
	readErr  error
}

func newLoopDriver(tb testing.TB, a *Agent, window int) *loopDriver {
	nc, err := net.Dial("tcp", a.Addr())
	require.NoError(tb, err)
	d := &loopDriver{nc: nc, w: bufio.NewWriterSize(nc, 64<<10), sipAddr: a.SIPAddr(),
		slots: make(chan struct{}, window), done: make(chan struct{})}
	d.write("auth ClueCon\n\nevent plain CHANNEL_PARK BACKGROUND_JOB CHANNEL_DESTROY\n\n")
	go d.read()
	tb.Cleanup(func() { _ = nc.Close(); <-d.done })
	return d
}

func (d *loopDriver) write(s string) {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	_, _ = d.w.WriteString(s)
	_ = d.w.Flush()
}

func (d *loopDriver) originate() {
	d.slots <- struct{}{}
	id := uuid.NewString()
	d.write("bgapi originate {origination_uuid=" + id + ",sip_h_X-callplan-call=" + id +
		",ignore_early_media=true}sofia/external/bench@" + d.sipAddr + " &park()\nJob-UUID: " + id + "\n\n")
}

func (d *loopDriver) read() {
	defer close(d.done)
	br := bufio.NewReaderSize(d.nc, 64<<10)
	for {
		e, err := nextPlainEvent(br)
		if err != nil {
			d.readErr = err
			return
		}
		if e == nil {
			continue
		}
		switch e.Name() {
		case "CHANNEL_PARK":
			if e.Get("Call-Direction") == "inbound" {
				d.write("bgapi uuid_answer " + e.UniqueID() + "\n\n")
			}
		case "BACKGROUND_JOB":
			if e.Get("Job-Command") != "originate" {
				continue
			}
			if strings.HasPrefix(e.Body, "+OK") {
				d.ok.Add(1)
				d.write("bgapi uuid_kill " + e.JobUUID() + "\n\n")
			} else {
				d.fail.Add(1)
				<-d.slots
			}
		case "CHANNEL_DESTROY":
			if e.Get("Call-Direction") == "outbound" {
				if e.Get("Hangup-Cause") == "NORMAL_CLEARING" {
					d.ended.Add(1)
					<-d.slots
				}
			}
		}
	}
}

// nextPlainEvent reads one frame from br and decodes it if it is a plain
// event (nil for any other frame). The event is decoded where it lies in
// br's buffer, as esl.Conn's reader does (esl/wire.go, Reader.next), not
// after copying its body out with ReadFrame: the copy was a quarter of the
// bytes this benchmark allocated, all of it the driver's, none the agent's.
func nextPlainEvent(br *bufio.Reader) (*esl.Event, error) {
	plain, n := false, 0
	for first := true; ; first = false {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return nil, fmt.Errorf("reading frame header: %w", err)
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			if first {
				continue // a blank line between frames
			}
			break
		}
		if v, ok := bytes.CutPrefix(line, []byte("Content-Type: ")); ok {
			plain = string(v) == esl.ContentEventPlain
		} else if v, ok := bytes.CutPrefix(line, []byte("Content-Length: ")); ok {
			if n, err = strconv.Atoi(string(v)); err != nil || n < 0 {
				return nil, fmt.Errorf("content-length %q is not a byte count", v)
			}
		}
	}
	if !plain || n > br.Size() {
		if _, err := br.Discard(n); err != nil {
			return nil, fmt.Errorf("skipping a %d-byte body: %w", n, err)
		}
		if plain {
			return nil, fmt.Errorf("plain event of %d bytes over the read buffer", n)
		}
		return nil, nil
	}
	b, err := br.Peek(n)
	if err != nil {
		return nil, fmt.Errorf("reading a %d-byte event: %w", n, err)
	}
	e, err := esl.ParseEventPlainKeep(b, driverHeader)
	if err != nil {
		return nil, fmt.Errorf("decoding event: %w", err)
	}
	_, _ = br.Discard(n)
	return e, nil
}

// driverHeader is what loopDriver reads of an event besides what the esl
// package keeps itself (Event-Name, Unique-ID, Job-UUID).
func driverHeader(name string) bool {
	switch name {
	case "Call-Direction", "Hangup-Cause", "Job-Command":
		return true
	}
	return false
}

// BenchmarkLoopCallsESL measures complete loop calls (originate, inbound
// park, answer, job +OK, kill, both legs destroyed) over real SIP on
// loopback, driven through one ESL connection.
func BenchmarkLoopCallsESL(b *testing.B) {
	// The GC setting `callplan agent` runs with (cmd/callplan/main.go).
	b.Cleanup(gctune.Apply(os.LookupEnv).Stop)
	a := startSIPAgent(b, func(c *Config) {
		c.SPS, c.MaxSessions = 1000000, 100000
		c.RTPPortMin, c.RTPPortMax = 20000, 60000
	})
	d := newLoopDriver(b, a, 500)
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for range b.N {
		d.originate()
	}
	for d.ended.Load()+d.fail.Load() < int64(b.N) {
		if d.readErr != nil {
			b.Fatalf("esl: %v", d.readErr)
		}
		time.Sleep(time.Millisecond)
	}
	el, cpu := time.Since(start), cpuTime()-cpu0
	b.StopTimer()
	b.ReportMetric(float64(b.N)/el.Seconds(), "calls/s")
	// The process's CPU time (agent and driver, collector included) over
	// the calls alone: unlike calls/s it does not depend on how much of a
	// shared machine the run got, and unlike timing the whole test binary
	// it leaves out start-up and the benchmark's first one-call round.
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu_µs/call")
	b.ReportMetric(float64(d.fail.Load()), "failed")
	if d.fail.Load() > 0 {
		b.Errorf("%d of %d calls failed", d.fail.Load(), b.N)
	}
}

// BenchmarkConcurrentParkedCalls holds b.N answered, parked loop calls (2b.N
// legs, each with its RTP socket open), then hangs them all up with hupall.
func BenchmarkConcurrentParkedCalls(b *testing.B) {
	a := startSIPAgent(b, func(c *Config) {
		c.SPS, c.MaxSessions = 1000000, 100000
		c.RTPPortMin, c.RTPPortMax = 16384, 65000
	})
	d := newLoopDriver(b, a, b.N)
	// Answer but do not kill: replace the kill by nothing.
	d.write("noevents\n\nevent plain CHANNEL_PARK BACKGROUND_JOB\n\n")
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		id := uuid.NewString()
		d.write("bgapi originate {origination_uuid=" + id + ",ignore_early_media=true}sofia/external/hold@" +
			d.sipAddr + " &park()\nJob-UUID: held-" + id + "\n\n")
	}
	for {
		n := a.API(b.Context(), "show channels count")
		var count int
		_, _ = fmt.Sscanf(strings.TrimSpace(n), "%d total.", &count)
		if count >= 2*b.N && d.ok.Load() >= int64(b.N) {
			break
		}
		if time.Since(start) > 5*time.Minute || d.fail.Load() > 0 {
			b.Fatalf("only %d legs up, %d calls answered, %d failed", count, d.ok.Load(), d.fail.Load())
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.ReportMetric(time.Since(start).Seconds(), "s-to-hold")
	b.StopTimer()
	a.API(b.Context(), "hupall NORMAL_CLEARING")
}
