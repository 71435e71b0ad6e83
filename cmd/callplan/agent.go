package main

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/callplan/callplan/agent"
	"github.com/callplan/callplan/agent/media"
)

const agentExamples = `  callplan agent                                   # ESL on 127.0.0.1:8021 (password ClueCon), SIP on 127.0.0.1:5080
  CALLPLAN_ESL_PASSWORD=s3cret callplan agent --esl 0.0.0.0:8021 --sip 10.0.0.5:5080
  callplan agent --rtp-ports 16384-40000 --max-sessions 10000 --sps 1000 --heartbeat 2s
  callplan agent --impair-loss 5 --impair-burst 2 --impair-jitter 30ms   # damage the RTP it sends`

// runAgent runs an embedded FreeSWITCH-compatible agent until Ctrl-C, then
// hangs up its calls cleanly (BYE/CANCEL) and exits.
func runAgent(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "agent", "agent [flags]", agentExamples)
	eslAddr := fs.String("esl", agent.DefaultESLAddr, "Event Socket listen `address`")
	password := fs.String("password", "", "ESL password (default: $CALLPLAN_ESL_PASSWORD, else ClueCon on loopback only)")
	sipAddr := fs.String("sip", agent.DefaultSIPAddr, "SIP `address` of the external profile (UDP and TCP)")
	rtpPorts := fs.String("rtp-ports", media.DefaultPortRange, "RTP port `range` LO-HI")
	// Higher than FreeSWITCH's vanilla 1000/30, which would throttle a
	// load test at 15 loop calls per second; the captured node used 2000/1000.
	maxSessions := fs.Int("max-sessions", 10000, "maximum concurrent legs (fsctl max_sessions)")
	sps := fs.Int("sps", 1000, "maximum new legs per second (fsctl sps)")
	heartbeat := fs.Duration("heartbeat", agent.DefaultHeartbeat, "HEARTBEAT event interval")
	logLevel := fs.String("log-level", "info", "log `level`: debug, info, warn, error")
	impLoss := fs.Float64("impair-loss", 0, "drop this `percent` of the RTP packets sent (0 to under 100)")
	impBurst := fs.Float64("impair-burst", 1, "mean `packets` in a run of lost packets (1 = independent losses)")
	impDelay := fs.Duration("impair-delay", 0, "add this `delay` to every RTP packet sent")
	impJitter := fs.Duration("impair-jitter", 0, "add a further random 0..`jitter` to each RTP packet sent")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	}
	lo, hi, err := media.ParsePortRange(*rtpPorts)
	if err != nil {
		return usageErrorf("--rtp-ports: %v", err)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(strings.ToLower(*logLevel))); err != nil {
		return usageErrorf("--log-level %q: want debug, info, warn or error", *logLevel)
	}
	if *maxSessions <= 0 || *sps <= 0 || *heartbeat <= 0 {
		return usageErrorf("--max-sessions, --sps and --heartbeat must be positive")
	}
	impair := media.Impairment{Loss: *impLoss / 100, Burst: *impBurst, Delay: *impDelay, Jitter: *impJitter}
	if err := impair.Validate(); err != nil {
		return usageErrorf("--impair-*: %v", err)
	}
	pw := *password
	if pw == "" {
		if v, ok := env.Getenv("CALLPLAN_ESL_PASSWORD"); ok {
			pw = v
		}
	}
	log := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: level}))
	a, err := agent.New(agent.Config{
		ESLAddr: *eslAddr, Password: pw, SIPAddr: *sipAddr, RTPPortMin: lo, RTPPortMax: hi,
		MaxSessions: *maxSessions, SPS: *sps, Heartbeat: *heartbeat, Logger: log, Impair: impair,
	})
	if err != nil {
		return usageErrorf("%v", err)
	}
	if err := a.Start(ctx); err != nil {
		return fmt.Errorf("starting agent: %w", err)
	}
	fmt.Fprintf(env.Stdout, "callplan agent: ESL on %s, SIP on %s, RTP ports %s\n", a.Addr(), a.SIPAddr(),
		strconv.Itoa(lo)+"-"+strconv.Itoa(hi))
	<-ctx.Done()
	start := time.Now()
	if err := a.Close(); err != nil {
		return fmt.Errorf("stopping agent: %w", err)
	}
	fmt.Fprintf(env.Stdout, "callplan agent: stopped, calls hung up in %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}
