package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/callplan/callplan/plan"
	"github.com/callplan/callplan/runner"
	"github.com/callplan/callplan/runner/cloud"
	"github.com/callplan/callplan/twilio"
)

// cloudClients are a cloud run's API clients, by node name, and the SIDs
// file their calls are recorded in.
type cloudClients struct {
	clients map[string]*twilio.Client
	sids    *cloud.SIDWriter
}

// openCloud prepares a run on cloud nodes: credentials from the
// environment, one API client per node, each proven by a health check (one
// GET of the account) before any call is created, so bad credentials stop
// the run here (exit 3) and cost nothing. Then the node list and the SIDs
// file go into the results directory, ready for `callplan hangup DIR`.
// Errors never carry a secret.
func openCloud(ctx context.Context, env Env, p *plan.Plan, dir string) (*cloudClients, error) {
	getenv := func(k string) string { v, _ := env.Getenv(k); return v }
	cc := &cloudClients{clients: map[string]*twilio.Client{}}
	var infos []cloud.NodeInfo
	for _, n := range p.Nodes {
		if !n.Cloud {
			continue
		}
		t := n.Twilio
		info := cloud.NodeInfo{Name: n.Name, BaseURL: t.BaseURL, AccountSIDEnv: t.AccountSIDEnv,
			AuthTokenEnv: t.AuthTokenEnv, APIKeyEnv: t.APIKeyEnv, APISecretEnv: t.APISecretEnv}
		creds, err := twilio.CredentialsFromEnv(getenv, info.EnvNames())
		if err != nil {
			return nil, withCode(ExitInfrastructure, fmt.Errorf("node %s: %w", n.Name, err))
		}
		client, err := twilio.New(creds, twilio.WithBaseURL(t.BaseURL))
		if err != nil {
			return nil, withCode(ExitInfrastructure, fmt.Errorf("node %s: %w", n.Name, err))
		}
		if _, err := client.FetchAccount(ctx); err != nil {
			if twilio.IsAuth(err) {
				err = fmt.Errorf("credentials from $%s refused: %w", credentialVars(info, creds), err)
			}
			return nil, withCode(ExitInfrastructure, fmt.Errorf("node %s: health check: %w", n.Name, err))
		}
		cc.clients[n.Name] = client
		infos = append(infos, info)
	}
	if err := cloud.WriteNodes(dir, infos); err != nil {
		return nil, err
	}
	sids, err := cloud.CreateSIDs(dir)
	if err != nil {
		return nil, err
	}
	cc.sids = sids
	return cc, nil
}

// credentialVars names the variables the credentials came from.
func credentialVars(info cloud.NodeInfo, c twilio.Credentials) string {
	if c.IsKey() {
		return info.APIKeyEnv + " and $" + info.APISecretEnv
	}
	return info.AccountSIDEnv + " and $" + info.AuthTokenEnv
}

// openCloudNodes opens a cloud plan's nodes: openCloud, then one driver
// per node, each with a status callback listener when the node has one.
// cleanup closes the drivers (which stops following calls; the run has
// ended them), the listeners and the SIDs file, and prints each node's
// request and retry counts.
func openCloudNodes(ctx context.Context, env Env, p *plan.Plan, dir string) ([]openNode, func(), error) {
	var closers []func()
	cleanup := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	cc, err := openCloud(ctx, env, p, dir)
	if err != nil {
		return nil, cleanup, err
	}
	closers = append(closers, func() { _ = cc.sids.Close() })
	var out []openNode
	for _, pn := range p.Nodes {
		client := cc.clients[pn.Name]
		d, err := cloud.NewDriver(cloud.DriverConfig{Plan: p, Node: pn, Client: client, SIDs: cc.sids})
		if err != nil {
			return nil, cleanup, fmt.Errorf("node %s: %w", pn.Name, err)
		}
		closers = append(closers, func() {
			_ = d.Close()
			st := client.Stats()
			fmt.Fprintf(env.Stderr, "callplan: node %s: %d API requests; retried %d answers 429 and %d 5xx\n",
				pn.Name, st.Requests, st.Retries429, st.Retries5xx)
		})
		if listen := pn.Twilio.CallbackListen; listen != "" {
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return nil, cleanup, fmt.Errorf("node %s: status callbacks: %w", pn.Name, err)
			}
			srv := &http.Server{Handler: d.Node().CallbackHandler(), ReadHeaderTimeout: 10 * time.Second}
			go func() { _ = srv.Serve(ln) }()
			closers = append(closers, func() { _ = srv.Close() })
			fmt.Fprintf(env.Stderr, "callplan: node %s: status callbacks on %s (public %s)\n", pn.Name, ln.Addr(), pn.Twilio.StatusCallback)
		}
		fmt.Fprintf(env.Stderr, "callplan: node %s ok (%s, %s)\n", pn.Name, pn.Twilio.BaseURL, client.Credentials())
		out = append(out, openNode{plan: pn, spec: runner.NodeSpec{
			Name: pn.Name, Driver: d, MaxSessions: pn.MaxSessions, Weight: pn.Weight,
			Caller: true, OneLeg: true,
		}})
	}
	return out, cleanup, nil
}
