package memconn

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/nettest"
)

// TestConnConformance runs the net.Conn conformance suite the Go project
// runs against net.Pipe and TCP: ping-pong, racing reads and writes,
// past, present and future deadlines, Close unblocking, concurrent use.
func TestConnConformance(t *testing.T) {
	nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
		a, b := Pipe("a", "b")
		return a, b, func() { a.Close(); b.Close() }, nil
	})
}

// TestConnOverListener is the same suite with the ends from Dial and Accept.
func TestConnOverListener(t *testing.T) {
	nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
		l := Listen("esl")
		accepted := make(chan net.Conn, 1)
		go func() {
			c, err := l.Accept()
			if err == nil {
				accepted <- c
			}
			close(accepted)
		}()
		c1, err = l.Dial(context.Background(), "tcp", "ignored")
		if err != nil {
			return nil, nil, nil, err
		}
		c2 = <-accepted
		return c1, c2, func() { c1.Close(); c2.Close(); l.Close() }, nil
	})
}

// A write returns once buffered, before anyone reads: the agent's event
// writer must not wait for the runner's reader, as with a socket buffer
// (net.Pipe would block here).
func TestWriteDoesNotWaitForTheReader(t *testing.T) {
	a, b := Pipe("a", "b")
	defer a.Close()
	defer b.Close()
	msg := []byte("Content-Type: text/event-plain\nContent-Length: 3\n\nabc")
	for range 3 {
		n, err := a.Write(msg)
		require.NoError(t, err)
		require.Equal(t, len(msg), n)
	}
	got := make([]byte, 3*len(msg))
	_, err := io.ReadFull(b, got)
	require.NoError(t, err)
	assert.Equal(t, string(msg)+string(msg)+string(msg), string(got))
}

func TestCloseAndEOF(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, a, b *Conn)
	}{
		{"the peer drains what was written, then EOF", func(t *testing.T, a, b *Conn) {
			_, err := a.Write([]byte("last words"))
			require.NoError(t, err)
			require.NoError(t, a.Close())
			got, err := io.ReadAll(b)
			require.NoError(t, err)
			assert.Equal(t, "last words", string(got))
		}},
		{"a write to a closed peer fails", func(t *testing.T, a, b *Conn) {
			require.NoError(t, b.Close())
			_, err := a.Write([]byte("x"))
			require.Error(t, err)
		}},
		{"a closed end's reads and writes return net.ErrClosed", func(t *testing.T, a, _ *Conn) {
			require.NoError(t, a.Close())
			_, err := a.Read(make([]byte, 1))
			require.ErrorIs(t, err, net.ErrClosed)
			_, err = a.Write([]byte("x"))
			require.ErrorIs(t, err, net.ErrClosed)
		}},
		{"a passed read deadline is a timeout", func(t *testing.T, a, _ *Conn) {
			require.NoError(t, a.SetReadDeadline(time.Unix(1, 0)))
			_, err := a.Read(make([]byte, 1))
			require.ErrorIs(t, err, os.ErrDeadlineExceeded)
			var ne net.Error
			require.ErrorAs(t, err, &ne)
			assert.True(t, ne.Timeout())
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := Pipe("a", "b")
			defer a.Close()
			defer b.Close()
			tt.run(t, a, b)
		})
	}
}

// A writer facing a full buffer waits until the reader takes bytes, and
// then finishes: back-pressure as a socket gives it.
func TestFullBufferWaitsForTheReader(t *testing.T) {
	a, b := Pipe("a", "b")
	defer a.Close()
	defer b.Close()
	big := make([]byte, MaxBuffered+1000)
	for i := range big {
		big[i] = byte(i)
	}
	done := make(chan error, 1)
	go func() {
		_, err := a.Write(big)
		done <- err
	}()
	got := make([]byte, len(big))
	_, err := io.ReadFull(b, got)
	require.NoError(t, err)
	require.NoError(t, <-done)
	assert.Equal(t, big, got)

	// Full and nobody reading: the write deadline ends the wait.
	_, err = a.Write(big[:MaxBuffered])
	require.NoError(t, err)
	require.NoError(t, a.SetWriteDeadline(time.Now().Add(50*time.Millisecond)))
	n, err := a.Write(big[:1])
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	assert.Zero(t, n)
}

func TestListener(t *testing.T) {
	l := Listen("embedded")
	assert.Equal(t, "embedded", l.Addr().String())
	assert.Equal(t, "memconn", l.Addr().Network())
	require.NoError(t, l.Close())
	_, err := l.Accept()
	require.ErrorIs(t, err, net.ErrClosed)
	_, err = l.Dial(context.Background(), "tcp", "")
	require.ErrorIs(t, err, syscall.ECONNREFUSED)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Listen("nobody-accepts").Dial(ctx, "tcp", "")
	require.True(t, errors.Is(err, context.Canceled), "%v", err)
}
