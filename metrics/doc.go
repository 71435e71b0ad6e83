// Package metrics owns what is measured: the call record (CDR) streamed to
// disk as each call ends, the per-second time series, HDR histograms of
// latencies, and the summary per run, stage, flow and node.
package metrics
