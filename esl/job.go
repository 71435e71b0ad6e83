package esl

import (
	"context"
	"errors"
	"strings"

	"github.com/google/uuid"
)

// Job is a bgapi job; its result arrives with the BACKGROUND_JOB event
// carrying its Job-UUID.
type Job struct {
	UUID    string
	Command string

	done chan struct{}
	body string
	err  error
}

// Done is closed when the result (or a failure) is in.
func (j *Job) Done() <-chan struct{} { return j.done }

// Result returns the job's output once Done is closed: "+OK <uuid>\n" for
// an originate, or a *CommandError for "-ERR <CAUSE>", or ErrDisconnected
// / ErrClosed when the connection went away first.
func (j *Job) Result() (string, error) {
	select {
	case <-j.done:
		return j.body, j.err
	default:
		return "", errors.New("job result not in yet")
	}
}

// Wait waits for the result until ctx ends.
func (j *Job) Wait(ctx context.Context) (string, error) {
	select {
	case <-j.done:
		return j.body, j.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (j *Job) finish(body string, err error) {
	j.body, j.err = body, err
	close(j.done)
}

// BgAPI runs "bgapi <cmd>" with a Job-UUID chosen here and registered
// before the command is written, so the result cannot race the reply. It
// subscribes the node to BACKGROUND_JOB first if nothing covers it yet.
func (c *Conn) BgAPI(ctx context.Context, cmd string) (*Job, error) {
	if err := c.ensureBackgroundJob(ctx); err != nil {
		return nil, err
	}
	j := &Job{UUID: uuid.NewString(), Command: cmd, done: make(chan struct{})}
	c.mu.Lock()
	c.jobs[j.UUID] = j
	c.mu.Unlock()
	line := "bgapi " + cmd
	_, err := c.Send(ctx, Command{Line: line, Headers: Headers{{"Job-UUID", j.UUID}}})
	if err != nil {
		c.mu.Lock()
		delete(c.jobs, j.UUID)
		c.mu.Unlock()
		return nil, err
	}
	return j, nil
}

func (c *Conn) ensureBackgroundJob(ctx context.Context) error {
	c.mu.Lock()
	covered := false
	for n := range c.events {
		if strings.EqualFold(n, "ALL") || strings.EqualFold(n, "BACKGROUND_JOB") {
			covered = true
		}
	}
	c.mu.Unlock()
	if covered {
		return nil
	}
	return c.Subscribe(ctx, "BACKGROUND_JOB")
}
