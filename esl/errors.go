package esl

import (
	"errors"
	"fmt"
	"strings"
)

// Client errors; test with errors.Is. Dial's errors say why a node could
// not be used: nothing listening, a wrong password, an ACL refusal, or a
// peer that does not speak ESL.
var (
	ErrRefused  = errors.New("esl connection refused")
	ErrAuth     = errors.New("esl authentication failed")
	ErrRejected = errors.New("esl connection rejected by acl")
	ErrNotESL   = errors.New("peer does not speak esl")
	// ErrClosed is returned after Close, and by a closed Subscription.
	ErrClosed = errors.New("esl connection closed")
	// ErrDisconnected means the connection was lost: the command may or
	// may not have run, a job's result will not come.
	ErrDisconnected = errors.New("esl connection lost")
	// ErrProtocol means FreeSWITCH sent a reply nobody asked for; the
	// connection is dropped because replies can no longer be matched.
	ErrProtocol = errors.New("esl protocol error")
)

// CommandError is a command FreeSWITCH refused: a command/reply whose
// Reply-Text is not +OK, or an api/bgapi result starting with -ERR or
// -USAGE (texts differ by command: "-ERR No such channel!", "-ERROR",
// "-USAGE: ...").
type CommandError struct {
	Command string // the command line, e.g. "api uuid_kill <uuid>"
	Reply   string // FreeSWITCH's text, trailing newline removed
}

func (e *CommandError) Error() string {
	return fmt.Sprintf("%s: %s", e.Command, e.Reply)
}

// Cause is the reply without its "-ERR " prefix: the hangup cause for a
// failed originate (NO_ANSWER, USER_BUSY, ...).
func (e *CommandError) Cause() string {
	r := e.Reply
	for _, p := range []string{"-ERR ", "-USAGE: ", "-ERR", "-USAGE"} {
		if strings.HasPrefix(r, p) {
			return strings.TrimSpace(r[len(p):])
		}
	}
	return r
}

// isErrorReply reports whether an api/bgapi body or Reply-Text is a
// failure.
func isErrorReply(s string) bool {
	return strings.HasPrefix(s, "-ERR") || strings.HasPrefix(s, "-USAGE")
}
