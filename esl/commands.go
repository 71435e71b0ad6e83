package esl

import (
	"context"
	"fmt"
	"strings"
)

// API runs "api <cmd>" and returns its output. An output starting with
// -ERR or -USAGE is returned with a *CommandError.
func (c *Conn) API(ctx context.Context, cmd string) (string, error) {
	line := "api " + cmd
	f, err := c.roundTrip(ctx, &Command{Line: line})
	if err != nil {
		return "", err
	}
	body := string(f.Body)
	if f.ContentType() != ContentAPIResponse {
		// FreeSWITCH answers api before auth with a command/reply.
		if r := f.ReplyText(); isErrorReply(r) {
			return "", &CommandError{Command: line, Reply: r}
		}
	}
	if isErrorReply(body) {
		return body, &CommandError{Command: line, Reply: strings.TrimRight(body, "\n")}
	}
	return body, nil
}

// Send writes any command and returns its reply frame. A command/reply
// whose Reply-Text is not +OK is returned with a *CommandError.
func (c *Conn) Send(ctx context.Context, cmd Command) (*Frame, error) {
	f, err := c.roundTrip(ctx, &cmd)
	if err != nil {
		return nil, err
	}
	if f.ContentType() == ContentCommandReply {
		if r := f.ReplyText(); !strings.HasPrefix(r, "+OK") {
			return f, &CommandError{Command: cmd.Line, Reply: r}
		}
	}
	return f, nil
}

// SendMsg sends "sendmsg <uuid>" with the given headers (call-command,
// execute-app-name, ...) and optional body.
func (c *Conn) SendMsg(ctx context.Context, uuid string, msg Headers, body []byte) error {
	_, err := c.Send(ctx, Command{Line: "sendmsg " + uuid, Headers: msg, Body: body})
	return err
}

// Execute runs app with arg on channel uuid (sendmsg call-command
// execute). With lock, further messages wait until this app returns
// (event-lock), instead of running nested inside it.
func (c *Conn) Execute(ctx context.Context, uuid, app, arg string, lock bool) error {
	h := Headers{{"call-command", "execute"}, {"execute-app-name", app}}
	if arg != "" {
		h = append(h, Header{"execute-app-arg", arg})
	}
	if lock {
		h = append(h, Header{"event-lock", "true"})
	}
	return c.SendMsg(ctx, uuid, h, nil)
}

// Hangup hangs channel uuid up with cause (sendmsg call-command hangup);
// an empty cause is NORMAL_CLEARING.
func (c *Conn) Hangup(ctx context.Context, uuid, cause string) error {
	h := Headers{{"call-command", "hangup"}}
	if cause != "" {
		h = append(h, Header{"hangup-cause", cause})
	}
	return c.SendMsg(ctx, uuid, h, nil)
}

// Subscribe asks the node for events ("event <format> <names>"). Event
// names and CUSTOM subclasses may be mixed: subclasses (names with "::")
// are sent after CUSTOM, as FreeSWITCH requires. Subscriptions add up and
// are replayed after a reconnect.
func (c *Conn) Subscribe(ctx context.Context, names ...string) error {
	line, err := eventLine("event "+string(c.opts.format), names)
	if err != nil {
		return err
	}
	if _, err := c.Send(ctx, Command{Line: line}); err != nil {
		return err
	}
	c.mu.Lock()
	for _, n := range names {
		c.events[n] = true
	}
	c.mu.Unlock()
	return nil
}

// NixEvent unsubscribes names ("nixevent <names>").
func (c *Conn) NixEvent(ctx context.Context, names ...string) error {
	line, err := eventLine("nixevent", names)
	if err != nil {
		return err
	}
	if _, err := c.Send(ctx, Command{Line: line}); err != nil {
		return err
	}
	c.mu.Lock()
	for _, n := range names {
		delete(c.events, n)
		if strings.EqualFold(n, "ALL") {
			clear(c.events)
		}
	}
	c.mu.Unlock()
	return nil
}

// NoEvents drops every subscription ("noevents"); filters stay.
func (c *Conn) NoEvents(ctx context.Context) error {
	if _, err := c.Send(ctx, Command{Line: "noevents"}); err != nil {
		return err
	}
	c.mu.Lock()
	clear(c.events)
	c.mu.Unlock()
	return nil
}

// Filter adds "filter <header> <value>": once any filter exists the node
// sends only events matching one. Events without the header are dropped,
// so a Unique-ID filter hides BACKGROUND_JOB and HEARTBEAT unless they are
// filtered in too. Filters are replayed after a reconnect.
func (c *Conn) Filter(ctx context.Context, header, value string) error {
	if err := checkToken("filter header", header); err != nil {
		return err
	}
	if _, err := c.Send(ctx, Command{Line: "filter " + header + " " + value}); err != nil {
		return err
	}
	c.mu.Lock()
	c.filters = append(c.filters, Header{header, value})
	c.mu.Unlock()
	return nil
}

// FilterDelete removes filters: one (header and value), all on a header
// (value ""), or all ("all", "").
func (c *Conn) FilterDelete(ctx context.Context, header, value string) error {
	if err := checkToken("filter header", header); err != nil {
		return err
	}
	line := "filter delete " + header
	if value != "" {
		line += " " + value
	}
	if _, err := c.Send(ctx, Command{Line: line}); err != nil {
		return err
	}
	c.mu.Lock()
	kept := c.filters[:0]
	for _, f := range c.filters {
		all := strings.EqualFold(header, "all") && value == ""
		if all || strings.EqualFold(f.Name, header) && (value == "" || f.Value == value) {
			continue
		}
		kept = append(kept, f)
	}
	c.filters = kept
	c.mu.Unlock()
	return nil
}

func checkToken(what, s string) error {
	if s == "" || strings.ContainsAny(s, " \t\r\n\x00") {
		return fmt.Errorf("%s %q: want one word: %w", what, s, ErrUnsafe)
	}
	return nil
}

// eventLine orders names as FreeSWITCH wants: plain names, then CUSTOM
// and its subclasses last (every word after CUSTOM is a subclass).
func eventLine(prefix string, names []string) (string, error) {
	if len(names) == 0 {
		return "", fmt.Errorf("%s: no event names: %w", prefix, ErrUnsafe)
	}
	var plain, subs []string
	custom := false
	for _, n := range names {
		if err := checkToken("event name", n); err != nil {
			return "", err
		}
		switch {
		case strings.Contains(n, "::"):
			subs = append(subs, n)
		case strings.EqualFold(n, "CUSTOM"):
			custom = true
		default:
			plain = append(plain, n)
		}
	}
	parts := append([]string{prefix}, plain...)
	if custom || len(subs) > 0 {
		parts = append(parts, "CUSTOM")
		parts = append(parts, subs...)
	}
	return strings.Join(parts, " "), nil
}
