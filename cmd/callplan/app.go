package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/callplan/callplan/plan"
)

// Env is everything a command may touch of the outside world. Commands get
// it injected so tests run them as plain functions.
type Env struct {
	Stdout  io.Writer
	Stderr  io.Writer
	Getenv  func(string) (string, bool)
	Environ func() []string
}

// command is one subcommand. run returns an error carrying its exit code
// (see withCode); a nil error is ExitPassed.
type command struct {
	summary string
	run     func(ctx context.Context, env Env, args []string) error
}

// commands is the subcommand table. Each subcommand lives in its own file.
func commands() map[string]command {
	return map[string]command{
		"version":  {"print the callplan version", runVersion},
		"validate": {"check plans and report every problem (exit 2 if any)", runValidate},
		"agent":    {"run an embedded FreeSWITCH-compatible call agent (ESL + SIP + RTP)", runAgent},
		"render":   {"show a plan with defaults applied and the originate commands it sends", runRender},
		"schema":   {"print the plan format's JSON Schema", runSchema},
		"run":      {"run a plan: drive the calls, record them, report (exit 1/3/4 on failure)", runRun},
		"hangup":   {"hang up calls a run left on the nodes (--run ID or --all; a cloud run's RESULTS_DIR)", runHangup},
		"report":   {"re-render a finished run's results in any format, or compare with a baseline", runReport},
		"help":     {"show help for callplan or a subcommand", nil}, // handled in Main
	}
}

// Main runs callplan with args (without the program name) and returns the
// exit code. It never calls os.Exit.
func Main(ctx context.Context, args []string, env Env) ExitCode {
	if len(args) == 0 {
		printUsage(env.Stderr)
		return ExitInvalid
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "--help":
		return runHelp(ctx, env, rest)
	case "--version":
		name = "version"
	}
	cmd, ok := commands()[name]
	if !ok || cmd.run == nil {
		unknownCommand(env.Stderr, name)
		return ExitInvalid
	}
	err := cmd.run(ctx, env, rest)
	if errors.Is(err, flag.ErrHelp) {
		return ExitPassed
	}
	if err != nil && !errors.Is(err, errReported) {
		fmt.Fprintf(env.Stderr, "callplan %s: %v\n", name, err)
	}
	return codeOf(err)
}

// runHelp answers `callplan help [topic]`. The topic is looked up once:
// help about help (or about a help flag) is the overview, never another
// round through Main, which would recurse without end.
func runHelp(ctx context.Context, env Env, rest []string) ExitCode {
	if len(rest) == 0 {
		printUsage(env.Stdout)
		return ExitPassed
	}
	switch topic := rest[0]; topic {
	case "help", "-h", "--help":
		printUsage(env.Stdout)
		return ExitPassed
	case "--version":
		return Main(ctx, []string{"version", "-h"}, env)
	default:
		if cmd, ok := commands()[topic]; !ok || cmd.run == nil {
			unknownCommand(env.Stderr, topic)
			return ExitInvalid
		}
		return Main(ctx, []string{topic, "-h"}, env)
	}
}

// unknownCommand says a command does not exist, suggests the nearest one
// when the name looks like a typo (`valdate`), and shows the usage.
func unknownCommand(w io.Writer, name string) {
	names := make([]string, 0, len(commands()))
	for n := range commands() {
		names = append(names, n)
	}
	msg := fmt.Sprintf("callplan: unknown command %q", name)
	if s := plan.Suggest(name, names); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	fmt.Fprintf(w, "%s\n\n", msg)
	printUsage(w)
}

// errReported marks an error whose details the command already printed; Main
// only turns it into an exit code.
var errReported = errors.New("reported")

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "callplan — load-test and regression-test telephony systems from YAML plans")
	fmt.Fprintln(w, "\nUsage: callplan <command> [flags] [args]\n\nCommands:")
	cmds := commands()
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'callplan <command> -h' for a command's flags and examples.")
}

// newFlagSet builds a FlagSet whose -h output shows usage and examples.
func newFlagSet(env Env, name, usage, examples string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "Usage: callplan %s\n", usage)
		var b strings.Builder
		fs.SetOutput(&b)
		fs.PrintDefaults()
		fs.SetOutput(out)
		if b.Len() > 0 {
			fmt.Fprintf(out, "\nFlags:\n%s", b.String())
		}
		if examples != "" {
			fmt.Fprintf(out, "\nExamples:\n%s\n", strings.TrimRight(examples, "\n"))
		}
	}
	return fs
}

// parseFlags parses args and maps a parse error to a usage error (exit 2).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return withCode(ExitInvalid, errReported)
	}
	return nil
}
