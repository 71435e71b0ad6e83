package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/callplan/callplan/runner"
)

const hangupExamples = `  callplan hangup --run 3f2a9c1b7d4e plan.yaml   # end one run's calls
  callplan hangup --all plan.yaml                 # end every call on the plan's nodes
  callplan hangup results/cloud-20261207T080000Z  # end the calls a cloud run created`

// runHangup ends calls left on a plan's nodes: one run's (hupall filtered
// by the run's X-header variable, which both legs carry) or, with --all,
// every call. Idempotent: with nothing left it succeeds and says so.
func runHangup(ctx context.Context, env Env, args []string) error {
	if len(args) == 1 && isCloudResults(args[0]) {
		return runCloudHangup(ctx, env, args[0])
	}
	fs := newFlagSet(env, "hangup", "hangup PLAN [--run ID | --all]", hangupExamples)
	var sets setFlags
	fs.Var(&sets, "set", "override a plan field, `path=value` (repeatable)")
	run := fs.String("run", "", "hang up the calls of run `ID` (printed by callplan run)")
	all := fs.Bool("all", false, "hang up every call on the plan's nodes")
	cause := fs.String("cause", "MANAGER_REQUEST", "hangup `cause`")
	if err := parseFlags(fs, reorderFlags(fs, args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return usageErrorf("want exactly one plan, got %d", fs.NArg())
	}
	if (*run == "") == !*all {
		return usageErrorf("give exactly one of --run ID and --all")
	}
	for _, v := range []string{*run, *cause} {
		if strings.ContainsAny(v, " \t\r\n") {
			return usageErrorf("%q: no blanks allowed", v)
		}
	}
	p, err := loadPlan(env, fs.Arg(0), sets)
	if err != nil {
		printPlanError(env.Stderr, "hangup", err)
		return withCode(ExitInvalid, errReported)
	}
	cmd := "hupall " + *cause
	if !*all {
		cmd += " for run " + *run
	}
	var unreachable, refused int
	for _, n := range p.Nodes {
		if n.Embedded {
			// An in-process agent lives and dies with its run: nothing
			// can be left on it.
			fmt.Fprintf(env.Stdout, "%s: embedded agent, nothing to hang up\n", n.Name)
			continue
		}
		addr := net.JoinHostPort(n.Host, strconv.Itoa(n.Port))
		conn, err := runner.DialESL(ctx, addr, n.Password)
		if err != nil {
			fmt.Fprintf(env.Stderr, "%s: %v\n", n.Name, err)
			unreachable++
			continue
		}
		var body string
		if *all {
			body, err = conn.API(ctx, cmd)
		} else {
			body, err = conn.EndRun(ctx, *run, *cause)
		}
		_ = conn.Close()
		body = strings.TrimSpace(body)
		switch {
		case errors.Is(err, runner.ErrRefused):
			// The node answered: it was reached and said no (FreeSWITCH
			// answers -ERR to an unknown cause, for one).
			fmt.Fprintf(env.Stderr, "%s: %s: node answered %s\n", n.Name, cmd, body)
			refused++
		case err != nil:
			fmt.Fprintf(env.Stderr, "%s: %s: %v\n", n.Name, cmd, err)
			unreachable++
		default:
			fmt.Fprintf(env.Stdout, "%s: %s\n", n.Name, body)
		}
	}
	return hangupResult(unreachable, refused)
}

// hangupResult is the command's error: which nodes failed, and how.
func hangupResult(unreachable, refused int) error {
	var parts []string
	if unreachable > 0 {
		parts = append(parts, fmt.Sprintf("%d node(s) could not be reached", unreachable))
	}
	if refused > 0 {
		parts = append(parts, fmt.Sprintf("%d node(s) refused the hangup", refused))
	}
	if len(parts) == 0 {
		return nil
	}
	return withCode(ExitInfrastructure, errors.New(strings.Join(parts, "; ")))
}
