package agent

import (
	"github.com/callplan/callplan/agent/media"
)

// start_dtmf and stop_dtmf, after mod_dptools.c and
// switch_ivr_inband_dtmf_session in switch_ivr_async.c: a media bug
// ("inband_dtmf") runs libteletone's DTMF detector over what the leg
// receives; each digit it hears is queued on the channel like a received
// RFC 4733 digit, so the running app dequeues it as a DTMF event, with
// DTMF-Source: INBAND_AUDIO (switch_channel.c's name for
// SWITCH_DTMF_INBAND_AUDIO). Both apps set no response. The bug is
// SMBF_ONE_ONLY: a second start_dtmf while one runs adds nothing.
// FreeSWITCH pre-answers the leg first; the bug's MEDIA_BUG_START has no
// Media-Bug-Target (the bug has none).

// dtmfSource is the DTMF event's DTMF-Source for a digit.
func dtmfSource(d media.Digit) string {
	if d.Inband {
		return "INBAND_AUDIO"
	}
	return "RTP"
}

func (c *channel) startInbandDTMF() error {
	s, err := c.session()
	if err != nil {
		return err
	}
	if err := c.preAnswer(); err != nil && !c.outbound {
		return err
	}
	c.apps.mu.Lock()
	running := c.apps.inband != nil
	c.apps.mu.Unlock()
	if running {
		return nil
	}
	sink := media.NewInbandDTMF(c.ReceivedDTMF)
	remove := s.AddSink(sink)
	c.apps.mu.Lock()
	c.apps.inband = remove
	c.apps.mu.Unlock()
	c.fireAt("MEDIA_BUG_START", "", siteMediaBugStart, func(e *event) {
		e.Headers = append(e.Headers, header{"Media-Bug-Function", "inband_dtmf"})
	}, nil)
	return nil
}

// stopInbandDTMF removes the detector with MEDIA_BUG_STOP (stop_dtmf, and
// at hangup as FreeSWITCH removes every bug).
func (c *channel) stopInbandDTMF() {
	c.apps.mu.Lock()
	remove := c.apps.inband
	c.apps.inband = nil
	c.apps.mu.Unlock()
	if remove == nil {
		return
	}
	remove()
	c.fireAt("MEDIA_BUG_STOP", "", siteMediaBugStop, func(e *event) {
		e.Headers = append(e.Headers, header{"Media-Bug-Function", "inband_dtmf"})
	}, nil)
}
