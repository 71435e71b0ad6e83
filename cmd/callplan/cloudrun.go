package main

import (
	"context"
	"fmt"

	"github.com/callplan/callplan/plan"
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

// Close closes the SIDs file.
func (cc *cloudClients) Close() error { return cc.sids.Close() }

// cloudStats sums the API clients' retry counters, for the report.
func (cc *cloudClients) stats() twilio.Stats {
	var s twilio.Stats
	for _, c := range cc.clients {
		st := c.Stats()
		s.Requests += st.Requests
		s.Retries429 += st.Retries429
		s.Retries5xx += st.Retries5xx
	}
	return s
}
