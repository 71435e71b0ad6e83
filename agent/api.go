package agent

import (
	"context"
	"strings"
)

// apiFunc runs one API command. after, when not nil, must be called once
// the result has been delivered (see originate).
type apiFunc func(a *Agent, ctx context.Context, args string) (out string, after func())

// apiCommands is the agent's API, by command name (mod_commands and
// mod_sofia's subset that a load tester uses; section 4).
var apiCommands = map[string]apiFunc{
	"originate": func(a *Agent, ctx context.Context, args string) (string, func()) {
		return a.originate(ctx, args)
	},
	"uuid_answer":       chanAction("-ERROR\n", (*channel).answer),
	"uuid_pre_answer":   chanAction("-ERROR\n", (*channel).preAnswer),
	"uuid_ring_ready":   chanAction("-ERROR\n", (*channel).ringReady),
	"uuid_kill":         simple(apiUUIDKill),
	"uuid_park":         simple(apiUUIDPark),
	"uuid_setvar":       simple(apiUUIDSetvar),
	"uuid_setvar_multi": simple(apiUUIDSetvarMulti),
	"uuid_getvar":       simple(apiUUIDGetvar),
	"uuid_exists":       simple(apiUUIDExists),
	"uuid_dump":         simple(apiUUIDDump),
	"uuid_broadcast":    simple(apiUUIDBroadcast),
	"uuid_break":        simple(apiUUIDBreak),
	"uuid_record":       simple(apiUUIDRecord),
	"uuid_displace":     simple(apiUUIDDisplace),
	"uuid_send_dtmf":    simple(apiUUIDSendDTMF),
	"uuid_audio":        simple(apiUUIDAudio),
	"sched_hangup":      simple(apiSchedHangup),
	"hupall":            simple(apiHupall),
	"show":              simple(apiShow),
	"status":            simple(apiStatus),
	"fsctl":             simple(apiFsctl),
	"version":           simple(apiVersion),
	"module_exists":     simple(apiModuleExists),
	"sofia":             simple(apiSofia),
	"global_getvar":     simple(apiGlobalGetvar),
	"hostname":          simple(func(a *Agent, _ string) string { return a.id.hostname }),
	"create_uuid":       simple(func(a *Agent, _ string) string { return a.newUUID() }),
	"eval":              simple(apiEval),
}

func simple(f func(a *Agent, args string) string) apiFunc {
	return func(a *Agent, _ context.Context, args string) (string, func()) { return f(a, args), nil }
}

// execAPI runs an API command line ("uuid_kill <uuid>") and fires the API
// event. Unknown commands answer FreeSWITCH's text (captured: 10a).
func (a *Agent) execAPI(ctx context.Context, cmd, args string) (string, func()) {
	a.fireAPI(cmd, args)
	f, ok := apiCommands[strings.ToLower(cmd)]
	if !ok {
		return "-ERR " + cmd + " Command not found!\n", nil
	}
	return f(a, ctx, args)
}

// fireAPI fires the API event of a command about to run.
func (a *Agent) fireAPI(cmd, args string) {
	a.hub.fire("API", "", func(e *event) {
		e.Headers = append(e.Headers, header{"API-Command", cmd})
		e.add("API-Command-Argument", args)
	})
}

// API runs an API command in-process, as `api` does over ESL, and returns
// its output.
func (a *Agent) API(ctx context.Context, cmdline string) string {
	cmd, args, _ := strings.Cut(strings.TrimSpace(cmdline), " ")
	out, after := a.execAPI(ctx, cmd, strings.TrimSpace(args))
	if after != nil {
		after()
	}
	return out
}

// chanAction runs op on the channel goroutine: +OK, or failText when the
// channel does not exist or op fails.
func chanAction(failText string, op func(*channel) error) apiFunc {
	return func(a *Agent, _ context.Context, args string) (string, func()) {
		_, c, reply := a.uuidArgs(args, 1, failText, failText)
		if c == nil {
			return reply, nil
		}
		if err := c.do(func() error { return op(c) }); err != nil {
			return failText, nil
		}
		return "+OK\n", nil
	}
}

const noSuchChannel = "-ERR No such channel!\n"

// uuidArgs splits the arguments of a uuid_* command, whose first field
// names the leg, and finds that leg. When c is nil, reply is the answer:
// usage with fewer than n fields, unknown when no such leg exists.
func (a *Agent) uuidArgs(args string, n int, usage, unknown string) (argv []string, c *channel, reply string) {
	argv = strings.Fields(args)
	if len(argv) < n {
		return argv, nil, usage
	}
	if c = a.channel(argv[0]); c == nil {
		return argv, nil, unknown
	}
	return argv, c, ""
}
