package runner

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/callplan/callplan/esl"
)

// Conn is what the runner needs of one node's Event Socket connection. The
// esl client provides it (see NewESLConn); tests use an in-memory switch.
// Each consumer defines the narrow interface it needs.
type Conn interface {
	// API runs a command and returns its reply body.
	API(ctx context.Context, cmd string) (string, error)
	// BgAPI starts cmd as a background job whose Job-UUID is jobUUID,
	// chosen by the runner and registered before sending so the result
	// cannot race the reply. The result arrives as a BACKGROUND_JOB event.
	BgAPI(ctx context.Context, cmd, jobUUID string) error
	// Events delivers the node's events, in arrival order, and
	// connection state changes. The channel is closed when the connection
	// is closed for good.
	Events() <-chan ConnEvent
	// Close ends the connection.
	Close() error
}

// ConnEvent is either an ESL event or a change of the connection's state.
type ConnEvent struct {
	Event *esl.Event
	// Down: the connection was lost (events may have been missed); Up: it
	// was re-established and re-subscribed.
	Down, Up bool
	// Err says why it went down.
	Err error
}

// Events the runner subscribes to on every node.
var SubscribedEvents = []string{
	"CHANNEL_CREATE", "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_ANSWER",
	"CHANNEL_PARK", "CHANNEL_HANGUP_COMPLETE", "BACKGROUND_JOB", "HEARTBEAT",
}

// errReply is a command reply that reports failure.
var errReply = errors.New("command failed")

// checkReply turns a reply whose first line starts with '-' (-ERR, -ERROR,
// -USAGE) into an error (esl-reference 4.4).
func checkReply(cmd, body string, err error) (string, error) {
	if err != nil {
		return "", fmt.Errorf("%s: %w", firstWord(cmd), err)
	}
	if strings.HasPrefix(body, "-") {
		line, _, _ := strings.Cut(body, "\n")
		return body, fmt.Errorf("%s: %w: %s", firstWord(cmd), errReply, strings.TrimSpace(line))
	}
	return body, nil
}

func firstWord(s string) string {
	w, _, _ := strings.Cut(s, " ")
	return w
}

// safeArg rejects a value that would break out of an ESL command line.
func safeArg(v string) error {
	if v == "" || strings.ContainsAny(v, "\r\n \t") {
		return fmt.Errorf("unsafe command argument %q", v)
	}
	return nil
}
