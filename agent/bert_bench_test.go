package agent

import (
	"bufio"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/callplan/callplan/esl"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

// BenchmarkBERTCalls holds concurrent answered loop calls with bert_test on
// both legs, the switchio way (originate ... &bert_test(), the inbound leg
// gets bert_test by sendmsg, switchio's bert_* settings), waits until every
// leg is in sync, then holds them for a while and counts lost syncs and
// timeouts: the "200 concurrent BERT calls stay in sync for 60 s".
// CALLPLAN_BERT_CALLS and CALLPLAN_BERT_SECONDS change the size
// (docs/performance.md has the command and the figures).
func BenchmarkBERTCalls(b *testing.B) {
	calls := envInt("CALLPLAN_BERT_CALLS", 200)
	hold := time.Duration(envInt("CALLPLAN_BERT_SECONDS", 60)) * time.Second
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
	var inSync, lost, timeouts, failed atomic.Int64
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
				// switchio's bert settings on the callee too, then bert_test.
				send("sendmsg " + e.UniqueID() + "\ncall-command: execute\nexecute-app-name: multiset\n" +
					"execute-app-arg: " + bertVars + "\n\n" +
					"sendmsg " + e.UniqueID() + "\ncall-command: execute\nexecute-app-name: bert_test\n\n")
			case e.Name() == "BACKGROUND_JOB" && e.Body[0] != '+':
				failed.Add(1)
			case e.Subclass() == "mod_bert::in_sync":
				inSync.Add(1)
			case e.Subclass() == "mod_bert::lost_sync":
				lost.Add(1)
				b.Logf("lost_sync on %s: %s%% of the window, cng_count %s, err_samples %s",
					e.UniqueID(), e.Get("sync_lost_percent"), e.Get("cng_count"), e.Get("err_samples"))
			case e.Subclass() == "mod_bert::timeout":
				timeouts.Add(1)
			}
		}
	}()
	send("auth ClueCon\n\nevent plain CHANNEL_PARK BACKGROUND_JOB CUSTOM mod_bert::in_sync mod_bert::lost_sync mod_bert::timeout\n\n")
	b.ResetTimer()
	start := time.Now()
	for range calls {
		id := uuid.NewString()
		send("bgapi originate {origination_uuid=" + id + ",ignore_early_media=true,absolute_codec_string=PCMU," +
			strings.ReplaceAll(bertVars, " ", ",") + "}sofia/external/bert@" + a.SIPAddr() +
			" &bert_test()\nJob-UUID: " + id + "\n\n")
	}
	for inSync.Load() < int64(2*calls) {
		if time.Since(start) > 2*time.Minute || failed.Load() > 0 {
			b.Fatalf("%d of %d legs in sync after %s, %d originates failed", inSync.Load(), 2*calls,
				time.Since(start).Round(time.Second), failed.Load())
		}
		time.Sleep(50 * time.Millisecond)
	}
	toSync := time.Since(start)
	cpu0 := cpuTime()
	holdStart := time.Now()
	time.Sleep(hold)
	held := time.Since(holdStart)
	cpu := cpuTime() - cpu0
	b.StopTimer()
	a.API(b.Context(), "hupall NORMAL_CLEARING")
	b.ReportMetric(float64(calls), "calls")
	b.ReportMetric(toSync.Seconds(), "s-to-all-in-sync")
	b.ReportMetric(held.Seconds(), "s-held")
	b.ReportMetric(float64(lost.Load()), "lost_sync")
	b.ReportMetric(float64(timeouts.Load()), "timeouts")
	b.ReportMetric(100*cpu.Seconds()/held.Seconds()/float64(2*calls), "%cpu/leg")
	if lost.Load() > 0 || timeouts.Load() > 0 {
		b.Errorf("%d lost_sync and %d timeout events while holding %d BERT calls", lost.Load(), timeouts.Load(), calls)
	}
}

// bertVars are switchio's bert_test settings (bert_hangup_on_error off, so
// a lost sync is counted, not hung up; a 10 s timeout for the ramp).
const bertVars = "bert_timer_name=soft bert_max_err=30 bert_timeout_ms=10000 bert_hangup_on_error=no"

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
