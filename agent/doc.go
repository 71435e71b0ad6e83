// Package agent is callplan's embedded call generator: a process that speaks
// FreeSWITCH's inbound Event Socket protocol and places and receives real SIP
// calls with RTP media, so a plan runs without FreeSWITCH.
//
// It owns the ESL server (auth, event subscriptions and filters, api, bgapi,
// sendmsg, bounded per-client event queues; frames from package esl), the
// channel model (one goroutine per leg firing FreeSWITCH's events in
// FreeSWITCH's order with its header sets, variables and hangup causes), the
// originate command and its dial-string grammar, the API commands and apps a
// load tester uses, HEARTBEAT, and the max_sessions/sps limits. SIP and RTP
// come from agent/sip and agent/media behind the narrow signalling interface
// in signalling.go, which the tests also fake.
//
// Start one with New and Start; Addr is its ESL address and SIPAddr its SIP
// profile. docs/agent.md describes the behaviour and every known difference
// from FreeSWITCH.
package agent
