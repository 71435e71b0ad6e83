package agent

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/callplan/callplan/internal/queue"
)

// chanState is FreeSWITCH's channel state (switch_channel_state_t).
type chanState int

const (
	csNew chanState = iota
	csInit
	csRouting
	csSoftExecute
	csExecute
	csExchangeMedia
	csPark
	csConsumeMedia
	csHibernate
	csReset
	csHangup
	csReporting
	csDestroy
	csNone
)

var stateNames = [...]string{"CS_NEW", "CS_INIT", "CS_ROUTING", "CS_SOFT_EXECUTE", "CS_EXECUTE",
	"CS_EXCHANGE_MEDIA", "CS_PARK", "CS_CONSUME_MEDIA", "CS_HIBERNATE", "CS_RESET", "CS_HANGUP",
	"CS_REPORTING", "CS_DESTROY", "CS_NONE"}

func (s chanState) String() string { return stateNames[s] }

// Call states (switch_channel_callstate_t) and their numbers.
var callStateNumbers = map[string]int{"DOWN": 0, "DIALING": 1, "RINGING": 2, "EARLY": 3,
	"ACTIVE": 4, "HELD": 5, "RING_WAIT": 6, "HANGUP": 7, "UNHELD": 8}

// channel is one leg: FreeSWITCH's session. Its goroutine (run) fires all of
// its events in order and executes its apps; other goroutines talk to it
// through its mailbox.
type channel struct {
	a        *Agent
	uuid     string
	outbound bool
	name     string
	sessID   uint64

	mu          sync.Mutex
	state       chanState
	stateNum    int
	callState   string
	answerState string
	hitDialplan bool
	vars        varList
	prof        callerProfile
	flipped     bool
	codecSet    bool
	created     time.Time
	progress    time.Time
	media       time.Time
	answered    time.Time
	hungup      time.Time
	usecs       [5]usecMemo // the times above as text (usecOf)
	usecNext    int
	hangup      *hangupInfo
	pending     *hangupInfo // requested, not yet processed by the goroutine
	app         string      // running app
	appArg      string
	leg         sipLeg
	lastAppResp string
	apps        mediaApps // running media apps (app_media.go)

	// mbox holds operations for the channel goroutine, so signalling
	// callbacks and other goroutines never wait for it.
	mbox queue.Queue[func()]
	// eventLock counts running sendmsg apps sent with event-lock; while
	// it is non-zero, later sendmsg messages wait in held (2.8). Both are
	// touched only on the channel goroutine.
	eventLock int
	held      []func()
	dtmf      dtmfQueue     // received digits (app_dtmf.go); channel goroutine only
	audio     audioBug      // uuid_audio's media bug (app_audio.go); channel goroutine only
	hupCh     chan struct{} // closed when hangup starts
	hupOnce   sync.Once
	done      chan struct{} // closed after CHANNEL_DESTROY
}

// callerProfile is the Caller-* block (switch_caller_profile_t).
type callerProfile struct {
	username, dialplan, cidName, cidNumber, origCIDName, origCIDNumber string
	calleeName, calleeNumber, networkAddr, ani, destination, source    string
	context                                                            string
}

func newChannel(a *Agent, uuid string, outbound bool) *channel {
	c := &channel{
		a:           a,
		uuid:        uuid,
		outbound:    outbound,
		callState:   "DOWN",
		answerState: "ringing",
		created:     time.Now(),
		hupCh:       make(chan struct{}),
		done:        make(chan struct{}),
	}
	if a != nil {
		c.vars.names = &a.varNames
	}
	return c
}

// setState moves the channel to s and fires CHANNEL_STATE.
func (c *channel) setState(s chanState) {
	c.mu.Lock()
	c.state = s
	c.stateNum = int(s)
	c.mu.Unlock()
	c.fire("CHANNEL_STATE", nil)
}

// setCallState changes the call state and fires CHANNEL_CALLSTATE.
func (c *channel) setCallState(cs string) {
	c.mu.Lock()
	orig := c.callState
	if orig == cs {
		c.mu.Unlock()
		return
	}
	c.callState = cs
	c.mu.Unlock()
	c.fire("CHANNEL_CALLSTATE", func(e *event) {
		e.Headers = append(e.Headers,
			header{"Original-Channel-Call-State", orig},
			header{"Channel-Call-State-Number", strconv.Itoa(callStateNumbers[cs])})
	})
}

func (c *channel) varCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.vars.list)
}

// setVar sets a channel variable (empty value unsets it).
func (c *channel) setVar(name, value string) {
	c.mu.Lock()
	c.vars.set(name, value)
	c.mu.Unlock()
}

func (c *channel) getVar(name string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.vars.get(name)
}

func (c *channel) isHungup() bool {
	select {
	case <-c.hupCh:
		return true
	default:
		return false
	}
}

// wait runs mailbox ops until stop returns true or the channel hangs up. It
// is the body of park and of every blocking app.
func (c *channel) wait(stop func() bool, timer <-chan time.Time) (timedOut bool) {
	for {
		if c.isHungup() {
			return false
		}
		if stop != nil && stop() {
			return false
		}
		if c.mbox.Len() > 0 {
			// Queued behind the operation this wait runs inside, whose
			// caller took the mailbox's token (see runOps).
			c.runOps()
			continue
		}
		select {
		case <-c.mbox.Ready():
			c.runOps()
		case <-c.hupCh:
		case <-timer:
			return true
		}
	}
}

// runOps runs what is queued, without waiting, taking one operation out
// at a time. An operation may run an app (a broadcast), which waits in a
// nested wait until it ends; the operations queued behind it must still be
// in the mailbox for that wait to run them. Taken out as one batch, they
// would wait for the app: an api command's operation (uuid_audio,
// uuid_record, uuid_send_dtmf) behind an endless playback never ran, and
// since the ESL connection runs its api commands one after the other, every
// later command on that connection waited with it (every call of
// scenarios/media.yaml hung over internal/memconn).
func (c *channel) runOps() {
	for range c.mbox.Len() {
		op, ok := c.mbox.TryPop()
		if !ok {
			return
		}
		op()
	}
}

// do runs op on the channel goroutine and waits for its result. It fails
// when the channel is gone.
func (c *channel) do(op func() error) error {
	res := make(chan error, 1)
	c.mbox.Push(func() { res <- op() })
	select {
	case err := <-res:
		return err
	case <-c.done:
		select {
		case err := <-res:
			return err
		default:
			return errNoChannel
		}
	}
}

// showRow is the channel as a `show channels` row.
func (c *channel) showRow(hostname string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.prof
	codec, rate, bits := "", "", ""
	if c.codecSet {
		codec, rate, bits = c.mediaLocked().Codec, "8000", "64000"
	}
	callUUID := ""
	if v, ok := c.vars.get("call_uuid"); ok && c.outbound {
		callUUID = v
	}
	return []string{c.uuid, c.direction(), c.created.Local().Format("2006-01-02 15:04:05"),
		strconv.FormatInt(c.created.Unix(), 10), c.name, c.state.String(), p.cidName, p.cidNumber,
		p.networkAddr, p.destination, c.app, c.appArg, p.dialplan, p.context, codec, rate, bits,
		codec, rate, bits, "", hostname, "", "", "", c.callState, p.calleeName, p.calleeNumber, "",
		callUUID, "", "", p.origCIDName, p.origCIDNumber, p.networkAddr, p.destination, p.dialplan,
		p.context}
}

var showChannelsColumns = strings.Split("uuid,direction,created,created_epoch,name,state,cid_name,cid_num,ip_addr,dest,application,application_data,dialplan,context,read_codec,read_rate,read_bit_rate,write_codec,write_rate,write_bit_rate,secure,hostname,presence_id,presence_data,accountcode,callstate,callee_name,callee_num,callee_direction,call_uuid,sent_callee_name,sent_callee_num,initial_cid_name,initial_cid_num,initial_ip_addr,initial_dest,initial_dialplan,initial_context", ",")
