// Package hangup is FreeSWITCH's hangup cause table, the one list every part
// of callplan reads: each cause's name and number (switch_types.h, the
// CAUSE_CHART in switch_channel.c), the Q.850 value FreeSWITCH reports for
// it, and mod_sofia's mapping between causes and SIP final responses in both
// directions (hangup_cause_to_sip in mod_sofia.c,
// sofia_glue_sip_cause_to_freeswitch in sofia_glue.c) together with the
// Reason header that carries a cause across a SIP hop.
//
// It is a leaf: it imports only the standard library, so the agent, its SIP
// layer, the flows and the runner can all use it.
package hangup
