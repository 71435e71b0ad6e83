package main

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/callplan/callplan/plan"
	"github.com/callplan/callplan/runner"
	"github.com/callplan/callplan/runner/cloud"
	"github.com/callplan/callplan/twilio"
)

// renderCloud is the dry run of a cloud plan, the seed tool's --dry_run: as
// YAML comments, the exact create request each cloud node sends for each
// flow, the status and end requests that follow, and how many of each a
// run sends at most. Nothing is sent; no credential is read.
func renderCloud(b *strings.Builder, p *plan.Plan) error {
	calls, scheduled := cloudCallCount(p)
	fmt.Fprintf(b, "\n# Requests a run sends (render sends none). Every request carries HTTP basic auth\n")
	fmt.Fprintf(b, "# (Authorization: Basic ***); *** in a path is the account SID. %s and %s\n", renderCallID, renderRunID)
	fmt.Fprintf(b, "# stand for each call's UUID and the run's id; CALL_SID for the SID the API returns.\n")
	for _, n := range p.Nodes {
		if !n.Cloud {
			continue
		}
		c := n.Twilio
		fmt.Fprintf(b, "#\n# node %s: %s, credentials from $%s and $%s (or $%s and $%s)\n",
			n.Name, c.BaseURL, c.AccountSIDEnv, c.AuthTokenEnv, c.APIKeyEnv, c.APISecretEnv)
		for _, f := range p.Flows {
			cc := p.CloudCallFor(n, f, plan.Call{ID: renderCallID, RunID: renderRunID, Flow: f.Name, Stage: p.Stages[0].Name})
			form, err := cloud.Params(cc).Form()
			if err != nil {
				return fmt.Errorf("node %s, flow %s: %w", n.Name, f.Name, err)
			}
			fmt.Fprintf(b, "#\n# flow %s, one per call:\n#   POST %s\n", f.Name, redactAccount(twilio.CallsURL(c.BaseURL, accountStandIn)))
			fmt.Fprintf(b, "#   Content-Type: application/x-www-form-urlencoded\n#\n#   %s\n", form.Encode())
			for _, k := range slices.Sorted(maps.Keys(form)) {
				fmt.Fprintf(b, "#     %s = %s\n", k, strings.Join(form[k], ", "))
			}
		}
		callURL := redactAccount(twilio.CallURL(c.BaseURL, accountStandIn, "CALL_SID"))
		fmt.Fprintf(b, "#\n# then, for each created call:\n")
		fmt.Fprintf(b, "#   GET  %s    status, each call at most every %s, at most %g a second for the node\n", callURL, c.PollInterval, c.PollRate)
		fmt.Fprintf(b, "#   POST %s    Status=completed after the hold (Status=canceled if the run stops it before answer)\n", callURL)
	}
	fmt.Fprintf(b, "#\n# Count: the stages schedule %s; max_calls caps the run at %d.\n", scheduled, p.MaxCalls)
	fmt.Fprintf(b, "# At most %d create requests (%d billed calls), and at most %d end requests;\n", calls, calls, calls)
	fmt.Fprintf(b, "# 429 and 5xx answers are retried (up to 4 times each) and counted in the report.\n")
	return nil
}

// accountStandIn takes the account SID's place in a rendered URL until it
// is shown as ***, which a URL builder would escape.
const accountStandIn = "ACCOUNTSID"

func redactAccount(u string) string {
	return strings.Replace(u, "/Accounts/"+accountStandIn+"/", "/Accounts/"+twilio.Redacted+"/", 1)
}

// cloudCallCount is how many calls a run of p creates at most, and what
// the stages schedule. A uniform stage's arrivals are exact (arrival k
// comes when the rate's integral reaches k, so a stage gets the integers
// in [integral at its start, at its end)); a Poisson stage's count is
// random, so only its own max_calls or the run's bounds it.
func cloudCallCount(p *plan.Plan) (int, string) {
	segs := make([]runner.Segment, len(p.Stages))
	for i, s := range p.Stages {
		segs[i] = runner.Segment{Duration: s.Duration.D(), From: s.Rate.From, To: s.Rate.To}
	}
	sched, err := runner.NewSchedule(segs...)
	if err != nil {
		return p.MaxCalls, "an unknown number of calls"
	}
	bound, mean, bounded, poisson := 0, 0, true, false
	var at time.Duration
	for _, s := range p.Stages {
		before := math.Ceil(sched.Integral(at))
		at += s.Duration.D()
		n := int(math.Ceil(sched.Integral(at)) - before)
		if s.MaxCalls > 0 {
			n = min(n, s.MaxCalls)
		}
		mean += n
		switch {
		case s.Arrivals != plan.ArrivalsPoisson:
			bound += n
		case s.MaxCalls > 0:
			bound += s.MaxCalls
			poisson = true
		default:
			bounded, poisson = false, true
		}
	}
	what := fmt.Sprintf("%d calls", mean)
	if poisson {
		what = fmt.Sprintf("about %d calls (Poisson arrivals vary)", mean)
	}
	if !bounded {
		return p.MaxCalls, what
	}
	return min(bound, p.MaxCalls), what
}
