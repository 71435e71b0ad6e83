package main

import (
	"errors"
	"fmt"
)

// ExitCode is the process status callplan ends with. The set is documented in
// docs/exit-codes.md; CI gates on it, so values never change meaning.
type ExitCode int

const (
	// ExitPassed: the command did what was asked and every assertion held.
	ExitPassed ExitCode = 0
	// ExitAssertionsFailed: the run completed (or was aborted by an
	// assertion) and at least one assertion failed.
	ExitAssertionsFailed ExitCode = 1
	// ExitInvalid: the plan or the command line is invalid; nothing ran.
	ExitInvalid ExitCode = 2
	// ExitInfrastructure: a generator node or the environment failed, so
	// the measurement cannot be trusted (unreachable node, saturated
	// generator, lost ESL connection).
	ExitInfrastructure ExitCode = 3
	// ExitInterrupted: the user stopped the run (Ctrl-C, SIGTERM).
	ExitInterrupted ExitCode = 4
)

// exitError carries the exit code a failure should end the process with
// (k6's errext idea): commands return errors, only main turns them into a
// status.
type exitError struct {
	code ExitCode
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// withCode wraps err so that Main exits with code. A nil err stays nil.
func withCode(code ExitCode, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// usageErrorf reports a command-line mistake (exit 2).
func usageErrorf(format string, args ...any) error {
	return withCode(ExitInvalid, fmt.Errorf(format, args...))
}

// codeOf maps an error returned by a command to its exit code. Errors that
// carry no code are infrastructure problems: something outside the plan
// went wrong.
func codeOf(err error) ExitCode {
	if err == nil {
		return ExitPassed
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return ExitInfrastructure
}
