package agent

import (
	"strconv"
	"time"
)

// This file is a channel's call progress: ringing, early media, answer,
// the CODEC events and the CALL_UPDATE of a successful originate.

// markRingReady records 180 (sent or received) and fires CHANNEL_PROGRESS.
func (c *channel) markRingReady() {
	c.mu.Lock()
	if !c.progress.IsZero() || !c.answered.IsZero() {
		c.mu.Unlock()
		return
	}
	c.progress = time.Now()
	c.mu.Unlock()
	c.fire("CHANNEL_PROGRESS", nil)
	if c.outbound {
		c.setCallState("RINGING")
	}
}

// setCodecs fires the two CODEC events of media set-up (captured: 01).
func (c *channel) setCodecs() {
	c.mu.Lock()
	if c.codecSet {
		c.mu.Unlock()
		return
	}
	c.codecSet = true
	m := c.mediaLocked()
	c.vars.set("rtp_use_codec_name", m.Codec)
	c.vars.set("rtp_use_codec_rate", "8000")
	c.vars.set("rtp_use_codec_ptime", "20")
	c.vars.set("rtp_use_codec_channels", "1")
	c.vars.set("read_codec", m.Codec)
	c.vars.set("original_read_codec", m.Codec)
	c.vars.set("read_rate", "8000")
	c.vars.set("original_read_rate", "8000")
	c.vars.set("write_codec", m.Codec)
	c.vars.set("write_rate", "8000")
	c.vars.set("dtmf_type", "rfc2833")
	if m.LocalPort != 0 {
		c.vars.set("local_media_ip", m.LocalIP)
		c.vars.set("local_media_port", strconv.Itoa(m.LocalPort))
		c.vars.set("advertised_media_ip", m.LocalIP)
		c.vars.set("rtp_use_pt", strconv.Itoa(m.PT))
	}
	if m.RemotePort != 0 {
		c.vars.set("remote_media_ip", m.RemoteIP)
		c.vars.set("remote_media_port", strconv.Itoa(m.RemotePort))
	}
	if m.LocalSDP != "" {
		c.vars.set("rtp_local_sdp_str", m.LocalSDP)
	}
	if m.RemoteSDP != "" {
		c.vars.set("switch_r_sdp", m.RemoteSDP)
	}
	c.mu.Unlock()
	codecHeaders := func(e *event) {
		e.Headers = append(e.Headers,
			header{"channel-read-codec-name", m.Codec},
			header{"channel-read-codec-rate", "8000"},
			header{"channel-read-codec-bit-rate", "64000"})
	}
	c.fireWith("CODEC", nil, codecHeaders)
	c.fireWith("CODEC", nil, func(e *event) {
		e.Headers = append(e.Headers,
			header{"Channel-Write-Codec-Name", m.Codec},
			header{"Channel-Write-Codec-Rate", "8000"},
			header{"Channel-Write-codec-bit-rate", "64000"})
	})
}

// markPreAnswered records early media and fires CHANNEL_PROGRESS_MEDIA.
func (c *channel) markPreAnswered() {
	c.mu.Lock()
	if !c.media.IsZero() || !c.answered.IsZero() {
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	if !c.outbound {
		c.setCodecs()
	}
	c.mu.Lock()
	c.media = time.Now()
	c.answerState = "early"
	c.vars.set("endpoint_disposition", "EARLY MEDIA")
	c.mu.Unlock()
	c.fire("CHANNEL_PROGRESS_MEDIA", nil)
	c.setCallState("EARLY")
	if c.outbound {
		c.setCodecs()
	}
}

// markAnswered records the answer and fires CHANNEL_ANSWER.
func (c *channel) markAnswered() {
	c.mu.Lock()
	if !c.answered.IsZero() {
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	c.setCodecs()
	c.mu.Lock()
	c.answered = time.Now()
	c.answerState = "answered"
	c.vars.set("endpoint_disposition", "ANSWER")
	c.mu.Unlock()
	c.fire("CHANNEL_ANSWER", nil)
	c.setCallState("ACTIVE")
}

func (c *channel) peerIP() string {
	if c.leg == nil {
		return ""
	}
	return c.leg.Info().NetworkIP
}

// fireCallUpdate flips caller and callee on an outbound leg, as FreeSWITCH
// does when its originate succeeds: at the answer, or at early media unless
// ignore_early_media (captured: 01, 09, 09b).
func (c *channel) fireCallUpdate() {
	c.mu.Lock()
	if c.flipped {
		c.mu.Unlock()
		return
	}
	c.flipped = true
	c.hitDialplan = true
	p := &c.prof
	p.networkAddr = c.peerIP()
	c.vars.set("pre_transfer_caller_id_number", p.cidNumber)
	c.vars.set("channel_cid_flipped", "yes")
	p.cidName, p.cidNumber, p.calleeName, p.calleeNumber = p.calleeNumber, p.calleeNumber, "", p.cidNumber
	c.mu.Unlock()
	c.fire("CALL_UPDATE", func(e *event) {
		e.Headers = append(e.Headers, header{"Direction", "RECV"})
	})
}
