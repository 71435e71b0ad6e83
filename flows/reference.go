package flows

import (
	"fmt"
	"strings"
)

// Reference is docs/flows.md: the hand-written guide below, then one
// section per registered flow generated from its Spec (parameters and
// defaults, how it judges a call, its counters and CDR fields). A test
// keeps the file equal to it (go test ./flows -run TestReferenceInSync
// -update rewrites it).
func Reference() string {
	var b strings.Builder
	b.WriteString(refIntro)
	for _, s := range Specs() {
		fmt.Fprintf(&b, "\n## %s\n\n%s\n", s.Name, s.Doc)
		if len(s.Params) > 0 {
			b.WriteString("\n| parameter | type | default | meaning |\n|---|---|---|---|\n")
			for _, p := range s.Params {
				def := "—"
				if p.Default != "" {
					def = "`" + p.Default + "`"
				}
				typ := string(p.Type)
				if p.Type == TypeEnum && len(p.Enum) <= 8 {
					typ = "one of " + strings.Join(quoteAll(p.Enum), ", ")
				}
				fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", p.Name, typ, def, cell(p.Doc))
			}
		}
		fmt.Fprintf(&b, "\n%s\n", s.Judges)
		measures(&b, "counter", "Counters (assertions read `flows."+s.Name+".NAME`)", s.Counters)
		measures(&b, "field", "CDR fields", s.Fields)
		if len(s.Figures) > 0 {
			fmt.Fprintf(&b, "\nFigures (distributions over the flow's calls; assertions read `flows.%s.NAME.p95`, with count, min, p1, p5, p50, mean, p95, p99, max):\n\n| figure | type | meaning |\n|---|---|---|\n", s.Name)
			for _, f := range s.Figures {
				typ := "number"
				if f.Duration {
					typ = "duration"
				}
				fmt.Fprintf(&b, "| `%s` | %s | %s |\n", f.Name, typ, cell(f.Doc))
			}
		}
	}
	return b.String()
}

func measures(b *strings.Builder, what, title string, ms []Measure) {
	if len(ms) == 0 {
		return
	}
	fmt.Fprintf(b, "\n%s:\n\n| %s | meaning |\n|---|---|\n", title, what)
	for _, m := range ms {
		fmt.Fprintf(b, "| `%s` | %s |\n", m.Name, cell(m.Doc))
	}
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = "`" + s + "`"
	}
	return out
}

// cell keeps a table cell on one line and its pipes literal.
func cell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\n", " "), "|", `\|`)
}

const refIntro = `# Flows

<!-- Generated from the flows' Specs by flows.Reference; edit flows/*.go and
run: go test ./flows -run TestReferenceInSync -update -->

A flow is what happens to a call once it reaches the other side: a plan
mixes flows by weight (` + "`flows:`" + `), and each call runs exactly one. Flows
live in package ` + "`flows`" + `; they act through a narrow call-control interface
(answer, pre_answer, ring_ready, respond, hangup with a cause, play and
stop playing, record and stop recording, send DTMF, set a variable, mute
or unmute one direction, run an application such as ` + "`bert_test`" + `, schedule)
that the runner implements on the node's driver (on FreeSWITCH and the
agent: ` + "`uuid_answer`, `uuid_pre_answer`, `uuid_ring_ready`,\n`uuid_kill`, `uuid_broadcast`, `uuid_break`, `uuid_record`, `uuid_send_dtmf`,\n`uuid_setvar`, `uuid_audio`, `sendmsg` execute" + `), so a flow never sees a socket.

Parameters go under ` + "`with:`" + `; every one is optional and its default is shown.
` + "`callplan validate`" + ` checks names, types and ranges.

` + "```yaml" + `
flows:
  - use: park
    weight: 8
  - use: ringback
    weight: 1
    with: {mode: pre_answer, ring_for: 3s}
  - use: reject
    weight: 1
    with: {code: 486}
` + "```" + `

## How a call runs

1. The runner originates the caller leg with the call id and run id as SIP
   X-headers and the flow name as a channel variable.
2. The SUT routes the INVITE back to a node, where the inbound (callee) leg
   is parked. The runner matches it to the call by ` + "`X-callplan-call`" + ` on
   any node and tells the flow **callee arrived**.
3. The flow acts; the runner tells it **callee answered**, **caller
   progress** and **caller answered** as they happen, and media events
   (DTMF received, playback and record start/stop, BERT sync, tone
   detected) with their results.
4. When both legs have ended (and the originate job has answered), the flow
   **judges** the call: ` + "`ok` or `failed`" + ` with a reason (docs/metrics.md).

Judged by the runner before any flow, the same for all flows: a call whose
callee leg never arrived fails ` + "`no_callee_leg` (or `originate_<CAUSE>`" + ` when
the originate itself failed with a cause other than a timeout); a call
whose node's connection dropped is ` + "`unknown`" + `; a flow whose command
failed (e.g. ` + "`uuid_answer` said `-ERR`) fails `flow_error`" + `.

**Hold** is measured from the callee's answer: the flow schedules the
caller's hangup (` + "`NORMAL_CLEARING`" + `) hold after the callee leg's
answer. The hold time is drawn per call from the stage's
` + "`hold` / `hold_dist`" + ` (docs/load-model.md).

A new flow is one file in package ` + "`flows`" + ` plus its test: a function
returning its Spec (name, doc, parameters, constructor, how it judges, its
counters, CDR fields and figures), listed in ` + "`registered()`" + `, and the type that
implements ` + "`Flow`" + ` (` + "`On`" + ` for events, ` + "`Judge`" + ` for the finished call).
This page, the plan's JSON Schema, docs/assertions.md (` + "`go test ./assert -run TestReferenceInSync -update`" + `)
and ` + "`callplan validate`" + ` follow from the Spec.

A flow's counters are summed per flow; assertions read them as
` + "`flows.NAME.COUNTER` (0 when never counted) or `flows.NAME.counters[\"COUNTER\"]`" + `.
Its figures (per-call measurements its Judge records with ` + "`Record.SetTiming`" + ` or
` + "`SetValue`" + `) are kept per flow as distributions; assertions read them as
` + "`flows.NAME.FIGURE.p95`" + ` (docs/metrics.md, "A flow's own figures").
`
