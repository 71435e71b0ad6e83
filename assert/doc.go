// Package assert compiles plan assertions (expr-lang expressions) against a
// typed environment built from the metrics summary, so mistakes surface at
// validate time, and evaluates them into verdicts: over the whole run, in
// sliding windows, and live for abort-on-fail.
package assert
