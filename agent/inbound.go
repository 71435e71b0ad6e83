package agent

import (
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/callplan/callplan/internal/hangup"
)

// handleInvite turns a new INVITE into an inbound channel parked in the
// agent's one-line dialplan (the external profile's public context parks
// every call). Over max_sessions or sps it answers 503 "Maximum Calls In
// Progress", as FreeSWITCH does.
func (a *Agent) handleInvite(inv inboundInvite) {
	info := inv.Info()
	c := newChannel(a, a.newUUID(), false)
	c.leg = inv
	c.hitDialplan = true
	c.name = "sofia/external/" + info.FromUser + "@" + info.FromHost
	c.prof = callerProfile{
		username: info.FromUser, dialplan: "XML", cidName: info.FromUser, cidNumber: info.FromUser,
		origCIDName: info.FromUser, origCIDNumber: info.FromUser, networkAddr: info.NetworkIP,
		ani: info.FromUser, destination: info.ReqUser, source: "mod_sofia", context: "public",
	}
	if err := a.addChannel(c); err != nil {
		a.log.Debug("inbound call refused", "err", err)
		_ = inv.Reject(503, "Maximum Calls In Progress", hangup.NormalTemporaryFailure)
		return
	}
	media := inv.Media()
	// The leg is listed now (hupall, show channels): its variables are
	// written under its lock, as every later writer does.
	c.mu.Lock()
	v := &c.vars
	v.set("direction", "inbound")
	v.set("uuid", c.uuid)
	v.set("session_id", strconv.FormatUint(c.sessID, 10))
	v.set("sip_from_user", info.FromUser)
	v.set("sip_from_uri", info.FromUser+"@"+info.FromHost)
	v.set("sip_from_host", info.FromHost)
	v.set("video_media_flow", "disabled")
	v.set("audio_media_flow", "disabled")
	v.set("text_media_flow", "disabled")
	v.set("channel_name", c.name)
	v.set("sip_call_id", info.CallID)
	v.set("sip_local_network_addr", a.sipHost())
	v.set("sip_network_ip", info.NetworkIP)
	v.set("sip_network_port", info.NetPort)
	v.set("sip_invite_stamp", strconv.FormatInt(time.Now().UnixMicro(), 10))
	v.set("sip_received_ip", info.NetworkIP)
	v.set("sip_received_port", info.NetPort)
	v.set("sip_via_protocol", strings.ToLower(firstNonEmpty(info.Transport, "udp")))
	v.set("sip_from_user_stripped", info.FromUser)
	v.set("sip_from_tag", info.FromTag)
	v.set("sofia_profile_name", "external")
	v.set("sofia_profile_url", "sip:mod_sofia@"+a.sipAddrOrDefault())
	v.set("recovery_profile_name", "external")
	v.set("sip_req_user", info.ReqUser)
	v.set("sip_req_port", info.ReqPort)
	reqHost := info.ReqHost
	if info.ReqPort != "" {
		reqHost = net.JoinHostPort(info.ReqHost, info.ReqPort)
	}
	v.set("sip_req_uri", info.ReqUser+"@"+reqHost)
	v.set("sip_req_host", info.ReqHost)
	v.set("sip_to_user", info.ToUser)
	v.set("sip_to_uri", info.ToUser+"@"+info.ToHost)
	v.set("sip_to_host", info.ToHost)
	v.set("rtp_use_codec_string", "PCMU,PCMA")
	v.set("sip_user_agent", info.UserAgent)
	// Received X-/P- headers become sip_h_<name as received>; repeats get
	// -1, -2, ... (3.8).
	seen := map[string]int{}
	for _, h := range info.Headers {
		name := "sip_h_" + h.Name
		if n := seen[h.Name]; n > 0 {
			name += "-" + strconv.Itoa(n)
		}
		seen[h.Name]++
		v.set(name, h.Value)
	}
	if media.RemoteSDP != "" {
		v.set("switch_r_sdp", media.RemoteSDP)
	}
	v.set("endpoint_disposition", "DELAYED NEGOTIATION")
	c.mu.Unlock()
	inv.Bind(c)
	a.work.Go(c.runInbound)
}

// runInbound is an inbound leg's goroutine: routing, then park.
func (c *channel) runInbound() {
	c.mu.Lock()
	c.state = csNew
	c.mu.Unlock()
	c.fire("CHANNEL_STATE", nil)
	c.setState(csInit)
	c.fire("CHANNEL_CREATE", nil)
	c.setCallState("RINGING")
	c.setState(csRouting)
	c.setState(csExecute)
	c.mu.Lock()
	dest := c.prof.destination
	c.vars.set("DP_MATCH", "ARRAY::"+dest+"|:"+dest)
	c.vars.set("call_uuid", c.uuid)
	c.mu.Unlock()
	c.runOps()
	if !c.isHungup() {
		c.execute("park", "", "", "")
	}
	c.endOfApps()
}
