package metrics

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"testing"
	"time"
)

// benchRecord is a park call's record as an embedded run ends it: every
// timestamp on both clocks, media on both legs, no flow fields.
func benchRecord() *Record {
	t0 := time.Date(2026, 12, 7, 15, 0, 0, 123456000, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	r := &Record{
		Run: "60aece85f6dc", Call: "0b8e1c52-6f0b-4c1e-9d61-3f7f7b9c2a10", Stage: "s", Flow: "park",
		CallerNode: "embedded", CalleeNode: "embedded",
		OriginateSent: at(0), CallerCreate: at(1), CallerProgress: at(2), CallerAnswer: at(3),
		CalleeCreate: at(2), CalleeAnswer: at(3), CallerHangup: at(1003), CalleeHangup: at(1004),
		CallerCause: "NORMAL_CLEARING", CalleeCause: "NORMAL_CLEARING", SIPStatus: 200,
		OriginateResult: "+OK 0b8e1c52-6f0b-4c1e-9d61-3f7f7b9c2a10", EndedByFlow: true, Outcome: OutcomeOK,
		CallerMedia: LegMedia{Packets: 50, Jitter: 200 * time.Microsecond, MOS: 4.41},
		CalleeMedia: LegMedia{Packets: 50, Jitter: 300 * time.Microsecond, MOS: 4.41},
	}
	r.Received = Received{CallerCreate: at(1), CallerProgress: at(2), CallerAnswer: at(3),
		CalleeCreate: at(2), CalleeAnswer: at(3), CallerHangup: at(1003), CalleeHangup: at(1004)}
	return r
}

// BenchmarkCDREncode is the encoding half of CDRWriter.Write, each file's
// line alone, without the writes: the appending encoders (cdrencode.go)
// against encoding/csv and encoding/json on the same record (-ref).
func BenchmarkCDREncode(b *testing.B) {
	r := benchRecord()
	b.Run("csv-ref", func(b *testing.B) {
		w := csv.NewWriter(io.Discard)
		b.ReportAllocs()
		for b.Loop() {
			_ = w.Write(cdrRow(r))
		}
	})
	b.Run("csv", func(b *testing.B) {
		var line []byte
		b.ReportAllocs()
		for b.Loop() {
			line = appendCSVRow(line[:0], r)
		}
	})
	b.Run("jsonl-ref", func(b *testing.B) {
		enc := json.NewEncoder(io.Discard)
		b.ReportAllocs()
		for b.Loop() {
			_ = enc.Encode(r)
		}
	})
	b.Run("jsonl", func(b *testing.B) {
		var line []byte
		b.ReportAllocs()
		for b.Loop() {
			line, _ = appendJSONLine(line[:0], r)
		}
	})
}
