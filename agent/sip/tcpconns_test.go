package sip

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Closing the listener closes what it accepted and is still open: the peer
// reads EOF. A connection closed before leaves the set at once.
func TestClosingListenerClosesAcceptedConns(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	l := closeConnsOnClose(raw)
	accepted := make(chan net.Conn, 2)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", l.Addr().String())
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		return c
	}
	kept, dropped := dial(), dial()
	first, second := <-accepted, <-accepted
	require.Equal(t, 2, l.open())
	// Which accepted end belongs to which dialled one does not matter:
	// one is closed by its user, the other by the listener.
	require.NoError(t, second.Close())
	assert.Equal(t, 1, l.open(), "a closed connection leaves the set")
	require.NoError(t, l.Close())
	assert.Equal(t, 0, l.open())
	_, err = first.Write([]byte("x"))
	assert.ErrorIs(t, err, net.ErrClosed, "the listener closed the one still open")
	for _, c := range []net.Conn{kept, dropped} {
		require.NoError(t, c.SetReadDeadline(time.Now().Add(10*time.Second)))
		_, err := io.ReadAll(c)
		assert.NoError(t, err, "the peer reads to EOF, not to the deadline")
	}
}
