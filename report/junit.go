package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/callplan/callplan/assert"
	"github.com/callplan/callplan/metrics"
)

// The JUnit XML shape Jenkins (junit plugin) and GitLab read: a
// <testsuites> root, <testsuite> with name/tests/failures/errors/skipped/
// time/timestamp, <testcase> with name/classname/time, and a <failure>
// with message and type attributes and the details as text.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Error     *junitFailure `xml:"error,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// JUnit writes the verdicts as JUnit XML: one test suite for the plan with
// one test case per assertion, failures carrying the observed values; and
// a second suite with one case per flow, failing when the flow judged any
// call failed (its own checks: the reasons are in the failure). A run
// whose generators were unhealthy or that was interrupted adds an errored
// case saying so, because its figures cannot be trusted.
func JUnit(r *Results) Reporter {
	return func(w io.Writer) error {
		secs := fmt.Sprintf("%.3f", r.Summary.Elapsed.Seconds())
		classname := "callplan." + r.Plan.Name
		plan := junitSuite{Name: r.Plan.Name, Time: secs, Cases: []junitCase{}}
		if !r.Summary.Started.IsZero() {
			plan.Timestamp = r.Summary.Started.UTC().Format("2006-01-02T15:04:05")
		}
		plan.Properties = []junitProperty{
			{"run", r.Summary.Run}, {"status", string(r.Status)}, {"plan_file", r.Plan.File},
		}
		for _, v := range r.Verdicts {
			c := junitCase{Name: v.Name, Classname: classname, File: v.Source.File, Line: v.Source.Line, Time: secs}
			c.SystemOut = fmt.Sprintf("%s\nscope: %s\nobserved: %s\n", v.Expr, v.Scope(), v.ObservedText())
			if !v.Pass {
				kind := "AssertionFailed"
				if v.Aborted {
					kind = "AssertionAborted"
				}
				msg := fmt.Sprintf("%s failed: %s", v.Expr, v.ObservedText())
				if v.Aborted {
					msg = fmt.Sprintf("aborted the run at %s: %s", v.At, msg)
				}
				c.Failure = &junitFailure{Message: msg, Type: kind,
					Text: fmt.Sprintf("%s\n%s (%s)\nplan: %s %s\n", msg, v.Name, v.Scope(), v.Source, v.Path)}
				plan.Failures++
			}
			plan.Cases = append(plan.Cases, c)
		}
		if r.Failure != nil {
			cases := failureCases(r.Failure, classname, secs)
			plan.Cases = append(plan.Cases, cases...)
			plan.Errors += len(cases)
		} else if msg := untrusted(r); msg != "" {
			plan.Cases = append(plan.Cases, junitCase{Name: "run is trustworthy", Classname: classname, Time: secs,
				Error: &junitFailure{Message: msg, Type: string(r.Status), Text: msg + "\n"}})
			plan.Errors++
		}
		plan.Tests = len(plan.Cases)

		flows := junitSuite{Name: r.Plan.Name + " flows", Time: secs, Timestamp: plan.Timestamp, Cases: []junitCase{}}
		for _, name := range slices.Sorted(maps.Keys(r.Summary.Flows)) {
			c := flowCase(r, name, classname+".flows", secs)
			if c.Failure != nil {
				flows.Failures++
			}
			flows.Cases = append(flows.Cases, c)
		}
		flows.Tests = len(flows.Cases)

		root := junitSuites{Name: r.Plan.Name, Time: secs, Suites: []junitSuite{plan, flows}}
		for _, s := range root.Suites {
			root.Tests += s.Tests
			root.Failures += s.Failures
			root.Errors += s.Errors
		}
		if _, err := io.WriteString(w, xml.Header); err != nil {
			return err
		}
		enc := xml.NewEncoder(w)
		enc.Indent("", "  ")
		if err := enc.Encode(root); err != nil {
			return fmt.Errorf("encoding junit: %w", err)
		}
		_, err := io.WriteString(w, "\n")
		return err
	}
}

// untrusted says why a run's figures cannot be trusted, or "".
func untrusted(r *Results) string {
	switch r.Status {
	case StatusInterrupted:
		return "the run was interrupted by the user; figures cover only part of the plan"
	case StatusInfrastructure:
		var bad []string
		for _, n := range slices.Sorted(maps.Keys(r.Summary.Generators)) {
			if !r.Summary.Generators[n].Healthy() {
				bad = append(bad, n)
			}
		}
		return "generator node(s) unhealthy, the measurement cannot be trusted: " + strings.Join(bad, ", ")
	}
	return ""
}

// flowCase is one flow's test case: its calls, its quality and figures,
// and the verdicts of the assertions about it (scoped to it, or reading
// flows.NAME). It fails when the flow judged a call failed (its own
// checks: the reasons are in the failure) or one of those verdicts failed.
func flowCase(r *Results, name, classname, secs string) junitCase {
	g := r.Summary.Flows[name]
	var out strings.Builder
	fmt.Fprintf(&out, "calls %d, ok %d, failed %d, unknown %d\n", g.Calls, g.OK, g.Failed, g.Unknown)
	for _, line := range flowFigureLines(g) {
		out.WriteString(line + "\n")
	}
	var problems, failedVerdicts []string
	if g.Failed > 0 {
		problems = append(problems, fmt.Sprintf("%d of %d calls did not end as flow %s expects", g.Failed, g.Calls, name))
	}
	for _, v := range r.Verdicts {
		if !aboutFlow(v, name) {
			continue
		}
		status := "PASS"
		if !v.Pass {
			status = "FAIL"
			failedVerdicts = append(failedVerdicts, v.Name)
		}
		fmt.Fprintf(&out, "%s %s: %s\n", status, v.Name, v.ObservedText())
	}
	if len(failedVerdicts) > 0 {
		problems = append(problems, "assertion(s) failed: "+strings.Join(failedVerdicts, ", "))
	}
	c := junitCase{Name: "flow " + name, Classname: classname, Time: secs, SystemOut: out.String()}
	if len(problems) == 0 {
		return c
	}
	msg := strings.Join(problems, "; ")
	kind := "FlowCheckFailed"
	if g.Failed == 0 {
		kind = "AssertionFailed"
	}
	text := msg + "\n"
	for _, k := range byCount(g.Reasons) {
		text += fmt.Sprintf("%s: %d\n", k, g.Reasons[k])
	}
	c.Failure = &junitFailure{Message: msg, Type: kind, Text: text}
	return c
}

// aboutFlow reports whether a verdict judges flow name: it is scoped to
// the flow, or reads one of its variables (flows.NAME.…).
func aboutFlow(v assert.Verdict, name string) bool {
	if v.Flow == name {
		return true
	}
	for _, o := range v.Observed {
		if strings.HasPrefix(o.Name, "flows."+name+".") || strings.HasPrefix(o.Name, `flows["`+name+`"]`) {
			return true
		}
	}
	return false
}

// flowFigureLines are a flow's quality and figures in words, for its
// JUnit case: "mos p50 4.41, p5 4.39, min 4.38 over 12 calls".
func flowFigureLines(g metrics.Group) []string {
	var out []string
	if g.MOS.Count > 0 {
		out = append(out, fmt.Sprintf("mos p50 %s, p5 %s, min %s over %d calls", f2(g.MOS.P50), f2(g.MOS.P5), f2(g.MOS.Min), g.MOS.Count),
			fmt.Sprintf("loss %% p50 %s, p95 %s, max %s", pct2(g.Loss.P50), pct2(g.Loss.P95), pct2(g.Loss.Max)))
	}
	for _, f := range slices.Sorted(maps.Keys(g.Timings)) {
		s := g.Timings[f]
		out = append(out, fmt.Sprintf("%s p50 %s, p95 %s, max %s over %d calls", f, s.P50, s.P95, s.Max, s.Count))
	}
	for _, f := range slices.Sorted(maps.Keys(g.Values)) {
		s := g.Values[f]
		out = append(out, fmt.Sprintf("%s p50 %s, p95 %s, max %s over %d calls", f, f2(s.P50), f2(s.P95), f2(s.Max), s.Count))
	}
	return out
}
