package agent

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

var (
	errMaxSessions = errors.New("max sessions reached")
	errThrottle    = errors.New("throttle error: sessions per second exceeded")
)

// sessionStats are FreeSWITCH's session counters (runtime.* in switch_core).
// Guarded by Agent.mu.
type sessionStats struct {
	maxSessions int
	spsLimit    int
	// spsLeft is the creation budget of the current one-second window: it
	// is what HEARTBEAT calls Session-Per-Sec (3.6), not a measured rate.
	spsLeft      int
	thisSecond   int // legs created in the current window
	lastSecond   int // Session-Per-Sec-Last
	spsMax       int
	spsFiveMin   int
	sinceStartup uint64
	sessionID    uint64
	peak         int
	peakFiveMin  int
	fiveMinStart time.Time
	rejected     uint64
}

func (s *sessionStats) init(maxSessions, sps int) {
	s.maxSessions, s.spsLimit, s.spsLeft = maxSessions, sps, sps
	s.fiveMinStart = time.Now()
}

// admit reports whether one more leg may be created now.
func (s *sessionStats) admit(count int) error {
	if count >= s.maxSessions {
		s.rejected++
		return errMaxSessions
	}
	if s.spsLeft <= 0 {
		s.rejected++
		return errThrottle
	}
	return nil
}

func (s *sessionStats) created(count int) {
	s.spsLeft--
	s.thisSecond++
	s.sinceStartup++
	if count > s.peak {
		s.peak = count
	}
	if count > s.peakFiveMin {
		s.peakFiveMin = count
	}
}

// tick closes a one-second window.
func (s *sessionStats) tick(now time.Time) {
	s.lastSecond = s.thisSecond
	s.thisSecond = 0
	s.spsLeft = s.spsLimit
	if s.lastSecond > s.spsMax {
		s.spsMax = s.lastSecond
	}
	if now.Sub(s.fiveMinStart) >= 5*time.Minute {
		s.fiveMinStart = now
		s.spsFiveMin, s.peakFiveMin = 0, 0
	}
	if s.lastSecond > s.spsFiveMin {
		s.spsFiveMin = s.lastSecond
	}
}

// housekeeping closes sps windows every second and fires HEARTBEAT.
func (a *Agent) housekeeping(ctx context.Context) {
	sec := time.NewTicker(time.Second)
	defer sec.Stop()
	hb := time.NewTicker(a.cfg.Heartbeat)
	defer hb.Stop()
	cpu := a.cpu
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-sec.C:
			a.mu.Lock()
			a.stats.tick(now)
			a.mu.Unlock()
			cpu.sample()
		case now := <-hb.C:
			a.fireHeartbeat(now, a.idleCPU())
			a.hub.fire("RE_SCHEDULE", "", func(e *event) {
				e.Headers = append(e.Headers,
					header{"Task-ID", "1"},
					header{"Task-Desc", "heartbeat"},
					header{"Task-Group", "core"},
					header{"Task-Runtime", strconv.FormatInt(now.Add(a.cfg.Heartbeat).Unix(), 10)})
			})
		}
	}
}

// heartbeatFigures is a snapshot for HEARTBEAT and status.
type heartbeatFigures struct {
	uptime                        time.Duration
	count, max, spsLeft, spsLimit int
	spsLast, spsMax, spsFiveMin   int
	sinceStartup                  uint64
	peak, peakFiveMin             int
	idleCPU                       float64
}

func (a *Agent) figures(idle float64) heartbeatFigures {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := &a.stats
	return heartbeatFigures{
		uptime: time.Since(a.started), count: len(a.channels), max: s.maxSessions,
		spsLeft: s.spsLeft, spsLimit: s.spsLimit, spsLast: s.lastSecond, spsMax: s.spsMax,
		spsFiveMin: s.spsFiveMin, sinceStartup: s.sinceStartup, peak: s.peak,
		peakFiveMin: s.peakFiveMin, idleCPU: idle,
	}
}

func (a *Agent) fireHeartbeat(now time.Time, idle float64) {
	f := a.figures(idle)
	a.hub.fire("HEARTBEAT", "", func(e *event) {
		e.Headers = append(e.Headers,
			header{"Event-Info", "System Ready"},
			header{"Up-Time", upTime(f.uptime)},
			header{"FreeSWITCH-Version", fsVersion},
			header{"Uptime-msec", strconv.FormatInt(f.uptime.Milliseconds(), 10)},
			header{"Session-Count", strconv.Itoa(f.count)},
			header{"Max-Sessions", strconv.Itoa(f.max)},
			header{"Session-Per-Sec", strconv.Itoa(max(f.spsLeft, 0))},
			header{"Session-Per-Sec-Last", strconv.Itoa(f.spsLast)},
			header{"Session-Per-Sec-Max", strconv.Itoa(f.spsMax)},
			header{"Session-Per-Sec-FiveMin", strconv.Itoa(f.spsFiveMin)},
			header{"Session-Since-Startup", strconv.FormatUint(f.sinceStartup, 10)},
			header{"Session-Peak-Max", strconv.Itoa(f.peak)},
			header{"Session-Peak-FiveMin", strconv.Itoa(f.peakFiveMin)},
			header{"Idle-CPU", fmt.Sprintf("%f", f.idleCPU)},
		)
	})
}

// fsVersion is what the agent reports as FreeSWITCH-Version: the version of
// the FreeSWITCH whose behaviour it copies.
const fsVersion = "1.10.12-release~64bit"

// upTime formats a duration as FreeSWITCH's Up-Time and status do, with the
// singular for 1 ("1 minute").
func upTime(d time.Duration) string {
	us := d.Microseconds()
	parts := []struct {
		n    int64
		name string
	}{
		{us / (365 * 86400e6), "year"},
		{us / 86400e6 % 365, "day"},
		{us / 3600e6 % 24, "hour"},
		{us / 60e6 % 60, "minute"},
		{us / 1e6 % 60, "second"},
		{us / 1e3 % 1000, "millisecond"},
		{us % 1000, "microsecond"},
	}
	out := make([]string, len(parts))
	for i, p := range parts {
		s := p.name
		if p.n != 1 {
			s += "s"
		}
		out[i] = fmt.Sprintf("%d %s", p.n, s)
	}
	return strings.Join(out, ", ")
}

// cpuSampler reads the host's idle CPU share from /proc/stat.
type cpuSampler struct {
	lastIdle, lastTotal uint64
	idlePct             atomic.Uint64 // float64 bits
	minIdle             atomic.Uint64 // float64 bits
}

func newCPUSampler() *cpuSampler {
	s := &cpuSampler{}
	s.lastIdle, s.lastTotal, _ = readProcStat()
	s.idlePct.Store(floatBits(100))
	s.minIdle.Store(floatBits(100))
	return s
}

// min is the lowest idle share seen (status's "min idle cpu").
func (s *cpuSampler) min() float64 { return floatFromBits(s.minIdle.Load()) }

func (s *cpuSampler) sample() {
	idle, total, ok := readProcStat()
	if !ok || total <= s.lastTotal {
		return
	}
	pct := 100 * float64(idle-s.lastIdle) / float64(total-s.lastTotal)
	s.lastIdle, s.lastTotal = idle, total
	s.idlePct.Store(floatBits(pct))
	if pct < s.min() {
		s.minIdle.Store(floatBits(pct))
	}
}

func (s *cpuSampler) idle() float64 { return floatFromBits(s.idlePct.Load()) }

// readProcStat returns the idle and total jiffies of the "cpu" line.
func readProcStat() (idle, total uint64, ok bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0, 0, false
	}
	for i, x := range f[1:] {
		n, err := strconv.ParseUint(x, 10, 64)
		if err != nil {
			return 0, 0, false
		}
		total += n
		if i == 3 || i == 4 { // idle, iowait
			idle += n
		}
	}
	return idle, total, true
}

func floatBits(f float64) uint64     { return math.Float64bits(f) }
func floatFromBits(b uint64) float64 { return math.Float64frombits(b) }
