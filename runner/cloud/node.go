package cloud

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/callplan/callplan/twilio"
)

// createTimeout bounds one create request, retries included.
const createTimeout = 30 * time.Second

// Config configures a Node.
type Config struct {
	Name   string
	Client *twilio.Client
	// CPS caps create requests per second, evenly spaced; 0: no cap
	// beyond the caller's own pace.
	CPS float64
	// PollRate caps status requests per second; PollInterval is the
	// shortest time between two fetches of one call.
	PollRate     float64
	PollInterval time.Duration
	// Created is called with each new call's SID before Originate returns
	// and before any event about the call. An error ends the call at once
	// (a call that is not on record could not be ended by a later
	// `callplan hangup`) and fails the originate.
	Created func(callID, sid string, at time.Time) error
	// Handle receives every event, from the node's goroutines; it must not
	// block for long.
	Handle func(Event)
	// CallbackURL, when set, is the public URL at which the API can reach
	// CallbackHandler: calls then ask for status callbacks (ringing,
	// answered, completed) and polling only backs them up, every
	// CallbackPollFactor polling intervals.
	CallbackURL string
}

// CallbackPollFactor slows polling when status callbacks carry the news:
// a poll then only catches a callback that never arrived.
const CallbackPollFactor = 10

// Node places and follows the calls of one cloud node for one run.
type Node struct {
	cfg    Config
	pace   *twilio.Pace
	poller *twilio.Poller

	// token authenticates status callbacks; callbackURL carries it.
	token       string
	callbackURL string

	mu    sync.Mutex
	calls map[string]*state // by call id
	bySID map[string]*state
	// early holds status callbacks that arrived before their create
	// request's answer (the API may post at once), replayed when it does.
	early map[string][]early
}

type early struct {
	call     twilio.Call
	received time.Time
}

// maxEarly bounds the callbacks kept for SIDs not (yet) known, so posts
// about other runs' calls cannot grow it without end.
const maxEarly = 10000

// state is what the node knows of one call.
type state struct {
	id, sid  string
	status   twilio.Status
	ringing  bool
	answered bool
	ended    bool
	retries  *twilio.Retries
}

// New returns a node; Run must be running for status changes to be seen.
func New(cfg Config) (*Node, error) {
	if cfg.Client == nil || cfg.Handle == nil {
		return nil, errors.New("cloud node: Client and Handle are required")
	}
	if cfg.PollRate <= 0 {
		cfg.PollRate = 5
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	n := &Node{cfg: cfg, pace: twilio.NewPace(cfg.CPS), calls: map[string]*state{}, bySID: map[string]*state{}, early: map[string][]early{}}
	every := cfg.PollInterval
	if cfg.CallbackURL != "" {
		u, err := url.Parse(cfg.CallbackURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("cloud node %s: callback URL: want http(s)://host/path", cfg.Name)
		}
		// A random token in the URL: only the API, which got it in the
		// create request, can post status for this run's calls.
		var b [16]byte
		_, _ = rand.Read(b[:])
		n.token = hex.EncodeToString(b[:])
		q := u.Query()
		q.Set(callbackTokenParam, n.token)
		u.RawQuery = q.Encode()
		n.callbackURL = u.String()
		every *= CallbackPollFactor
	}
	// Two fetches in flight hide one slow answer without letting the
	// poller outrun its rate (the pace bounds it either way).
	n.poller = twilio.NewPoller(cfg.Client, cfg.PollRate, every, 2, n.polled)
	return n, nil
}

// Name is the node's name.
func (n *Node) Name() string { return n.cfg.Name }

// Client is the node's API client (its Stats count retries).
func (n *Node) Client() *twilio.Client { return n.cfg.Client }

// Run follows the calls' status until ctx ends.
func (n *Node) Run(ctx context.Context) { n.poller.Run(ctx) }

// Health proves the credentials and the base URL with one request that
// creates nothing.
func (n *Node) Health(ctx context.Context) error {
	if _, err := n.cfg.Client.FetchAccount(ctx); err != nil {
		return fmt.Errorf("node %s: %w", n.cfg.Name, err)
	}
	return nil
}

// Originate creates call callID, waiting first for the node's create pace.
// It returns once the SID is on record (Config.Created) and the Created
// event has been handled.
func (n *Node) Originate(ctx context.Context, callID string, p twilio.CreateParams) error {
	if err := n.pace.Wait(ctx); err != nil {
		return fmt.Errorf("waiting for the node's cps: %w", err)
	}
	// Once the request may have left, its answer is the only way to learn
	// the SID of a call the API may have created (and bills): a stop must
	// not abandon it. Only the pace wait above is cut short by ctx.
	if n.callbackURL != "" {
		p.StatusCallback = n.callbackURL
		p.StatusCallbackEvent = []string{twilio.EventRinging, twilio.EventAnswered, twilio.EventCompleted}
	}
	retries := &twilio.Retries{}
	cctx, cancel := context.WithTimeout(twilio.WithRetries(context.WithoutCancel(ctx), retries), createTimeout)
	call, err := n.cfg.Client.CreateCall(cctx, p)
	cancel()
	received := time.Now()
	if err != nil {
		n.cfg.Handle(Event{Kind: Refused, CallID: callID, Received: received, Err: err, Code: twilio.ErrorCode(err),
			Retried429: retries.TooMany.Load(), Retried5xx: retries.Server.Load()})
		return err
	}
	if n.cfg.Created != nil {
		if err := n.cfg.Created(callID, call.SID, received); err != nil {
			// Not on record: end it now rather than leave a billed call
			// nobody can find.
			_, _ = n.cfg.Client.EndCall(context.WithoutCancel(ctx), call.SID)
			err = fmt.Errorf("recording call SID %s: %w", call.SID, err)
			n.cfg.Handle(Event{Kind: Refused, CallID: callID, SID: call.SID, Received: received, Err: err})
			return err
		}
	}
	s := &state{id: callID, sid: call.SID, status: twilio.StatusQueued, retries: retries}
	n.mu.Lock()
	n.calls[callID] = s
	n.bySID[call.SID] = s
	replay := n.early[call.SID]
	delete(n.early, call.SID)
	n.mu.Unlock()
	n.cfg.Handle(Event{Kind: Created, CallID: callID, SID: call.SID, At: call.DateCreated, Received: received, Call: *call})
	n.observe(*call, received)
	for _, e := range replay {
		n.observe(e.call, e.received)
	}
	n.poller.Watch(call.SID, call.Status)
	return nil
}

// polled handles one poller observation.
func (n *Node) polled(u twilio.Update) {
	if u.Err != nil {
		// A failed fetch is retried at the next interval; the call's
		// status is only ever taken from an answer.
		return
	}
	n.observe(u.Call, u.Received)
}

// observe turns a view of a call into the events it implies, each at most
// once and in order: a call seen answered without having been seen ringing
// rang first (the poll missed it), so Ringing comes before Answered.
func (n *Node) observe(c twilio.Call, received time.Time) { n.observeFrom(c, received, false) }

// observeFrom is observe; a callback about an unknown SID is kept for
// when its create answer arrives.
func (n *Node) observeFrom(c twilio.Call, received time.Time, callback bool) {
	n.mu.Lock()
	s, ok := n.bySID[c.SID]
	if !ok && callback && len(n.early) < maxEarly {
		n.early[c.SID] = append(n.early[c.SID], early{c, received})
	}
	if !ok || s.ended {
		n.mu.Unlock()
		return
	}
	var evs []Event
	ev := func(k Kind, at time.Time) {
		evs = append(evs, Event{Kind: k, CallID: s.id, SID: s.sid, At: at, Received: received, Call: c})
	}
	s.status = c.Status
	dialled := c.Status == twilio.StatusRinging || c.Status == twilio.StatusInProgress ||
		(c.Status.Final() && !c.StartTime.IsZero() && c.Status != twilio.StatusFailed)
	if dialled && !s.ringing {
		s.ringing = true
		ev(Ringing, firstTime(c.StartTime, c.DateUpdated))
	}
	answered := c.Status == twilio.StatusInProgress || !c.AnswerTime().IsZero()
	if answered && !s.answered {
		s.answered = true
		// While up, the last update is the answer; once over, the API's
		// end time minus its duration is.
		ev(Answered, firstTime(c.AnswerTime(), c.DateUpdated))
	}
	if c.Status.Final() {
		s.ended = true
		ev(Ended, firstTime(c.EndTime, c.DateUpdated))
		evs[len(evs)-1].Retried429, evs[len(evs)-1].Retried5xx = s.retries.TooMany.Load(), s.retries.Server.Load()
	}
	n.mu.Unlock()
	for _, e := range evs {
		n.cfg.Handle(e)
	}
}

func firstTime(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// Hangup ends call callID: canceled while queued or ringing, completed once
// answered. Ending a call that is already over is not an error.
func (n *Node) Hangup(ctx context.Context, callID string) error {
	n.mu.Lock()
	s, ok := n.calls[callID]
	var sid string
	var status twilio.Status
	if ok {
		sid, status = s.sid, s.status
	}
	done := !ok || s.ended
	n.mu.Unlock()
	if done {
		return nil
	}
	_, err := n.end(twilio.WithRetries(ctx, s.retries), sid, status)
	return err
}

// end ends one call given its last known status, and observes the result.
func (n *Node) end(ctx context.Context, sid string, last twilio.Status) (bool, error) {
	to := twilio.StatusCanceled
	if last == twilio.StatusInProgress {
		to = twilio.StatusCompleted
	}
	call, err := n.cfg.Client.UpdateCall(ctx, sid, to)
	if err == nil && !call.Status.Final() && to == twilio.StatusCanceled {
		// Answered since we last looked: a cancel no longer applies.
		call, err = n.cfg.Client.UpdateCall(ctx, sid, twilio.StatusCompleted)
	}
	if twilio.ErrorCode(err) == twilio.CodeInvalidCallState {
		// It ended on its own meanwhile; read how.
		call, err = n.cfg.Client.FetchCall(ctx, sid)
		if err == nil {
			n.observe(*call, time.Now())
		}
		return false, err
	}
	if err != nil {
		return false, fmt.Errorf("ending call %s: %w", sid, err)
	}
	n.observe(*call, time.Now())
	return call.Status.Final(), nil
}

// EndAll ends every call of this run that is not known to be over, a few
// at a time; it returns how many this request ended. Calling it again is
// harmless.
func (n *Node) EndAll(ctx context.Context) (int, error) {
	n.mu.Lock()
	var live []*state
	for _, s := range n.calls {
		if !s.ended {
			live = append(live, &state{sid: s.sid, status: s.status, retries: s.retries})
		}
	}
	n.mu.Unlock()
	var (
		mu    sync.Mutex
		ended int
		errs  []error
		wg    sync.WaitGroup
		slots = make(chan struct{}, 4)
	)
	for _, s := range live {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			ok, err := n.end(twilio.WithRetries(ctx, s.retries), s.sid, s.status)
			mu.Lock()
			defer mu.Unlock()
			if ok {
				ended++
			}
			if err != nil {
				errs = append(errs, err)
			}
		}()
	}
	wg.Wait()
	return ended, errors.Join(errs...)
}

// Live is the number of calls not known to be over.
func (n *Node) Live() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	live := 0
	for _, s := range n.calls {
		if !s.ended {
			live++
		}
	}
	return live
}
