package assert

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/callplan/callplan/metrics"
)

// fieldDocs says what each variable of a group means. Every expr field of
// metrics.Group, Latency, Gauge, Score, Jitter and Generator needs an entry (a test
// checks), and docs/assertions.md's tables are generated from them.
var fieldDocs = map[string]string{
	// metrics.Group
	"offered":        "arrivals the pacer produced (originated or not)",
	"calls":          "originates sent",
	"answered":       "calls whose caller leg was answered",
	"ok":             "calls that ended as their flow expects",
	"failed":         "calls that did not end as their flow expects",
	"unknown":        "calls whose end was not seen (their node's ESL connection dropped)",
	"dropped":        "arrivals not originated: the stage's concurrency limit was reached",
	"throttled":      "arrivals not originated: every eligible node was saturated or full",
	"missed":         "arrivals the runner could not send within 1 s of their due time, or before their stage ended (a stage is never stretched): `missed == 0` says the plan's load was delivered on time",
	"pacing_lag":     "how late arrivals were sent after their due time (the runner's clock), e.g. `pacing_lag.p99 < duration(\"50ms\")`",
	"active":         "calls in progress when the figures were taken",
	"asr":            "answer-seizure ratio, answered / calls, 0..1 (0 with no calls)",
	"success":        "ok / calls, 0..1 (0 with no calls)",
	"pdd":            "post-dial delay: caller create to first progress or answer",
	"setup_latency":  "caller create to callee create (the INVITE's trip through the SUT)",
	"answer_latency": "caller create to caller answer",
	"call_duration":  "answered time, caller answer to caller hangup (metrics' `duration`; renamed so `duration()` stays the builtin)",
	"erlangs":        "calls in progress: `max` the most at one instant, `mean` call-seconds per second",
	"cps":            "originates per second: `max` the busiest second, `mean` over the span of originates",
	"causes":         "calls by hangup cause (or originate -ERR cause), e.g. `causes[\"USER_BUSY\"]`",
	"sip":            "calls by final SIP status of the caller leg, keyed by the code as text, e.g. `sip[\"503\"]`",
	"reasons":        "failed calls by reason, e.g. `reasons[\"no_callee_leg\"]`",
	"counters":       "the flows' own counters summed, e.g. `counters[\"unexpected\"]`",
	"callee_nodes":   "calls by the node their inbound leg arrived on, e.g. `callee_nodes[\"b\"].share` (below)",
	"imbalance":      "how unevenly calls landed on the callee nodes: max share ÷ mean share − 1, 0 = even (below)",
	"mos":            "MOS of the calls that had media, each by its worse direction (`rtp_audio_in_mos`, 1.0-4.5), e.g. `mos.p5 >= 4.0`",
	"loss":           "packet loss ratio of the calls that had media, lost ÷ expected, 0..1, worse direction, e.g. `loss.max < 0.01`",
	"jitter":         "interarrival jitter of the calls that had media, worse direction, e.g. `jitter.p95 < duration(\"30ms\")`",
	// metrics.Latency
	"count": "calls that had the interval",
	"min":   "smallest value",
	"mean":  "arithmetic mean",
	"p1":    "1st percentile (the worst 1 % of MOS lie below it)",
	"p5":    "5th percentile",
	"p50":   "median (nearest rank)",
	"p90":   "90th percentile",
	"p95":   "95th percentile",
	"p99":   "99th percentile",
	"max":   "largest value",
	// metrics.Generator
	"saturated":       "the node was saturated: the overdrive guard held calls back, or its idle CPU stayed under 10% for 2 s",
	"sut":             "the plan marks the node as also the system under test: its saturation is the result, not a generator failure",
	"at_max_sessions": "the node reported Session-Count at Max-Sessions",
	"min_idle_cpu":    "lowest Idle-CPU a heartbeat reported, percent; -1 without heartbeats",
	"disconnects":     "ESL connection losses during the run",
	"dropped_events":  "events the ESL client could not deliver",
	"notes":           "what happened, in words",
}

// gaugeDocs override fieldDocs for Gauge's fields, which share names with
// Latency's.
var gaugeDocs = map[string]string{
	"max":  "highest level",
	"mean": "mean level",
}

// Reference is docs/assertions.md: the hand-written guide around tables
// generated from the Go types the environment is built from. A test keeps
// the file equal to it (go test ./assert -update rewrites it).
//
// flows are the flows' own variables, from their Specs (the flows
// registry, which assert may not import: the reference test and the CLI
// pass them in).
func Reference(flows []FlowVars) string {
	var b strings.Builder
	b.WriteString(refIntro)
	b.WriteString("\n## Variables of a group\n\n")
	b.WriteString("Every scope has these, for the calls it covers. Types: `int64` counts, `float64` ratios (0..1) and levels, `duration` (Go's time.Duration, compare with `duration(\"300ms\")`), `map[string]int64` breakdowns (a missing key reads 0).\n\n")
	b.WriteString("| variable | type | meaning |\n|---|---|---|\n")
	group := reflect.TypeOf(metrics.Group{})
	var structs []reflect.Type
	for i := range group.NumField() {
		f := group.Field(i)
		name, ok := exprName(f)
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", name, describeType(f.Type), fieldDocs[name])
		if f.Type.Kind() == reflect.Struct && !contains(structs, f.Type) {
			structs = append(structs, f.Type)
		}
	}
	for _, st := range structs {
		docs := fieldDocs
		if st == reflect.TypeOf(metrics.Gauge{}) {
			docs = gaugeDocs
		}
		fmt.Fprintf(&b, "\n### %s fields\n\n", st.Name())
		var users []string
		for i := range group.NumField() {
			if name, ok := exprName(group.Field(i)); ok && group.Field(i).Type == st {
				users = append(users, "`"+name+"`")
			}
		}
		fmt.Fprintf(&b, "Of %s, e.g. `%s.%s`.\n\n", strings.Join(users, ", "), strings.Trim(users[0], "`"), firstField(st))
		b.WriteString("| field | type | meaning |\n|---|---|---|\n")
		for i := range st.NumField() {
			if name, ok := exprName(st.Field(i)); ok {
				fmt.Fprintf(&b, "| `%s` | %s | %s |\n", name, describeType(st.Field(i).Type), docs[name])
			}
		}
	}
	b.WriteString(refCallees())
	b.WriteString(refRunScope)
	gen := reflect.TypeOf(metrics.Generator{})
	b.WriteString("| field | type | meaning |\n|---|---|---|\n")
	for i := range gen.NumField() {
		if name, ok := exprName(gen.Field(i)); ok {
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", name, describeType(gen.Field(i).Type), fieldDocs[name])
		}
	}
	b.WriteString(refUnreached)
	b.WriteString(refFlows(flows))
	b.WriteString(refRest)
	return b.String()
}

// FlowVars are one flow's own variables, as its Spec declares them.
type FlowVars struct {
	Flow     string
	Counters []Var
	Figures  []Var
}

// refFlows lists each flow's counters and figures with their types.
func refFlows(flows []FlowVars) string {
	var b strings.Builder
	b.WriteString(refFlowsIntro)
	for _, f := range flows {
		if len(f.Counters)+len(f.Figures) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n### %s\n\n| variable | type | meaning |\n|---|---|---|\n", f.Flow)
		for _, c := range f.Counters {
			fmt.Fprintf(&b, "| `flows.%s.%s` | int64 | %s |\n", f.Flow, c.Name, cell(c.Doc))
		}
		for _, g := range f.Figures {
			fmt.Fprintf(&b, "| `flows.%s.%s` | %s | %s |\n", f.Flow, g.Name, describeType(reflect.TypeOf(figureZero(g))), cell(g.Doc))
		}
	}
	return b.String()
}

// figureZero is a figure's Go value type, for its name in the reference.
func figureZero(f Var) any {
	if f.Duration {
		return metrics.TimeScore{}
	}
	return metrics.Score{}
}

// cell keeps a table cell on one line and its pipes literal.
func cell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\n", " "), "|", `\|`)
}

func firstField(t reflect.Type) string {
	names := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		if n, ok := exprName(t.Field(i)); ok {
			names = append(names, n)
		}
	}
	for _, n := range names {
		if n == "p95" || n == "max" {
			return n
		}
	}
	return names[0]
}

func contains(ts []reflect.Type, t reflect.Type) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}

const refIntro = `# Assertions

<!-- Generated by assert.Reference() from the Go types; edit assert/reference.go
and run: go test ./assert -run TestReferenceInSync -update -->

An assertion says what "good" means for a run. ` + "`callplan run`" + ` evaluates every
assertion when the run ends and exits 1 when one fails (docs/exit-codes.md);
an ` + "`abort: true`" + ` assertion is also evaluated live and stops the run when it fails.

` + "```yaml" + `
assertions:
  - expr: asr >= 0.99
  - expr: pdd.p95 < duration("300ms")
  - name: few failures
    expr: failed / calls < 0.01
  - expr: causes["USER_BUSY"] == 0 && sip["503"] == 0
  - expr: flows.reject.unexpected == 0
  - {expr: asr >= 0.95, stage: peak}                  # scope: one stage
  - {expr: asr >= 0.98, window: 30s}                  # every 30 s window
  - {expr: asr >= 0.5, abort: true, abort_delay: 20s} # stop the run early
` + "```" + `

| field | meaning |
|---|---|
| ` + "`expr`" + ` | an [expr-lang](https://expr-lang.org/docs/language-definition) expression that must be true |
| ` + "`name`" + ` | the name in reports; defaults to the expression |
| ` + "`stage`" + `, ` + "`flow`" + `, ` + "`node`" + ` | scope: judge only the calls of that stage, flow (its name) or caller node; at most one |
| ` + "`window`" + ` | must hold in every sliding window of this length (whole seconds), not only over the whole run |
| ` + "`abort`" + ` | evaluate live, about once a second, and stop the run when it fails |
| ` + "`abort_delay`" + ` | with ` + "`abort`" + `: do not judge before this much of the run has passed |

## Checked before anything runs

Expressions are compiled against a typed environment when the plan is loaded
(` + "`callplan validate`" + `, and before ` + "`callplan run`" + ` starts), so a typo or a type
error is a plan error (exit 2), positioned inside the expression, with a
did-you-mean:

` + "```" + `
plan.yaml:12:11: assertions[2].expr: invalid expression: unknown name asrr (did you mean asr?)
plan.yaml:13:19: assertions[3].expr: invalid expression: invalid operation: < (mismatched types time.Duration and int); compare durations with duration("300ms")
plan.yaml:14:18: assertions[4].expr: invalid expression: unknown field rampp (did you mean ramp?)
` + "```" + `

Constant keys are checked too, because a key that never happens reads 0 and
would let a typo pass silently: the argument of ` + "`duration(\"3OOms\")`" + ` must parse,
` + "`causes[\"X\"]`" + ` must be one of FreeSWITCH's hangup causes (upper case, as
FreeSWITCH writes them), ` + "`sip[\"X\"]`" + ` a status from 100 to 699, and a flow counter
(` + "`flows.busy.unexpected`" + `, ` + "`counters[\"unexpected\"]`" + ` under ` + "`flow: busy`" + `) one that the
flow declares (docs/flows.md lists them):

` + "```" + `
plan.yaml:9:30: assertions[0].expr: invalid expression: duration("3OOms"): not a duration (a number and a unit: 300ms, 1.5s, 2m) (did you mean "300ms"?)
plan.yaml:10:18: assertions[1].expr: invalid expression: causes["USER_BUSSY"]: not a FreeSWITCH hangup cause (did you mean "USER_BUSY"?)
plan.yaml:11:22: assertions[2].expr: invalid expression: unknown counter unexpectd of flow busy (did you mean unexpected?); it counts expected, unexpected
` + "```" + `

The expression must yield a bool. Stage, flow and node names are the plan's
own (after defaults), so ` + "`stages.rampp.asr`" + ` is an error too.

## Conventions

- **Ratios** (` + "`asr`" + `, ` + "`success`" + `) are in 0..1, not percent: ` + "`asr >= 0.99`" + `.
- **Latencies** are objects with fields ` + "`count min mean p50 p90 p95 p99 max`" + `;
  write ` + "`pdd.p95`" + `, never ` + "`p95(pdd)`" + `.
- **Durations** are Go ` + "`time.Duration`" + ` values and compare only with durations:
  ` + "`pdd.p95 < duration(\"300ms\")`" + `. A bare number is a type error, so a
  milliseconds-or-seconds mix-up cannot pass silently. Arithmetic works:
  ` + "`answer_latency.p99 < pdd.p99 * 2`" + `.
- **Counts** are int64; dividing two counts gives a float: ` + "`failed / calls < 0.01`" + `.
  With no calls that is NaN and the comparison is false: a run that placed no
  calls does not pass.
- **Breakdowns** are maps keyed by text; a key that never happened reads 0:
  ` + "`causes[\"USER_BUSY\"] == 0`" + `, ` + "`sip[\"503\"] == 0`" + `.
- The call-duration histogram, ` + "`duration`" + ` in docs/metrics.md and the CDR, is
  ` + "`call_duration`" + ` here, because ` + "`duration`" + ` is the builtin that parses "300ms".
- ` + "`now()`" + ` and ` + "`date()`" + ` are disabled: a verdict must be the same when a finished
  run's results are evaluated again (` + "`callplan report`" + `).
`

const refRunScope = `
## Scope

What the top-level names mean depends on the assertion's scope:

| scope | the group fields read | also available |
|---|---|---|
| none (the run) | the whole run | ` + "`elapsed`" + `, ` + "`stages`" + `, ` + "`flows`" + `, ` + "`nodes`" + `, ` + "`generators`" + ` (below) |
| ` + "`stage: S`" + ` | the calls originated in stage S | — |
| ` + "`flow: F`" + ` | the calls of flow F | F's own counters and figures by name: ` + "`unexpected == 0`" + `, ` + "`sync_time.p95 < duration(\"2s\")`" + ` |
| ` + "`node: N`" + ` | the calls originated by node N | — |
| ` + "`window: W`" + ` | each window of W seconds (of the run, or of stage S, flow F or node N) | — |

Stage, flow and node scopes cannot be combined (the summary has no figures
per flow within a stage); a window can be combined with any one of them (the
per-second series is kept per run, and broken down per flow and per node;
a stage's seconds are those the stage ran in).

At run scope:

| variable | type | meaning |
|---|---|---|
| ` + "`elapsed`" + ` | duration | how long the run took |
| ` + "`stages.S`" + ` | group | stage S, e.g. ` + "`stages.ramp.pdd.p95`" + ` (` + "`stages[\"ramp-up\"]`" + ` for names that are not identifiers) |
| ` + "`flows.F`" + ` | group + counters + figures | flow F; a name that is not a group field is one of the flow's own counters or figures (below): ` + "`flows.reject.unexpected`" + ` (0 when never counted), ` + "`flows.bert.sync_time.p95`" + ` (zeros when no call recorded it). A counter name within two edits of a field name is reported as a typo; at validate, a counter or figure the flow does not declare is an error with a did-you-mean. |
| ` + "`nodes.N`" + ` | group | calls originated by node N (` + "`offered`" + `, ` + "`dropped`" + ` and ` + "`throttled`" + ` have no node) |
| ` + "`generators.N`" + ` | Generator | generator node N's health: |

`

const refFlowsIntro = `
## Each flow's own variables

A flow's own **counters** (int64, summed over its calls) and **figures**
(distributions over its calls of a per-call measurement, with the fields of
` + "`Score`" + ` or ` + "`TimeScore`" + ` above: ` + "`count min p1 p5 p50 mean p95 p99 max`" + `) are read
under ` + "`flows.F`" + ` at run scope, where F is the plan's name for the flow (its
` + "`use`" + ` unless it is named), or by bare name under ` + "`flow: F`" + `. A figure counts
only the calls that recorded it (` + "`sync_time`" + ` only calls that synced); with
none its fields read 0. docs/flows.md says how each flow measures them.

` + "```yaml" + `
assertions:
  - expr: flows.bert.lost_sync == 0 && flows.bert.sync_time.p95 < duration("2s")
  - expr: flows.dtmf.missing == 0
  - {expr: 'digit_latency.p99 < duration("300ms")', flow: dtmf}
` + "```" + `
`

const refUnreached = `
A stage, flow or node the plan declares but no call reached reads as zero
figures.
`

const refRest = `
## Windows

` + "`window: 30s`" + ` judges the expression over every sliding window of 30 one-second
buckets: [0 s, 30 s), [1 s, 31 s), ... of the run (or of the stage's seconds,
with ` + "`stage`" + `; or of the flow's or node's share of every second, with
` + "`flow`" + ` or ` + "`node`" + `: windows are wall-clock seconds, including those in which
the flow or node had nothing). Each window is judged on the calls that
**ended** in it: with holds longer than the window, the calls originated in
a window have not ended there, and counting them would read a healthy run
as failing. Its figures are merged from the per-second series
(` + "`metrics.FinishedWindow`" + `): ` + "`calls`" + ` is the calls that ended in the window,
` + "`answered`" + ` those of them that had been answered, ` + "`asr`" + ` and ` + "`success`" + ` are
over them; other counts and breakdowns are summed, percentiles come from the
merged histograms (within 0.8%) of the calls that ended in it,
` + "`erlangs.max`" + ` is the busiest instant and ` + "`cps.max`" + ` the busiest second. The
flows' counters and figures are not kept per second, so ` + "`counters`" + ` is empty in a
window and a figure cannot be read in one; ` + "`mos`" + `, ` + "`loss`" + ` and ` + "`jitter`" + ` are
kept per second (of the calls that ended in it) and can.

- A window in which no call ended is not judged (it says nothing about asr).
- A run (or stage) shorter than the window is judged as one window.
- In a run longer than about 5 minutes the seconds before the latest 60 (or
  the longest window, if longer) are kept as buckets of several seconds
  (docs/metrics.md, "Time series"); a window there is judged on the fewest
  buckets that cover it, so on up to one bucket's width more than W
  (16 s in an hour's run). The latest window, which live assertions judge,
  is always exact.
- When no window had a call, the whole series is judged once, so a run that
  placed no calls fails ` + "`asr >= 0.99`" + ` and passes ` + "`dropped == 0`" + `.

The verdict counts the windows judged and failed, and shows the figures of
the first failing window with its span (` + "`asr = 0.8, in [5s, 10s)`" + `); when all
pass, those of the last window.

## Abort

An ` + "`abort: true`" + ` assertion is judged about once a second while the run goes on,
on the calls that have **finished** so far: ` + "`calls`" + ` is the calls whose records
have ended, and ` + "`asr`" + `, ` + "`success`" + ` and any ratio you write (` + "`failed / calls`" + `)
are over them, because a call still ringing or held may yet end either way.
A run of nine answered calls held for a minute has nothing to judge until
the first of them ends; it does not read as success 0. With a window, the
latest window only is judged (the last W sealed seconds, fewer while the
run is younger than W), on the calls that ended in it. An assertion is not
judged before ` + "`abort_delay`" + ` has passed, nor while its scope has no finished
call yet. The first failure stops originating, hangs up the run's calls,
and the run ends with exit 1 and ` + "`aborted by <name>`" + `; that assertion's
verdict is the live one (marked aborted), whatever the final figures say.

While a run goes, its progress line names every assertion failing so far,
judged the same live way (abort or not, without the delay):
` + "`failing: answer-seizure ratio`" + `.

## Verdicts

Each assertion yields a verdict: its name, expression, scope and window,
where the plan wrote it (` + "`file:line:col`" + ` and ` + "`assertions[i]`" + `), pass or fail,
and the observed value of every variable the expression reads
(` + "`failed = 5, calls = 100`" + `). Observed values are written as Go durations
(` + "`312ms`" + `), numbers with four significant digits (` + "`0.9867`" + `), and maps sorted by
key. An expression that cannot be evaluated (an integer division by zero in
` + "`calls % answered`" + `) fails, with the error in the verdict. Reports show
verdicts in plan order (docs/reports.md).
`
