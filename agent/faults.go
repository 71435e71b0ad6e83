package agent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/callplan/callplan/agent/sip"
	"github.com/callplan/callplan/internal/hangup"
)

// Fault injection on the agent's SIP side, for plans that test a load
// balancer or proxy in front of agents: stop and start the profile (as
// `sofia profile external stop|start` does on FreeSWITCH: its calls are
// hung up, its port closes, and later it listens on the same address
// again), refuse new calls, stop answering, or answer late. The Event
// Socket stays up throughout, so the runner keeps its view of the node
// and the node's own calls end with the events FreeSWITCH would send.

// FaultKind is what Inject does.
type FaultKind string

// Fault kinds (the plan's fault actions).
const (
	FaultStop      FaultKind = "stop"
	FaultStart     FaultKind = "start"
	FaultReject    FaultKind = "reject"
	FaultBlackhole FaultKind = "blackhole"
	FaultSlow      FaultKind = "slow"
	FaultHeal      FaultKind = "heal"
)

// Fault is one change to the agent's SIP side. Code is reject's SIP
// status (503 when not 400-699); Delay is how long slow holds each new
// INVITE.
type Fault struct {
	Kind  FaultKind
	Code  int
	Delay time.Duration
}

// ErrNoProfile: the agent runs without its own SIP profile (a test's
// signalling), so there is nothing to inject faults into.
var ErrNoProfile = errors.New("the agent has no SIP profile of its own")

// Inject applies a fault now. Reject, blackhole and slow replace each
// other and last until heal; they survive a stop and start.
func (a *Agent) Inject(ctx context.Context, f Fault) error {
	s, ok := a.sig.(*sipSignalling)
	if !ok {
		return ErrNoProfile
	}
	switch f.Kind {
	case FaultStop:
		return s.stop(ctx)
	case FaultStart:
		return s.start(ctx)
	case FaultReject:
		s.setFault(sip.Fault{Mode: sip.FaultReject, Code: f.Code})
	case FaultBlackhole:
		s.setFault(sip.Fault{Mode: sip.FaultBlackhole})
	case FaultSlow:
		s.setFault(sip.Fault{Mode: sip.FaultSlow, Delay: f.Delay})
	case FaultHeal:
		s.setFault(sip.Fault{})
	default:
		return fmt.Errorf("unknown fault %q", f.Kind)
	}
	a.log.Info("fault injected", "fault", string(f.Kind))
	return nil
}

// errProfileStopped is an originate's failure while the profile is
// stopped: FreeSWITCH has no profile to send the INVITE through.
var errProfileStopped = &dialError{cause: hangup.NetworkOutOfOrder, err: errors.New("sip profile stopped")}

func (s *sipSignalling) setFault(f sip.Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
	if p := s.prof.Load(); p != nil {
		p.SetFault(f)
	}
}

// stop closes the profile: its calls are hung up (BYE), its port closes.
func (s *sipSignalling) stop(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.prof.Swap(nil)
	if p == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		return fmt.Errorf("stopping sip profile: %w", err)
	}
	return nil
}

// start opens the profile again on the address it had.
func (s *sipSignalling) start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.prof.Load() != nil {
		return nil
	}
	p, err := sip.Start(ctx, s.cfg)
	if err != nil {
		return fmt.Errorf("starting sip profile again: %w", err)
	}
	p.SetFault(s.fault)
	s.prof.Store(p)
	return nil
}
