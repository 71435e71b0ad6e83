package media

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pion/rtp"
)

// receivers read every started session's socket: one goroutine per CPU
// (threads.go), each waiting on its share of the sockets with one level-triggered epoll
// set. The epoll descriptor itself sits in Go's network poller, so a
// receiver parks like any goroutine blocked on a socket and wakes when any
// of its sockets has a packet; then it asks the set which ones (epoll_wait
// with no timeout) and reads each of those once. One read per packet, one
// wake-up per batch: the busier the agent, the bigger the batches.
type receivers struct {
	rs   []*receiver
	next atomic.Uint32
}

// newReceivers makes n receivers (engineThreads chooses n).
func newReceivers(n int) *receivers {
	r := &receivers{rs: make([]*receiver, n)}
	for i := range r.rs {
		r.rs[i] = &receiver{}
	}
	return r
}

// add starts receiving s's packets, on the receivers in turn.
// The caller holds s.mu.
func (r *receivers) add(s *Session) error {
	rc := r.rs[int(r.next.Add(1))%len(r.rs)]
	if err := rc.add(s); err != nil {
		return err
	}
	s.rcv = rc
	return nil
}

// readOne reads and handles one packet of s's socket, if there is one.
// s.handling keeps Close from returning while the packet is handled.
func (s *Session) readOne(buf []byte, pkt *rtp.Packet) {
	s.handling.Lock()
	defer s.handling.Unlock()
	if s.rxStopped {
		return
	}
	n, ok := s.sock.read(buf)
	if !ok {
		return
	}
	s.handlePacket(buf[:n], pkt, time.Now())
}

// stopReceiving takes s off its receiver, waits for a packet being handled
// and closes the socket: after it no Tap, Sink or OnDTMF call is made.
func (s *Session) stopReceiving(rc *receiver) error {
	if rc != nil {
		rc.remove(s)
	}
	s.handling.Lock()
	defer s.handling.Unlock()
	s.rxStopped = true
	return s.sock.close()
}

// receiver is one epoll set and the goroutine that reads it. The goroutine
// runs while the set holds sockets: it starts with the first add and
// returns after the last remove, so nothing outlives the calls it serves.
type receiver struct {
	mu       sync.Mutex
	sessions map[int32]*Session // by socket descriptor
	ep       *os.File           // the epoll set; nil when not running
	epfd     int
}

func (rc *receiver) add(s *Session) error {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.ep == nil {
		fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			return fmt.Errorf("creating rtp epoll set: %w", err)
		}
		if err := syscall.SetNonblock(fd, true); err != nil {
			_ = syscall.Close(fd)
			return fmt.Errorf("creating rtp epoll set: %w", err)
		}
		rc.ep, rc.epfd = os.NewFile(uintptr(fd), "rtp-epoll"), fd
		rc.sessions = make(map[int32]*Session)
		go rc.run(rc.ep, rc.epfd)
	}
	fd := int32(s.sock.fd)
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: fd}
	if err := syscall.EpollCtl(rc.epfd, syscall.EPOLL_CTL_ADD, int(fd), &ev); err != nil {
		rc.stopIfEmptyLocked()
		return fmt.Errorf("watching rtp socket: %w", err)
	}
	rc.sessions[fd] = s
	return nil
}

// remove stops reading s's socket. The caller closes the socket after
// (udpSocket.close waits for a read of it in progress).
func (rc *receiver) remove(s *Session) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	fd := int32(s.sock.fd)
	if rc.sessions[fd] != s {
		return
	}
	delete(rc.sessions, fd)
	_ = syscall.EpollCtl(rc.epfd, syscall.EPOLL_CTL_DEL, int(fd), nil)
	rc.stopIfEmptyLocked()
}

// stopIfEmptyLocked wakes the goroutine to end it when no socket is left:
// a read deadline in the past makes its wait return. rc.mu is held.
func (rc *receiver) stopIfEmptyLocked() {
	if len(rc.sessions) == 0 && rc.ep != nil {
		_ = rc.ep.SetReadDeadline(time.Unix(1, 0))
	}
}

// run reads the set until it is empty. ep and epfd are this goroutine's
// set: once it returns, a later add makes a new one.
func (rc *receiver) run(ep *os.File, epfd int) {
	raw, err := ep.SyscallConn()
	if err != nil {
		panic(fmt.Sprintf("rtp epoll set is not pollable: %v", err)) // os.NewFile of a non-blocking fd always is
	}
	events := make([]syscall.EpollEvent, ringEntries)
	ready := make([]*Session, 0, ringEntries)
	var rb readBatch
	defer rb.close()
	for {
		err := raw.Read(func(uintptr) bool {
			for {
				n, err := syscall.EpollWait(epfd, events, 0)
				if err == syscall.EINTR {
					continue
				}
				if n <= 0 {
					return false // park until the set is readable again
				}
				ready = ready[:0]
				rc.mu.Lock()
				for _, ev := range events[:n] {
					if s := rc.sessions[ev.Fd]; s != nil {
						ready = append(ready, s)
					}
				}
				rc.mu.Unlock()
				rb.read(ready)
				// Let a woken wheel have this P before the next
				// batch: under a steady stream this loop may not park
				// for many milliseconds, and a wheel waiting behind it
				// sends late (pacer_linux.go).
				runtime.Gosched()
				clear(ready)
				// Level-triggered: a socket with more queued is in the
				// next answer. Park only once the set says nothing is
				// ready, since queued data wakes no one again.
			}
		})
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			panic(fmt.Sprintf("waiting on rtp epoll set: %v", err))
		}
		rc.mu.Lock()
		if len(rc.sessions) == 0 {
			rc.ep = nil
			rc.mu.Unlock()
			_ = ep.Close()
			return
		}
		_ = ep.SetReadDeadline(time.Time{})
		rc.mu.Unlock()
	}
}
