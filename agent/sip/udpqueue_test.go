package sip

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestQueuedConnDeliversInOrderAndCloses(t *testing.T) {
	t.Parallel()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	q := newQueuedConn(c)
	t.Cleanup(func() { _ = q.Close() })
	sender, err := net.DialUDP("udp", nil, c.LocalAddr().(*net.UDPAddr))
	require.NoError(t, err)
	defer sender.Close()

	// A burst small enough for the default socket buffer even before the
	// drain goroutine runs, so none is dropped by the kernel.
	const n = 50
	for i := range n {
		_, err := sender.Write([]byte{byte(i), 0xAB})
		require.NoError(t, err)
	}
	buf := make([]byte, 100)
	for i := range n {
		type read struct {
			k    int
			from net.Addr
			err  error
		}
		got := make(chan read, 1)
		go func() {
			k, from, err := q.ReadFrom(buf)
			got <- read{k, from, err}
		}()
		select {
		case r := <-got:
			require.NoError(t, r.err)
			require.Equal(t, 2, r.k)
			require.Equal(t, []byte{byte(i), 0xAB}, buf[:2], "datagram %d", i)
			assert.Equal(t, sender.LocalAddr().String(), r.from.String())
		case <-time.After(5 * time.Second):
			require.FailNowf(t, "datagram missing", "%d", i)
		}
	}

	done := make(chan error, 1)
	go func() {
		_, _, err := q.ReadFrom(buf)
		done <- err
	}()
	require.NoError(t, q.Close())
	select {
	case err := <-done:
		assert.ErrorIs(t, err, net.ErrClosed)
	case <-time.After(5 * time.Second):
		require.FailNow(t, "ReadFrom did not end at Close")
	}
}
