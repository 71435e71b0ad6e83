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
		k, from := readWithin(t, q, buf, i)
		require.Equal(t, 2, k)
		require.Equal(t, []byte{byte(i), 0xAB}, buf[:2], "datagram %d", i)
		assert.Equal(t, sender.LocalAddr().String(), from.String())
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

// TestQueuedConnSizesAndSenders: datagrams above and below the pooled
// buffer size come through whole and in order, a short one after a long
// one is not padded with the long one's bytes, and each names its own
// sender as net.UDPAddr would.
func TestQueuedConnSizesAndSenders(t *testing.T) {
	t.Parallel()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	q := newQueuedConn(c)
	t.Cleanup(func() { _ = q.Close() })
	var senders []*net.UDPConn
	for range 2 {
		s, err := net.DialUDP("udp", nil, c.LocalAddr().(*net.UDPAddr))
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		senders = append(senders, s)
	}
	fill := func(n int, b byte) []byte {
		d := make([]byte, n)
		for i := range d {
			d[i] = b + byte(i%7)
		}
		return d
	}
	sends := []struct {
		from int
		data []byte
	}{
		{0, fill(pooledDatagram, 1)},
		{1, fill(3, 2)},
		{0, fill(pooledDatagram+1000, 3)},
		{1, fill(1200, 4)},
		{0, fill(1, 5)},
	}
	buf := make([]byte, 65535)
	for i, s := range sends {
		_, err := senders[s.from].Write(s.data)
		require.NoError(t, err)
		k, from := readWithin(t, q, buf, i)
		require.Equal(t, s.data, buf[:k], "datagram %d", i)
		assert.Equal(t, senders[s.from].LocalAddr().String(), from.String(), "datagram %d", i)
		assert.Equal(t, "udp", from.Network())
	}
}

// readWithin reads datagram i from q into buf, failing the test if none
// comes within 5 s.
func readWithin(t *testing.T, q *queuedConn, buf []byte, i int) (int, net.Addr) {
	t.Helper()
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
		require.NoError(t, r.err, "datagram %d", i)
		return r.k, r.from
	case <-time.After(5 * time.Second):
		require.FailNowf(t, "datagram missing", "%d", i)
		return 0, nil
	}
}
