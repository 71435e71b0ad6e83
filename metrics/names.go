package metrics

// Metric names. Each is defined (what it counts, or what interval it runs
// from and to) in docs/metrics.md; the same names are the JSON keys of a
// Summary, the expr names assertions use, and the column names of
// timeseries.csv and cdr.csv. They never change meaning.
const (
	// Counts.
	NameOffered   = "offered"       // arrivals the pacer produced
	NameCalls     = "calls"         // originates sent (bgapi originate issued)
	NameAnswered  = "answered"      // calls whose caller leg was answered
	NameOK        = "ok"            // calls that ended as their flow expects
	NameFailed    = "failed"        // calls that did not end as their flow expects
	NameUnknown   = "unknown"       // calls whose outcome was lost (node connection dropped)
	NameDropped   = "dropped"       // arrivals not originated: concurrency limit reached
	NameThrottled = "throttled"     // arrivals not originated: every eligible node saturated or full
	NameMissed    = "missed"        // arrivals not sent within MissAfter of their due time, or before their stage ended
	NameNoCallee  = "no_callee_leg" // failure reason: the callee leg never arrived
	NameActive    = "active"        // calls in progress (originate sent, record not yet ended)
	NameErlangs   = "erlangs"       // call-seconds per second of wall time
	NameCPS       = "cps"           // originates sent per second

	// Ratios.
	NameASR     = "asr"     // answered / calls
	NameSuccess = "success" // ok / calls

	// Intervals (HDR histograms).
	NamePDD           = "pdd"            // caller create -> first caller progress or answer
	NameSetupLatency  = "setup_latency"  // caller create -> callee create
	NameAnswerLatency = "answer_latency" // caller create -> caller answer
	NameDuration      = "duration"       // caller answer -> caller hangup
	NamePacingLag     = "pacing_lag"     // an arrival's due time -> when the runner sent it

	// Audio quality of calls with media, each call by its worse direction.
	NameMOS    = "mos"    // rtp_audio_in_mos (1.0-4.5)
	NameLoss   = "loss"   // lost / expected packets
	NameJitter = "jitter" // interarrival jitter (RFC 3550)

	// Breakdowns.
	NameCauses   = "causes"   // calls by caller-leg hangup cause (or originate -ERR cause)
	NameSIP      = "sip"      // calls by final SIP status seen on the caller leg
	NameReasons  = "reasons"  // failed calls by reason
	NameCounters = "counters" // a flow's own counters, e.g. reject's "unexpected"
)
