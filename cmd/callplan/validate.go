package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/callplan/callplan/assert"
	"github.com/callplan/callplan/flows"
	"github.com/callplan/callplan/plan"
)

const validateExamples = `  callplan validate scenarios/*.yaml
  callplan validate --set stages[0].rate=20 --set originate.profile=internal plan.yaml
  FS_PASSWORD=secret callplan validate cluster.yaml`

func runValidate(_ context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "validate", "validate [--set path=value]... PLAN...", validateExamples)
	var sets setFlags
	fs.Var(&sets, "set", "override a plan field, `path=value` (repeatable), e.g. stages[0].rate=20")
	quiet := fs.Bool("q", false, "print nothing for valid plans")
	plans, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(plans) == 0 {
		fs.Usage()
		return usageErrorf("no plan given")
	}
	invalid := 0
	for _, path := range plans {
		p, err := loadPlan(env, path, sets)
		if err != nil {
			printPlanError(env.Stderr, "validate", err)
			invalid++
			continue
		}
		if !*quiet {
			fmt.Fprintf(env.Stdout, "%s: ok (%s)\n", path, planSummary(p))
		}
	}
	if invalid > 0 {
		return withCode(ExitInvalid, errReported)
	}
	return nil
}

// parseInterleaved parses flags that may come before, between or after the
// positional arguments (`validate plan.yaml --set x=1`), as k6 and most CLIs
// allow; the flag package alone stops at the first argument. After "--"
// everything is positional.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// setFlags collects repeated --set flags.
type setFlags []string

func (s *setFlags) String() string { return strings.Join(*s, " ") }

func (s *setFlags) Set(v string) error {
	if !strings.Contains(v, "=") {
		return fmt.Errorf("want path=value, got %q", v)
	}
	*s = append(*s, v)
	return nil
}

// printPlanError prints a plan's diagnostics one per line (each already
// says file:line:col), or a read error prefixed like every other error of
// the command, `callplan validate: reading plan: ...`.
func printPlanError(w io.Writer, cmd string, err error) {
	var errs plan.Errors
	if errors.As(err, &errs) {
		for _, d := range errs {
			fmt.Fprintln(w, d)
		}
		return
	}
	fmt.Fprintf(w, "callplan %s: %v\n", cmd, err)
}

func planSummary(p *plan.Plan) string {
	return fmt.Sprintf("%d node(s), %d flow(s), %d stage(s) over %s, %d assertion(s)",
		len(p.Nodes), len(p.Flows), len(p.Stages), p.TotalDuration(), len(p.Assertions))
}

// loadPlan loads a plan and runs, in the same pass, every check that needs
// a package plan cannot import: flow names and parameters (flows) and
// assertion expressions. Every problem is reported at once; a non-nil error
// is plan.Errors or a read error.
func loadPlan(env Env, path string, sets []string) (*plan.Plan, error) {
	return plan.Load(path, plan.Options{Lookup: env.Getenv, Set: sets, Check: checkPlan})
}

// checkPlan is plan.Options.Check for the CLI.
func checkPlan(p *plan.Plan, errs *plan.Errors) {
	checkFlows(p, errs)
	checkOriginate(p, errs)
	// Assertions are compiled against the typed metrics environment, so an
	// unknown variable or a type error is caught here, positioned inside
	// the expression; so are constant keys no run could fill.
	assert.CheckWith(known(p))(p, errs)
}

// checkFlows checks each flow's name against the flows registry and its
// `with` parameters against the flow's spec.
func checkFlows(p *plan.Plan, errs *plan.Errors) {
	for i, f := range p.Flows {
		path := fmt.Sprintf("flows[%d]", i)
		if f.Use == "" {
			continue // plan reported it
		}
		spec, ok := flows.Lookup(f.Use)
		if !ok {
			known := flows.Names()
			msg := fmt.Sprintf("unknown flow %q", f.Use)
			if s := plan.Suggest(f.Use, known); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			errs.Add(f.Fields.Get("use", f.Pos), path+".use", "%s; known flows: %s", msg, strings.Join(known, ", "))
			continue
		}
		perrs := spec.CheckParams(flowParams(f))
		if len(perrs) == 0 && spec.CheckOriginate != nil {
			perrs = spec.CheckOriginate(spec.Resolve(flowParams(f)), p.Originate)
		}
		for _, e := range perrs {
			pos := f.Fields.Get("with", f.Pos)
			if s, ok := f.With[e.Param]; ok {
				pos = s.Pos
			}
			errs.Add(pos, path+".with."+e.Param, "%s", e.Msg)
		}
	}
}

// flowParams is the text of each parameter a flow entry wrote.
func flowParams(f plan.Flow) map[string]string {
	with := make(map[string]string, len(f.With))
	for k, v := range f.With {
		with[k] = v.Value
	}
	return with
}
