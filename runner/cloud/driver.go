package cloud

import (
	"context"
	"fmt"
	"time"

	"github.com/callplan/callplan/flows"
	"github.com/callplan/callplan/plan"
	"github.com/callplan/callplan/runner"
	"github.com/callplan/callplan/twilio"
)

// Driver is a cloud node as the runner drives it (runner.Driver): one run's
// calls on one twilio:// node of a plan. Its calls have one leg (the
// NodeSpec must say OneLeg), whose id is the call id.
//
// How the API's view maps to leg events: a created call is the job's
// result (+OK SID) and the caller leg's EventCreated at date_created;
// dialling (start_time) is EventProgress; in-progress is EventAnswered;
// a final status is EventHungUp with the status's cause at end_time. A
// create the API refused (4xx) is a failed job result with the mapped
// cause; a create whose fate is unknown (5xx after retries, transport
// error) is Originate's error, so the call counts unknown.
type Driver struct {
	node  *Node
	plan  *plan.Plan
	pn    plan.Node
	flows map[string]plan.Flow
	q     *runner.EventQueue

	cancel context.CancelFunc
	done   chan struct{}
}

var _ runner.Driver = (*Driver)(nil)

// DriverConfig is what a Driver is built from.
type DriverConfig struct {
	Plan   *plan.Plan
	Node   plan.Node // a twilio:// node of Plan
	Client *twilio.Client
	// SIDs records every created call's SID (the results' sids.csv).
	SIDs *SIDWriter
}

// NewDriver starts the driver (its status poller runs until Close).
func NewDriver(cfg DriverConfig) (*Driver, error) {
	if !cfg.Node.Cloud {
		return nil, fmt.Errorf("node %s is not a cloud node", cfg.Node.Name)
	}
	d := &Driver{plan: cfg.Plan, pn: cfg.Node, flows: map[string]plan.Flow{}, q: runner.NewEventQueue(), done: make(chan struct{})}
	for _, f := range cfg.Plan.Flows {
		d.flows[f.Name] = f
	}
	t := cfg.Node.Twilio
	n, err := New(Config{
		Name: cfg.Node.Name, Client: cfg.Client, CPS: t.CPS,
		PollRate: t.PollRate, PollInterval: t.PollInterval.D(), CallbackURL: t.StatusCallback,
		Created: func(callID, sid string, at time.Time) error {
			if cfg.SIDs == nil {
				return nil
			}
			return cfg.SIDs.Add(cfg.Node.Name, callID, sid, at)
		},
		Handle: d.handle,
	})
	if err != nil {
		d.q.Close()
		return nil, err
	}
	d.node = n
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	go func() {
		defer close(d.done)
		n.Run(ctx)
	}()
	return d, nil
}

// Node is the driver's cloud node (its client's Stats, its callback
// handler).
func (d *Driver) Node() *Node { return d.node }

// Params maps the plan's view of a cloud call to the API's create
// parameters.
func Params(cc plan.CloudCall) twilio.CreateParams {
	return twilio.CreateParams{
		To: cc.To, From: cc.From, Twiml: cc.Twiml, URL: cc.TwimlURL,
		Timeout:   int(cc.Timeout / time.Second),
		TimeLimit: int(cc.TimeLimit / time.Second),
	}
}

// Originate creates the call through the API; it returns once the API has
// answered (the SID is then on record).
func (d *Driver) Originate(ctx context.Context, o runner.Origination) error {
	f, ok := d.flows[o.Flow]
	if !ok {
		return fmt.Errorf("%w: no flow %q in the plan", runner.ErrBadOrigination, o.Flow)
	}
	cc := d.plan.CloudCallFor(d.pn, f, plan.Call{ID: o.CallID, RunID: o.RunID, Flow: o.Flow, Stage: o.Stage})
	err := d.node.Originate(ctx, o.CallID, Params(cc))
	if err != nil && refusedForSure(err) {
		return nil // handle has queued the failed job result
	}
	return err
}

// Act ends a call (ActHangup: canceled before answer, completed after);
// a REST API offers no other leg action.
func (d *Driver) Act(ctx context.Context, legID string, a runner.Action) error {
	if a.Kind != runner.ActHangup {
		return fmt.Errorf("%w: %s on a cloud call", runner.ErrUnsupported, a.Kind)
	}
	return d.node.Hangup(ctx, legID)
}

// EndRun ends every call this driver created that is not over. The
// driver serves one run, so they are all runID's.
func (d *Driver) EndRun(ctx context.Context, _, _ string) (string, error) {
	n, err := d.node.EndAll(ctx)
	return fmt.Sprintf("%d calls ended through the API", n), err
}

// Health reports this run's live calls on the node; the API publishes no
// session limit or CPU.
func (d *Driver) Health() runner.Health {
	h := runner.UnknownHealth()
	h.Sessions = d.node.Live()
	return h
}

// Events delivers the calls' leg events.
func (d *Driver) Events() <-chan runner.LegEvent { return d.q.Events() }

// Close stops following the calls and closes Events. It does not end
// calls: EndRun does.
func (d *Driver) Close() error {
	d.cancel()
	<-d.done
	d.q.Close()
	return nil
}

// handle turns a node event into leg events.
func (d *Driver) handle(e Event) {
	fields, counts := Figures(e)
	leg := runner.LegEvent{LegID: e.CallID, Leg: flows.LegCaller, NodeTime: e.At, Received: e.Received, Fields: fields, Counts: counts}
	switch e.Kind {
	case Created:
		job := runner.LegEvent{Kind: runner.EventJobResult, CallID: e.CallID, Result: "+OK " + e.SID,
			NodeTime: e.At, Received: e.Received, Fields: fields}
		d.q.Push(job)
		leg.Kind, leg.Fields = runner.EventCreated, nil
		d.q.Push(leg)
	case Ringing:
		leg.Kind = runner.EventProgress
		d.q.Push(leg)
	case Answered:
		leg.Kind = runner.EventAnswered
		d.q.Push(leg)
	case Ended:
		leg.Kind, leg.Cause = runner.EventHungUp, Cause(e.Call.Status)
		d.q.Push(leg)
	case Refused:
		if !refusedForSure(e.Err) {
			return // Originate returns the error: the call is unknown
		}
		cause := CreateCause(e.Err)
		d.q.Push(runner.LegEvent{Kind: runner.EventJobResult, CallID: e.CallID, Result: "-ERR " + cause,
			Failed: true, Cause: cause, Received: e.Received, Fields: fields, Counts: counts})
	}
}
