package esl

import "strings"

// This file and listener.go are the server side of the inbound Event
// Socket: the grammar of the commands and FreeSWITCH's replies to them
// (mod_event_socket.c; esl-reference 2.1-2.4). The agent's ESL server and
// esltest's fake both answer through them, so the client's tests run
// against the behaviour the agent's conformance tests pin to the captures.

// Reply-Text values FreeSWITCH sends (esl-reference 2.2; captured: 01, 04,
// 10a, 10b).
const (
	ReplyAccepted         = "+OK accepted"
	ReplyInvalidPassword  = "-ERR invalid"
	ReplyBye              = "+OK bye"
	ReplyCommandNotFound  = "-ERR command not found"
	ReplyNoKeywords       = "-ERR no keywords supplied"
	ReplyNixed            = "+OK events nixed"
	ReplyNoEvents         = "+OK no longer listening for events"
	ReplyNotListening     = "-ERR not listening for events"
	ReplyInvalidSyntax    = "-ERR invalid syntax"
	ReplyXMLNotSupported  = "-ERR xml format not supported"
	replyListenerEnabled  = "+OK event listener enabled "
	replyFilterAdded      = "+OK filter added. "
	replyFilterDeleted    = "+OK filter deleted. "
	replyFilterDeletedAll = "+OK filter deleted. [all][]"
)

// SplitCommand splits a command line as mod_event_socket reads it: the
// first word in lower case (commands are case-insensitive) and the rest,
// both without surrounding space.
func SplitCommand(line string) (word, rest string) {
	word, rest, _ = strings.Cut(strings.TrimSpace(line), " ")
	return strings.ToLower(word), strings.TrimSpace(rest)
}

// AuthStep is what a command does to a connection that has not
// authenticated yet.
type AuthStep int

const (
	// AuthAccepted: the password was right; reply ReplyAccepted and take
	// commands from now on.
	AuthAccepted AuthStep = iota
	// AuthRefused: the password was wrong; reply ReplyInvalidPassword,
	// send the disconnect notice and close (captured: 10b).
	AuthRefused
	// AuthExit: `exit`; reply ReplyBye, send the disconnect notice and
	// close.
	AuthExit
	// AuthNotYet: any other command; reply ReplyCommandNotFound and wait
	// for auth.
	AuthNotYet
)

// Authenticate answers a command (split by SplitCommand) on a connection
// that has not authenticated: the step to take and its Reply-Text.
func Authenticate(word, rest, password string) (AuthStep, string) {
	switch word {
	case "auth":
		if rest != password {
			return AuthRefused, ReplyInvalidPassword
		}
		return AuthAccepted, ReplyAccepted
	case "exit":
		return AuthExit, ReplyBye
	}
	return AuthNotYet, ReplyCommandNotFound
}

// maxJobUUID is the longest Job-UUID FreeSWITCH takes from a bgapi
// command's header: it copies it into a buffer the size of a UUID.
const maxJobUUID = 36

// JobUUID is the Job-UUID a bgapi command runs under: the client's
// Job-UUID header, cut to 36 characters, or newID() when there is none.
func JobUUID(cmd *Command, newID func() string) string {
	id := cmd.Headers.Get("Job-UUID")
	if len(id) > maxJobUUID {
		id = id[:maxJobUUID]
	}
	if id == "" {
		id = newID()
	}
	return id
}
