package esltest

import (
	"strings"

	"github.com/callplan/callplan/esl"
	"github.com/google/uuid"
)

func (c *Conn) serve() {
	if c.Write(esl.AuthRequest()) != nil {
		return
	}
	r := esl.NewReader(c.nc)
	for {
		cmd, err := r.ReadCommand()
		if err != nil {
			return
		}
		line := cmd.Line
		if strings.HasPrefix(line, "auth ") {
			line = "auth <redacted>"
		}
		c.mu.Lock()
		c.commands = append(c.commands, line)
		c.mu.Unlock()
		if !c.waitResume() {
			return
		}
		if !c.handle(cmd) {
			return
		}
	}
}

// handle answers one command; false means the connection is over.
func (c *Conn) handle(cmd *esl.Command) bool {
	word, rest := esl.SplitCommand(cmd.Line)
	c.mu.Lock()
	authed := c.authed
	c.mu.Unlock()
	if !authed {
		c.srv.mu.Lock()
		pw := c.srv.password
		c.srv.mu.Unlock()
		step, text := esl.Authenticate(word, rest, pw)
		switch step {
		case esl.AuthRefused:
			_ = c.Write(esl.CommandReply(text))
			_ = c.Write(esl.DisconnectNotice(esl.DisconnectGoodbye))
			return false
		case esl.AuthExit:
			return c.exit()
		case esl.AuthAccepted:
			c.mu.Lock()
			c.authed = true
			c.mu.Unlock()
		}
		return c.Write(esl.CommandReply(text)) == nil
	}
	c.srv.mu.Lock()
	h := c.srv.handler
	c.srv.mu.Unlock()
	if h != nil && h(c, cmd) {
		return true
	}
	var reply *esl.Frame
	switch word {
	case "exit":
		return c.exit()
	case "event":
		reply = c.listen((*esl.Listener).Event, rest)
	case "nixevent":
		reply = c.listen((*esl.Listener).NixEvent, rest)
	case "noevents":
		reply = c.listen(func(l *esl.Listener, _ string) string { return l.NoEvents() }, rest)
	case "filter":
		reply = c.listen((*esl.Listener).Filter, rest)
	case "api":
		name, args, _ := strings.Cut(rest, " ")
		reply = esl.APIResponse(c.srv.runAPI(name, args))
	case "bgapi":
		id := esl.JobUUID(cmd, uuid.NewString)
		if err := c.Write(esl.CommandReply("+OK Job-UUID: "+id, esl.Header{Name: "Job-UUID", Value: id})); err != nil {
			return false
		}
		name, args, _ := strings.Cut(rest, " ")
		c.srv.wg.Add(1)
		go func() {
			defer c.srv.wg.Done()
			body := c.srv.runAPI(name, args)
			hs := []esl.Header{{Name: "Job-UUID", Value: id}, {Name: "Job-Command", Value: name}}
			if args != "" {
				hs = append(hs, esl.Header{Name: "Job-Command-Arg", Value: args})
			}
			e := c.srv.NewEvent("BACKGROUND_JOB", hs...)
			e.Body = body
			_ = c.Emit(e)
		}()
		return true
	case "sendmsg":
		reply = esl.CommandReply("+OK")
	default:
		reply = esl.CommandReply(esl.ReplyCommandNotFound)
	}
	return c.Write(reply) == nil
}

// listen applies an event, nixevent, noevents or filter command to the
// connection's state through the esl package's server grammar, the one the
// agent answers with.
func (c *Conn) listen(cmd func(l *esl.Listener, args string) string, args string) *esl.Frame {
	c.mu.Lock()
	defer c.mu.Unlock()
	return esl.CommandReply(cmd(c.l, args))
}

func (c *Conn) exit() bool {
	_ = c.Write(esl.CommandReply(esl.ReplyBye))
	_ = c.Write(esl.DisconnectNotice(esl.DisconnectGoodbye))
	return false
}
