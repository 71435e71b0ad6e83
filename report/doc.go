// Package report renders a run's summary and verdicts. Each format (table,
// JSON, JUnit XML, CSV, HTML) is a Reporter: a func(io.Writer) error whose
// output is sorted and stable.
package report
