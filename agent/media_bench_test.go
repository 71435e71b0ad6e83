package agent

import (
	"bufio"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callplan/callplan/esl"
	"github.com/callplan/callplan/internal/gctune"
	"github.com/callplan/callplan/internal/procs"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

// BenchmarkMediaCalls holds concurrent answered loop calls with media in
// both directions (each leg plays silence_stream://-1, so 2 x calls RTP
// streams leave the send scheduler and arrive at the other leg), then
// reports what the issue asks: the share of packets sent more than 5 ms
// after their due time, the loss measured by the receiving legs (from their
// rtp_audio_in_* end-of-call variables), and CPU per leg.
// CALLPLAN_MEDIA_CALLS (default 1000) and CALLPLAN_MEDIA_SECONDS (60) set
// the size; docs/performance.md has the command and the figures.
func BenchmarkMediaCalls(b *testing.B) {
	calls := envInt("CALLPLAN_MEDIA_CALLS", 1000)
	hold := time.Duration(envInt("CALLPLAN_MEDIA_SECONDS", 60)) * time.Second
	// The GC setting and the spare P `callplan agent` runs with
	// (cmd/callplan/main.go); GOGC or GOMAXPROCS set in the environment win.
	b.Cleanup(gctune.Apply(os.LookupEnv).Stop)
	b.Cleanup(procs.Spare(os.LookupEnv))
	a := startSIPAgent(b, func(c *Config) {
		c.SPS, c.MaxSessions = 1000000, 100000
		c.RTPPortMin, c.RTPPortMax = 16384, 65000
	})
	nc, err := net.Dial("tcp", a.Addr())
	require.NoError(b, err)
	defer nc.Close()
	w := bufio.NewWriter(nc)
	var wmu sync.Mutex
	send := func(s string) {
		wmu.Lock()
		defer wmu.Unlock()
		_, _ = w.WriteString(s)
		_ = w.Flush()
	}
	var answered, failed, ended atomic.Int64
	var mu sync.Mutex
	var inPackets, lost, expected uint64
	done := make(chan struct{})
	go func() {
		defer close(done)
		r := esl.NewReader(nc)
		for {
			f, err := r.ReadFrame()
			if err != nil {
				return
			}
			if !esl.IsEvent(f.ContentType()) {
				continue
			}
			e, err := esl.DecodeEvent(f)
			if err != nil {
				return
			}
			switch {
			case e.Name() == "CHANNEL_PARK" && e.Get("Call-Direction") == "inbound":
				send("sendmsg " + e.UniqueID() + "\ncall-command: execute\nexecute-app-name: answer\n\n" +
					"sendmsg " + e.UniqueID() + "\ncall-command: execute\nexecute-app-name: playback\n" +
					"execute-app-arg: silence_stream://-1\n\n")
			case e.Name() == "BACKGROUND_JOB":
				if e.Body != "" && e.Body[0] == '+' {
					answered.Add(1)
				} else {
					failed.Add(1)
				}
			case e.Name() == "CHANNEL_HANGUP_COMPLETE":
				u := func(name string) uint64 {
					n, _ := strconv.ParseUint(e.Var(name), 10, 64)
					return n
				}
				mu.Lock()
				inPackets += u("rtp_audio_in_media_packet_count")
				lost += u("rtp_audio_in_flaw_total")
				expected += u("rtp_audio_in_media_packet_count") + u("rtp_audio_in_flaw_total")
				mu.Unlock()
				ended.Add(1)
			}
		}
	}()
	send("auth ClueCon\n\nevent plain CHANNEL_PARK BACKGROUND_JOB CHANNEL_HANGUP_COMPLETE\n\n")
	b.ResetTimer()
	start := time.Now()
	for range calls {
		id := uuid.NewString()
		send("bgapi originate {origination_uuid=" + id + ",ignore_early_media=true}sofia/external/media@" +
			a.SIPAddr() + " &playback(silence_stream://-1)\nJob-UUID: " + id + "\n\n")
	}
	for answered.Load() < int64(calls) || a.rtpPorts.SchedulerStats().Streams < 2*calls {
		if time.Since(start) > 3*time.Minute || failed.Load() > 0 {
			b.Fatalf("%d of %d calls answered, %d streams, %d originates failed", answered.Load(), calls,
				a.rtpPorts.SchedulerStats().Streams, failed.Load())
		}
		time.Sleep(50 * time.Millisecond)
	}
	toUp := time.Since(start)
	s0 := a.rtpPorts.SchedulerStats()
	cpu0 := cpuTime()
	holdStart := time.Now()
	time.Sleep(hold)
	held := time.Since(holdStart)
	cpu := cpuTime() - cpu0
	s1 := a.rtpPorts.SchedulerStats()
	b.StopTimer()
	a.API(b.Context(), "hupall NORMAL_CLEARING")
	for deadline := time.Now().Add(time.Minute); ended.Load() < int64(2*calls) && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	frames := s1.Frames - s0.Frames
	b.Logf("wheel threads: %s", s1.Pacer)
	b.ReportMetric(float64(calls), "calls")
	b.ReportMetric(toUp.Seconds(), "s-to-all-up")
	b.ReportMetric(held.Seconds(), "s-held")
	b.ReportMetric(float64(frames)/held.Seconds()/float64(2*calls), "pkts/s/leg")
	s1.ReportSince(s0, b.ReportMetric)
	mu.Lock()
	b.ReportMetric(100*float64(lost)/float64(max(expected, 1)), "%loss")
	b.ReportMetric(float64(inPackets), "pkts-received")
	mu.Unlock()
	b.ReportMetric(100*cpu.Seconds()/held.Seconds()/float64(2*calls), "%cpu/leg")
}
