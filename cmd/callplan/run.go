package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/callplan/callplan/agent"
	"github.com/callplan/callplan/agent/media"
	"github.com/callplan/callplan/assert"
	"github.com/callplan/callplan/flows"
	"github.com/callplan/callplan/internal/memconn"
	"github.com/callplan/callplan/metrics"
	"github.com/callplan/callplan/plan"
	"github.com/callplan/callplan/report"
	"github.com/callplan/callplan/runner"
)

const runExamples = `  callplan run scenarios/smoke.yaml
  callplan run --out /tmp/r1 --set stages[0].rate=20 plan.yaml
  FS_PASSWORD=secret callplan run --quiet cluster.yaml`

// SummaryFile is the run summary written to the output directory.
const SummaryFile = "summary.json"

func runRun(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "run", "run PLAN [--out DIR] [--set path=value]... [--quiet]", runExamples)
	var sets setFlags
	fs.Var(&sets, "set", "override a plan field, `path=value` (repeatable), e.g. stages[0].rate=20")
	out := fs.String("out", "", "results `dir` (default: <report.dir>/<plan name>-<timestamp>/)")
	quiet := fs.Bool("quiet", false, "no live progress line")
	noSmoke := fs.Bool("no-smoke-call", false, "skip the preflight smoke call")
	every := fs.Duration("progress-every", 10*time.Second, "progress line interval when not on a terminal")
	noSearch := fs.Bool("no-search", false, "run the plan's stage once at its own rate, ignoring its search: block (what each search step does)")
	if err := parseFlags(fs, reorderFlags(fs, args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return usageErrorf("want exactly one plan, got %d", fs.NArg())
	}
	p, err := loadPlan(env, fs.Arg(0), sets)
	if err != nil {
		printPlanError(env.Stderr, "run", err)
		return withCode(ExitInvalid, errReported)
	}
	if p.Search.On && !*noSearch {
		return runSearch(ctx, env, searchRun{planFile: fs.Arg(0), sets: sets, dir: *out, noSmoke: *noSmoke}, p)
	}
	mixes, err := flowMixes(p)
	if err != nil {
		return withCode(ExitInvalid, err)
	}
	started := time.Now()
	runID := strings.ReplaceAll(uuid.NewString(), "-", "")[:12]
	dir := *out
	if dir == "" {
		dir = filepath.Join(p.Report.Dir, p.Name+"-"+started.UTC().Format("20060102T150405Z"))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating results dir: %w", err)
	}

	// Cloud nodes: no ESL, no smoke call (it would be billed; a health
	// check proves the API instead), and no overdrive guard (the API's
	// latency is the system under test, not a generator's saturation).
	open, guardLimits, smoke := openNodes, runner.DefaultGuard, !*noSmoke
	if p.HasCloudNode() {
		open = func(ctx context.Context, env Env, p *plan.Plan) ([]openNode, func(), error) {
			return openCloudNodes(ctx, env, p, dir)
		}
		guardLimits, smoke = runner.Guard{}, false
	}
	nodes, cleanup, err := open(ctx, env, p)
	defer cleanup()
	if err != nil {
		return failRun(p, dir, emptySummary(runID, p, started), err, nodes)
	}
	specs := make([]runner.NodeSpec, len(nodes))
	for i, n := range nodes {
		specs[i] = n.spec
	}

	cdr, err := metrics.CreateCDR(dir)
	if err != nil {
		return failRun(p, dir, emptySummary(runID, p, started), err, nodes)
	}
	defer cdr.Close()
	tsFile, err := os.Create(filepath.Join(dir, metrics.TimeSeriesCSVFile))
	if err != nil {
		return failRun(p, dir, emptySummary(runID, p, started), fmt.Errorf("creating time series: %w", err), nodes)
	}
	defer tsFile.Close()
	nodeTS, err := os.Create(filepath.Join(dir, metrics.NodeSeriesCSVFile))
	if err != nil {
		return fmt.Errorf("creating node time series: %w", err)
	}
	defer nodeTS.Close()
	col := metrics.NewCollector(runID, p.Name, metrics.WithCDR(cdr), metrics.WithTimeSeries(tsFile),
		metrics.WithNodeSeries(nodeTS), metrics.WithCalleeNodes(calleeNames(p)...),
		metrics.WithFullResolution(fullResolution(p)))

	prog := newProgressPrinter(env.Stderr, *quiet, *every).withSummary(col.Summary)
	fmt.Fprintf(env.Stderr, "callplan: run %s of %s on %s, results in %s\n", runID, p.Name, nodeNames(nodes), dir)
	// Assertions were checked when the plan loaded; abort: true ones are
	// judged each second and stop the run through runCtx.
	set, err := assert.CompileWith(p, known(p))
	if err != nil {
		printPlanError(env.Stderr, "run", err)
		return withCode(ExitInvalid, errReported)
	}
	runCtx, abort := context.WithCancel(ctx)
	defer abort()
	guard := newAbortGuard(set, col, abort, newClockWarner(env.Stderr, col, prog.update).progress)
	faults := startFaults(runCtx, faultSchedule(p.Faults), agentsOf(nodes), col, prog)
	prog.suffix = faults.status
	res, runErr := runner.Run(runCtx, runner.Config{
		RunID:            runID,
		Stages:           stages(p),
		Flows:            mixes,
		Nodes:            specs,
		Policy:           string(p.NodePolicy),
		Seed:             uint64(p.Seed),
		RandomFlows:      p.FlowChoice == plan.ChoiceRandom,
		MaxCalls:         p.MaxCalls,
		Dial:             dialer(p, nodes),
		OriginateTimeout: p.Originate.Timeout.D(),
		Collector:        col,
		Guard:            guardLimits,
		SmokeCall:        smoke,
		Progress:         guard.progress,
	})
	faults.wait()
	prog.done()
	if runErr != nil {
		sum, _ := col.Close() // the run's error is the one to report
		return failRun(p, dir, sum, runErr, nodes)
	}
	// summary.json and report.json are written from this one summary, so
	// they agree (an assertion's abort is not a user interrupt).
	s := res.Summary
	if guard.aborted() != nil {
		s.Interrupted = false
	}
	if err := writeSummary(filepath.Join(dir, SummaryFile), &s); err != nil {
		return err
	}
	return finishRun(env, p, dir, set, col, s, guard.aborted(), guard.watch)
}

// reorderFlags moves the positional arguments (a plan, a results
// directory) after the flags, so `run plan.yaml --out x` works as well as
// `run --out x plan.yaml`. A flag of fs that is not boolean takes the next
// argument as its value; run, hangup and report share it.
func reorderFlags(fs *flag.FlagSet, args []string) []string {
	var flagsPart, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			pos = append(pos, args[i+1:]...)
			i = len(args)
		case strings.HasPrefix(a, "-") && a != "-":
			flagsPart = append(flagsPart, a)
			name := strings.TrimLeft(a, "-")
			if strings.Contains(name, "=") {
				continue
			}
			f := fs.Lookup(name)
			if f == nil {
				continue // parse reports it
			}
			if b, ok := f.Value.(interface{ IsBoolFlag() bool }); (!ok || !b.IsBoolFlag()) && i+1 < len(args) {
				flagsPart = append(flagsPart, args[i+1])
				i++
			}
		default:
			pos = append(pos, a)
		}
	}
	return append(flagsPart, pos...)
}

func flowMixes(p *plan.Plan) ([]runner.FlowMix, error) {
	out := make([]runner.FlowMix, 0, len(p.Flows))
	for _, f := range p.Flows {
		with := make(map[string]string, len(f.With))
		for k, v := range f.With {
			with[k] = v.Value
		}
		fl, err := flows.New(f.Use, with)
		if err != nil {
			return nil, fmt.Errorf("flow %s: %w", f.Name, err)
		}
		out = append(out, runner.FlowMix{Name: f.Name, Flow: fl, Weight: f.Weight})
	}
	return out, nil
}

func stages(p *plan.Plan) []runner.Stage {
	out := make([]runner.Stage, len(p.Stages))
	for i, s := range p.Stages {
		out[i] = runner.Stage{
			Name: s.Name, Duration: s.Duration.D(), From: s.Rate.From, To: s.Rate.To,
			Limit: s.Limit, Hold: s.Hold.Value.D(), HoldExponential: s.HoldDist == plan.HoldExponential,
			MaxCalls: s.MaxCalls, Poisson: s.Arrivals == plan.ArrivalsPoisson,
		}
	}
	return out
}

// openNode is a connected generator node.
type openNode struct {
	plan plan.Node
	spec runner.NodeSpec
	// agent is the embedded agent behind the node, nil for others.
	agent *agent.Agent
}

func nodeNames(ns []openNode) string {
	names := make([]string, len(ns))
	for i, n := range ns {
		names[i] = n.plan.Name
	}
	return strings.Join(names, ", ")
}

// openNodes starts embedded agents and connects to every node, then runs
// preflight on each. It tries every node, so the error (nodeFailures)
// names each one that failed, not only the first.
func openNodes(ctx context.Context, env Env, p *plan.Plan) ([]openNode, func(), error) {
	var closers []func()
	cleanup := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	var out []openNode
	var failed nodeFailures
	fail := func(name string, err error) {
		msg := err.Error()
		var pe *runner.PreflightError
		if errors.As(err, &pe) {
			msg = pe.Err.Error() // its text names the node already
		}
		failed = append(failed, report.NodeFailure{Node: name, Error: msg})
	}
	for _, pn := range p.Nodes {
		addr := net.JoinHostPort(pn.Host, strconv.Itoa(pn.Port))
		password := pn.Password
		var embedded *agent.Agent
		dialOpts := []runner.ESLOption{runner.WithOriginate(eslOriginate(p))}
		if pn.Embedded {
			maxSessions, rtpMin, rtpMax := embeddedCaps(p, pn)
			// The runner reaches its in-process agent over an in-memory
			// connection: the same ESL bytes as over TCP, without a socket
			// (internal/memconn). Its quicker replies once hung every call
			// of scenarios/media.yaml (taken out in 31f257b): two commands
			// for one leg landed in one batch of the leg's mailbox, and the
			// second waited for the first's endless playback; the agent now
			// takes its operations one at a time (agent/channel.go, runOps).
			ln := memconn.Listen("in-process:" + pn.Name)
			a, err := agent.New(agent.Config{
				ESLAddr: "127.0.0.1:0", ESLListener: ln, SIPAddr: "127.0.0.1:" + strconv.Itoa(pn.SIPPort),
				MaxSessions: maxSessions, SPS: 100000, RTPPortMin: rtpMin, RTPPortMax: rtpMax,
				Heartbeat: 2 * time.Second, Impair: media.Impairment{Loss: pn.Impair.Loss / 100, Burst: pn.Impair.Burst,
					Delay: pn.Impair.Delay.D(), Jitter: pn.Impair.Jitter.D()},
			})
			if err != nil {
				fail(pn.Name, fmt.Errorf("creating embedded agent: %w", err))
				continue
			}
			actx, cancel := context.WithCancel(context.WithoutCancel(ctx))
			if err := a.Start(actx); err != nil {
				cancel()
				_ = ln.Close()
				fail(pn.Name, fmt.Errorf("starting embedded agent: %w", err))
				continue
			}
			closers = append(closers, func() { cancel(); _ = a.Close() })
			embedded = a
			addr, password = a.Addr(), agent.DefaultPassword
			dialOpts = append(dialOpts, runner.WithDialer(ln.Dial))
			host, port, err := net.SplitHostPort(a.SIPAddr())
			if err == nil {
				pn.SIPHost = host
				pn.SIPPort, _ = strconv.Atoi(port)
			}
		}
		conn, err := runner.DialESL(ctx, addr, password, dialOpts...)
		if err != nil {
			fail(pn.Name, err)
			continue
		}
		closers = append(closers, func() { _ = conn.Close() })
		profile := p.Originate.Profile
		if p.Originate.Gateway != "" {
			profile = ""
		}
		facts, err := runner.Preflight(ctx, pn.Name, conn, runner.Check{Profile: profile})
		if err != nil {
			fail(pn.Name, err)
			continue
		}
		maxSessions := pn.MaxSessions
		if maxSessions == 0 {
			maxSessions = facts.MaxSessions
		}
		fmt.Fprintf(env.Stderr, "callplan: node %s ok (%s, max sessions %d)\n", pn.Name, firstLineOf(facts.Version), maxSessions)
		if !pn.Embedded {
			warnNodeLimits(ctx, env, p, pn, conn)
		}
		out = append(out, openNode{plan: pn, spec: runner.NodeSpec{
			Name: pn.Name, Driver: conn, MaxSessions: maxSessions, Weight: pn.Weight,
			Caller: pn.Role != plan.RoleCallee, Callee: pn.Role != plan.RoleCaller,
			SIPHost: pn.SIPHost, SIPPort: pn.SIPPort, SUT: pn.SUT, InProcess: pn.Embedded,
		}, agent: embedded})
	}
	if len(failed) > 0 {
		return out, cleanup, failed
	}
	return out, cleanup, nil
}

func firstLineOf(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}

// dialer completes each call's origination from the plan: the
// destination template expanded for the call and its node, caller id,
// timeout, the plan's headers and variables.
func dialer(p *plan.Plan, nodes []openNode) func(runner.Origination) (runner.Origination, error) {
	byName := map[string]plan.Node{}
	for _, n := range nodes {
		byName[n.plan.Name] = n.plan
	}
	o := p.Originate
	return func(c runner.Origination) (runner.Origination, error) {
		node := byName[c.Node.Name]
		c.Destination = o.Destination.ExpandFor(node, plan.Call{ID: c.CallID, RunID: c.RunID, Flow: c.Flow, Stage: c.Stage})
		c.CallerIDName, c.CallerIDNumber = o.CallerIDName, o.CallerIDNumber
		c.Timeout = o.Timeout.D()
		c.Headers, c.Variables = o.Headers, o.Vars
		return c, nil
	}
}

// eslOriginate is how the plan's ESL nodes place calls.
func eslOriginate(p *plan.Plan) runner.ESLOriginate {
	o := p.Originate
	app, appArgs, _ := strings.Cut(o.App, "(")
	return runner.ESLOriginate{
		Profile: o.Profile, Gateway: o.Gateway, Proxy: o.Proxy,
		App: app, AppArgs: strings.TrimSuffix(appArgs, ")"),
		Codecs: o.Codecs, IgnoreEarlyMedia: o.IgnoreEarlyMedia,
	}
}

func writeSummary(path string, s *metrics.Summary) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding summary: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing summary: %w", err)
	}
	return nil
}
