package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/callplan/callplan/runner/cloud"
	"github.com/callplan/callplan/twilio"
)

// cloudHangupRate bounds the end requests a second per node: each is a
// fetch and at most two updates, well inside the API's request limits.
const cloudHangupRate = 10

// isCloudResults reports whether path is the results directory of a run
// with cloud nodes (it holds the cloud node list and the SIDs).
func isCloudResults(path string) bool {
	_, err := os.Stat(filepath.Join(path, cloud.NodesFile))
	return err == nil
}

// runCloudHangup ends every call a run with cloud nodes created, from the
// SIDs its results directory recorded, through each node's API with
// credentials from the environment. Idempotent: a call already over is
// read and left alone, so running it twice is fine and the second time
// ends nothing.
func runCloudHangup(ctx context.Context, env Env, dir string) error {
	nodes, err := cloud.ReadNodes(dir)
	if err != nil {
		return withCode(ExitInvalid, err)
	}
	rows, err := cloud.ReadSIDs(dir)
	if err != nil {
		return withCode(ExitInvalid, err)
	}
	getenv := func(k string) string { v, _ := env.Getenv(k); return v }
	var failures []error
	for _, n := range nodes {
		var sids []string
		for _, r := range rows {
			if r.Node == n.Name {
				sids = append(sids, r.SID)
			}
		}
		if len(sids) == 0 {
			fmt.Fprintf(env.Stdout, "%s: no calls on record\n", n.Name)
			continue
		}
		creds, err := twilio.CredentialsFromEnv(getenv, n.EnvNames())
		if err != nil {
			failures = append(failures, fmt.Errorf("%s: %w", n.Name, err))
			continue
		}
		client, err := twilio.New(creds, twilio.WithBaseURL(n.BaseURL))
		if err != nil {
			failures = append(failures, fmt.Errorf("%s: %w", n.Name, err))
			continue
		}
		res, err := cloud.EndSIDs(ctx, client, sids, cloudHangupRate)
		fmt.Fprintf(env.Stdout, "%s: %d calls on record: %d ended now, %d already over", n.Name, len(sids), res.Ended, res.Already)
		if res.Failed > 0 {
			fmt.Fprintf(env.Stdout, ", %d could not be ended", res.Failed)
		}
		fmt.Fprintln(env.Stdout)
		if err != nil {
			failures = append(failures, fmt.Errorf("%s: %w", n.Name, err))
		}
	}
	if len(failures) > 0 {
		for _, f := range failures {
			fmt.Fprintf(env.Stderr, "callplan: hangup: %v\n", f)
		}
		return withCode(ExitInfrastructure, errReported)
	}
	return nil
}
