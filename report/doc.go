// Package report renders a run's results: the metrics summary, the
// per-second series and the assertion verdicts. Each format (table, JSON,
// JUnit XML, CSV, HTML) is a Reporter, a func(io.Writer) error whose output
// is sorted and stable, so golden files do not flap. docs/reports.md
// describes every format and the JSON schema (callplan.report/v1).
//
// It owns the Results type (what a finished run saved: report.json), the
// run status and its exit code, the formats, and comparing a run with a
// baseline. It reads metrics and assert and nothing above them.
//
// How the runner uses it, after assert's final evaluation:
//
//	res := report.New(p, sum, collector.Seconds(), verdicts, abortVerdict)
//	err := report.WriteDir(dir, res, formats) // report.json always, plus formats
//	report.Table(res)(stdout)                 // the human summary
//	exit := res.Status.ExitCode()             // 0 pass, 1 failed/aborted, 3 infra, 4 interrupted
//
// `callplan report DIR` reads report.json back (Read) and renders any
// format again; with --baseline it adds a Compare against another run.
package report
