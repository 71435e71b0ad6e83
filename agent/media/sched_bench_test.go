package media

import (
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/callplan/callplan/internal/procs"
	"github.com/stretchr/testify/require"
)

// BenchmarkStreams runs the media engine alone: CALLPLAN_STREAM_PAIRS
// (default 1000) pairs of sessions on loopback, each side sending an
// endless source to the other through the send scheduler for
// CALLPLAN_STREAM_SECONDS (default 60), then reports the share of packets
// sent more than 5 ms late, the loss the receivers measured and CPU per
// stream, and how long the process's threads waited for a CPU (Linux).
// BenchmarkMediaCalls in package agent does the same with SIP, ESL
// and the channel model on top.
//
// CALLPLAN_STREAM_STALL_MS stalls the first wheel's thread that long once a
// second, as this project's host stalls a virtual CPU (shard.go), and
// CALLPLAN_STREAM_HEDGE=off stops the other wheels from covering for it:
// the two side by side show what hedging does against a stall of one CPU,
// without waiting for the host to stall one.
func BenchmarkStreams(b *testing.B) {
	pairs := benchEnv("CALLPLAN_STREAM_PAIRS", 1000)
	hold := time.Duration(benchEnv("CALLPLAN_STREAM_SECONDS", 60)) * time.Second
	stall := time.Duration(benchEnv("CALLPLAN_STREAM_STALL_MS", 0)) * time.Millisecond
	// The Ps `callplan agent` runs with (internal/procs), before the
	// engine counts its wheels and receivers; GOMAXPROCS set wins.
	b.Cleanup(procs.Spare(os.LookupEnv))
	ports, err := NewPorts(16384, 65000)
	require.NoError(b, err)
	ports.sched.noHedge = os.Getenv("CALLPLAN_STREAM_HEDGE") == "off"
	if stall > 0 {
		var last time.Time
		ports.sched.shards[0].stallForTest = func() {
			if time.Since(last) >= time.Second {
				last = time.Now()
				time.Sleep(stall) // the injected stall itself
			}
		}
	}
	var sessions []*Session
	for range pairs {
		x, err := ports.Open(loopback)
		require.NoError(b, err)
		y, err := ports.Open(loopback)
		require.NoError(b, err)
		require.NoError(b, x.Start(y.LocalAddr(), PCMU))
		require.NoError(b, y.Start(x.LocalAddr(), PCMU))
		sessions = append(sessions, x, y)
	}
	defer func() {
		for _, s := range sessions {
			_ = s.Close()
		}
	}()
	b.ResetTimer()
	for _, s := range sessions {
		s.SetSource(&frames{n: -1})
	}
	// Let every stream start, then measure a steady hold.
	time.Sleep(time.Second)
	s0, cpu0, in0, wait0 := ports.SchedulerStats(), processCPU(), received(sessions), runQueueWait()
	start := time.Now()
	time.Sleep(hold)
	held := time.Since(start)
	s1, cpu, in1, wait := ports.SchedulerStats(), processCPU()-cpu0, received(sessions), runQueueWait()-wait0
	b.StopTimer()
	var lost, expected uint64
	for _, s := range sessions {
		s.SetSource(nil)
	}
	for _, s := range sessions {
		st := s.Stats()
		lost += st.InLost
		expected += st.Expected()
	}
	frames := s1.Frames - s0.Frames
	b.ReportMetric(float64(2*pairs), "streams")
	b.ReportMetric(float64(frames)/held.Seconds()/float64(2*pairs), "pkts/s/stream")
	b.ReportMetric(float64(in1-in0)/held.Seconds()/float64(2*pairs), "rcvd/s/stream")
	s1.ReportSince(s0, b.ReportMetric)
	b.ReportMetric(100*float64(lost)/float64(max(expected, 1)), "%loss")
	b.ReportMetric(100*cpu.Seconds()/held.Seconds()/float64(2*pairs), "%cpu/stream")
	// Time the process's threads spent runnable but not running, per
	// second held: the share of lateness the machine, not the engine, owns.
	b.ReportMetric(float64(wait.Milliseconds())/held.Seconds(), "ms-runq-wait/s")
}

func received(ss []*Session) uint64 {
	var n uint64
	for _, s := range ss {
		n += s.Stats().InMediaPackets
	}
	return n
}

func benchEnv(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
