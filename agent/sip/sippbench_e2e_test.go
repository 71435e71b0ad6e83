//go:build e2e

package sip

import (
	"context"
	"os"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/callplan/callplan/internal/peertest"
)

var failedRe = regexp.MustCompile(`Failed call\s+\|\s+\d+\s+\|\s+(\d+)`)

// BenchmarkSIPpRatio runs SIPp's built-in UAC at a fixed rate against SIPp's
// own UAS (the baseline), then against a profile that answers every call,
// and reports both rates and their ratio. Each iteration places 20000 calls
// at up to 3000 calls/s (SIPP_RATE overrides); run with -benchtime 1x.
func BenchmarkSIPpRatio(b *testing.B) {
	const calls = 20000
	rate := 3000 // about SIPp's own ceiling on this machine (issue 4)
	if r, err := strconv.Atoi(os.Getenv("SIPP_RATE")); err == nil && r > 0 {
		rate = r
	}
	// uac runs SIPp's UAC and returns its achieved rate and failed calls (the
	// cumulative "Failed call" figure of its final report).
	uac := func(b *testing.B, name, target string) (float64, int) {
		b.Helper()
		port := peertest.FreePort(b)
		start := time.Now()
		p := peertest.Start(b, "sipp", "-sn", "uac", target, "-i", "127.0.0.1", "-p", strconv.Itoa(port),
			"-r", strconv.Itoa(rate), "-m", strconv.Itoa(calls), "-nostdin", "-timeout", "120s", "-timeout_error")
		code := p.Wait(b, 150*time.Second)
		elapsed := time.Since(start)
		failed := 0
		if m := failedRe.FindAllStringSubmatch(p.Output(), -1); len(m) > 0 {
			failed, _ = strconv.Atoi(m[len(m)-1][1])
		}
		if code != 0 && failed == 0 {
			b.Fatalf("sipp uac to %s: exit code %d:\n%s", name, code, p.Output())
		}
		return float64(calls) / elapsed.Seconds(), failed
	}
	for range b.N {
		uasPort := peertest.FreePort(b)
		uas := peertest.Start(b, "sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", strconv.Itoa(uasPort), "-nostdin")
		uas.WaitBound(b, "udp", uasPort)
		base, baseFailed := uac(b, "sipp uas", "127.0.0.1:"+strconv.Itoa(uasPort))
		uas.Stop()

		p, _ := benchProfile(b, true)
		agent, agentFailed := uac(b, "profile", p.Addr())
		// Every call SIPp completed must be over on the profile too, once
		// the BYEs already received are handled: a leftover leg means a lost
		// ACK and BYE.
		deadline := time.Now().Add(10 * time.Second)
		for in, _ := p.Calls(); in != 0 && time.Now().Before(deadline); in, _ = p.Calls() {
			time.Sleep(50 * time.Millisecond)
		}
		if in, _ := p.Calls(); in != 0 {
			b.Errorf("%d inbound legs still up 10 s after SIPp finished", in)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_ = p.Close(ctx)
		cancel()

		b.ReportMetric(base, "sipp_calls/s")
		b.ReportMetric(agent, "profile_calls/s")
		b.ReportMetric(agent/base, "ratio")
		b.ReportMetric(float64(baseFailed), "sipp_failed")
		b.ReportMetric(float64(agentFailed), "profile_failed")
	}
}
