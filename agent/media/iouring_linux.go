package media

import (
	"errors"
	"fmt"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// ring is a minimal io_uring (Linux 5.6+) that issues many socket sends or
// reads with one system call. On this project's machine a system call costs
// about 1.3 µs before it does anything, the same again as the UDP work of a
// send, and a call leg sends and reads one packet per 20 ms on its own
// socket, so sendmmsg and recvmmsg (several packets of one socket) have
// nothing to batch; io_uring batches across sockets. Every operation is
// issued with MSG_DONTWAIT, so the kernel completes it during the submit
// call (done, or -EAGAIN for a packet the socket had no room or no data
// for) and nothing stays in flight between calls: the buffers and
// descriptors it names need to live only for the duration of submit.
//
// A ring is used by one goroutine at a time. Layouts and constants are the
// kernel's include/uapi/linux/io_uring.h.
type ring struct {
	fd      int
	sqRing  []byte
	cqRing  []byte // may be sqRing (IORING_FEAT_SINGLE_MMAP)
	sqeMem  []byte
	single  bool // cqRing is sqRing
	entries uint32

	sqHead, sqTail, sqMask *uint32
	sqArray                []uint32
	cqHead, cqTail, cqMask *uint32
	cqes                   []ioCQE
}

const (
	sysIOUringSetup = 425
	sysIOUringEnter = 426

	ioringOffSQRing = 0
	ioringOffCQRing = 0x8000000
	ioringOffSQEs   = 0x10000000

	ioringFeatSingleMmap  = 1 << 0
	ioringEnterGetEvents  = 1 << 0
	ioringOpSendmsg       = 9
	ioringOpRecv          = 27
	ringEntries           = 256
	msgDontwait           = syscall.MSG_DONTWAIT
	ioSQESize             = 64
	ioUringParamsSize     = 120
	sqOffHead, sqOffTail  = 40, 44
	sqOffMask, sqOffArray = 48, 64
	cqOffHead, cqOffTail  = 80, 84
	cqOffMask, cqOffCQEs  = 88, 100
)

// ioSQE is a submission queue entry, 64 bytes.
type ioSQE struct {
	opcode   uint8
	flags    uint8
	ioprio   uint16
	fd       int32
	off      uint64
	addr     uint64
	len      uint32
	msgFlags uint32
	userData uint64
	_        [24]byte
}

// ioCQE is a completion queue entry, 16 bytes.
type ioCQE struct {
	userData uint64
	res      int32
	flags    uint32
}

var errNoRing = errors.New("io_uring unavailable")

// newRing sets up a ring of ringEntries submissions. An error (a kernel
// without io_uring, or one a sandbox forbids) means: send and read one
// packet per system call instead.
func newRing() (*ring, error) {
	var params [ioUringParamsSize]byte
	fd, _, errno := syscall.Syscall(sysIOUringSetup, ringEntries, uintptr(unsafe.Pointer(&params[0])), 0)
	if errno != 0 {
		return nil, fmt.Errorf("%w: io_uring_setup: %w", errNoRing, errno)
	}
	u32 := func(off int) uint32 { return *(*uint32)(unsafe.Pointer(&params[off])) }
	r := &ring{fd: int(fd), entries: u32(0)}
	cqEntries := u32(4)
	sqSize := int(u32(sqOffArray)) + int(r.entries)*4
	cqSize := int(u32(cqOffCQEs)) + int(cqEntries)*16
	single := u32(20)&ioringFeatSingleMmap != 0
	r.single = single
	if single {
		sqSize = max(sqSize, cqSize)
	}
	var err error
	mmap := func(off int64, size int) []byte {
		if err != nil {
			return nil
		}
		var b []byte
		b, err = syscall.Mmap(r.fd, off, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED|syscall.MAP_POPULATE)
		return b
	}
	r.sqRing = mmap(ioringOffSQRing, sqSize)
	if single {
		r.cqRing = r.sqRing
	} else {
		r.cqRing = mmap(ioringOffCQRing, cqSize)
	}
	r.sqeMem = mmap(ioringOffSQEs, int(r.entries)*ioSQESize)
	if err != nil {
		r.close()
		return nil, fmt.Errorf("%w: mapping the rings: %w", errNoRing, err)
	}
	at := func(b []byte, off uint32) *uint32 { return (*uint32)(unsafe.Pointer(&b[off])) }
	r.sqHead, r.sqTail, r.sqMask = at(r.sqRing, u32(sqOffHead)), at(r.sqRing, u32(sqOffTail)), at(r.sqRing, u32(sqOffMask))
	r.sqArray = unsafe.Slice(at(r.sqRing, u32(sqOffArray)), r.entries)
	r.cqHead, r.cqTail, r.cqMask = at(r.cqRing, u32(cqOffHead)), at(r.cqRing, u32(cqOffTail)), at(r.cqRing, u32(cqOffMask))
	r.cqes = unsafe.Slice((*ioCQE)(unsafe.Pointer(&r.cqRing[u32(cqOffCQEs)])), cqEntries)
	return r, nil
}

func (r *ring) close() {
	maps := [][]byte{r.sqeMem, r.sqRing}
	if !r.single {
		maps = append(maps, r.cqRing)
	}
	for _, b := range maps {
		if b != nil {
			_ = syscall.Munmap(b)
		}
	}
	_ = syscall.Close(r.fd)
}

// submit issues ops (at most r.entries) and waits for all of them; res[i]
// gets op i's result: a byte count, or a negative errno.
func (r *ring) submit(ops []ioSQE, res []int32) error {
	n := uint32(len(ops))
	if n == 0 {
		return nil
	}
	tail := atomic.LoadUint32(r.sqTail)
	mask := *r.sqMask
	sqes := unsafe.Slice((*ioSQE)(unsafe.Pointer(&r.sqeMem[0])), r.entries)
	for i := range n {
		idx := (tail + i) & mask
		ops[i].userData = uint64(i)
		sqes[idx] = ops[i]
		r.sqArray[idx] = idx
	}
	atomic.StoreUint32(r.sqTail, tail+n)
	for done := uint32(0); done < n; {
		// An entry the kernel refused at preparation completes with its
		// error and stops that call's submission: the rest stay queued
		// and go with the next call.
		pending := atomic.LoadUint32(r.sqTail) - atomic.LoadUint32(r.sqHead)
		_, _, errno := syscall.Syscall6(sysIOUringEnter, uintptr(r.fd), uintptr(pending), uintptr(n-done), ioringEnterGetEvents, 0, 0)
		if errno != 0 && errno != syscall.EINTR {
			return fmt.Errorf("io_uring_enter: %w", errno)
		}
		head := atomic.LoadUint32(r.cqHead)
		ctail := atomic.LoadUint32(r.cqTail)
		for ; head != ctail; head++ {
			c := r.cqes[head&*r.cqMask]
			if c.userData < uint64(n) {
				res[c.userData] = c.res
			}
			done++
		}
		atomic.StoreUint32(r.cqHead, head)
	}
	return nil
}
