// Package agent is callplan's embedded call generator: a process that speaks
// FreeSWITCH's inbound Event Socket protocol and places and receives real SIP
// calls with RTP media, so a plan runs without FreeSWITCH.
package agent
