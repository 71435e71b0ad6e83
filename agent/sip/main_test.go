package sip

import (
	"io"
	"log/slog"
	"os"
	"testing"

	sipmsg "github.com/emiago/sipgo/sip"
)

// TestMain silences sipgo's process-wide default logger, which a few of its
// internals use instead of the profile's (e.g. "TCP ref went negative" when
// a closed TCP connection is released twice).
func TestMain(m *testing.M) {
	sipmsg.SetDefaultLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	os.Exit(m.Run())
}
