// Package assert compiles plan assertions (expr-lang expressions) against a
// typed environment built from the metrics summary, so mistakes surface at
// validate time, and evaluates them into verdicts: over the whole run, in
// sliding windows, and live for abort-on-fail. docs/assertions.md (generated
// by Reference) is the user's guide to the environment.
//
// It owns the assertion language's environment (which names exist, their
// types, what scope and window do to them) and the Verdict. It reads
// metrics and plan; it never reaches into the runner.
//
// How the runner uses it:
//
//	set, err := assert.Compile(p) // at start; err is plan.Errors (exit 2)
//	live := set.Live()            // the abort: true assertions
//	// about once a second, after collector.Tick():
//	if v := live.Check(elapsed, &liveSummary, collector.Seconds()); v != nil {
//		// stop originating, hang up; v.Name is the assertion, v.String()
//		// says "ABORT <name> (...): <observed>"
//	}
//	failing := set.Failing(elapsed, &liveSummary, collector.Seconds()) // progress line
//	sum, _ := collector.Close()
//	verdicts := set.Evaluate(&sum, collector.Seconds(), abortVerdict) // plan order
//	assert.Passed(verdicts) // false: exit 1
//
// `callplan validate` calls Check(plan, errs) from the plan loader's Check
// hook so assertion problems are listed with every other plan problem.
package assert
