package runner

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// FreeSWITCH reports idle CPU in HEARTBEAT, but only every
// event-heartbeat-interval (20 s by default): too slow to act on. Its
// `status` API has the figure now, on the line "min idle cpu SETTING/NOW"
// (captured: 10a; SETTING is switch.conf's min-idle-cpu, NOW the idle
// share), cheap enough to ask once a second. The driver polls it and its
// Health carries the latest.

// StatusPoll is how often the ESL driver asks a node for `status`.
const StatusPoll = time.Second

// pollStatus asks for `status` every StatusPoll until Close, keeping the
// idle CPU it reports in the driver's health.
func (d *ESLDriver) pollStatus() {
	defer d.wg.Done()
	t := time.NewTicker(StatusPoll)
	defer t.Stop()
	for {
		select {
		case <-d.ctx.Done():
			return
		case <-t.C:
		}
		d.mu.Lock()
		down := d.down
		d.mu.Unlock()
		if down {
			continue
		}
		ctx, cancel := context.WithTimeout(d.ctx, StatusPoll)
		body, err := d.API(ctx, "status")
		cancel()
		if err != nil {
			continue // a slow or lost node shows elsewhere (reply latency, NodeDown)
		}
		if idle, ok := statusIdleCPU(body); ok {
			d.mu.Lock()
			d.health.IdleCPU = idle
			d.mu.Unlock()
		}
	}
}

// statusIdleCPU reads NOW from status's "min idle cpu SETTING/NOW" line.
func statusIdleCPU(status string) (float64, bool) {
	for _, line := range strings.Split(status, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "min idle cpu ")
		if !ok {
			continue
		}
		_, now, ok := strings.Cut(rest, "/")
		if !ok {
			return 0, false
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(now), 64)
		return v, err == nil
	}
	return 0, false
}
