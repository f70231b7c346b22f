package server

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/quota"
	"github.com/stratabroker/strata/tlsconf"
)

// Errors that end a connection. The client gets no response: Kafka closes
// the connection in the same cases.
var (
	errFrameTooLarge = errors.New("server: request frame over socket.request.max.bytes")
	errFrameTooSmall = errors.New("server: request frame shorter than a request header")
	errBadHeader     = errors.New("server: malformed request header")
	errBadRequest    = errors.New("server: malformed request body")
	errIdle          = errors.New("server: no room for a reply for connections.max.idle.ms")
)

const (
	// minFrame is the smallest request: api key, version, correlation ID
	// and client ID length.
	minFrame = 2 + 2 + 4 + 2
	// frameStep bounds how much memory a frame's declared size can make
	// the server allocate before the bytes actually arrive: frames above it
	// are read in growing steps (each step copies what came before). 4 MiB
	// holds a producer's request of several 1 MiB batches in one read with
	// no copy; it is what a silent connection can pin at most.
	frameStep = 4 << 20
	// largeFrames is how many bytes of frames above frameStep the broker
	// allocates whole, before their bytes arrive, across all connections
	// (Server.frames): such a frame is then read with no copy. Past it, a
	// large frame grows in steps as its bytes arrive, each step copying
	// what came before (kgo's multi-partition produce requests of 6 MiB
	// paid a 4 MiB copy each, 9 % of the broker's CPU on bench/ W3). A
	// client that announces frames and sends nothing pins at most this in
	// all, plus frameStep per connection.
	largeFrames = 64 << 20
	// replyQueue is how many replies a connection's read side may queue
	// ahead of its write side.
	replyQueue = 8
)

// conn is one client connection.
type conn struct {
	s      *Server
	nc     net.Conn
	raw    syscall.RawConn // nil when nc is not a TCP connection (tests over net.Pipe)
	br     *bufio.Reader
	l      *listener // nil on a connection of ServeFrame
	remote string

	// listenerName is the listener the connection came in on (PLAINTEXT,
	// SSL, a named listener, ...) and securityProtocol that listener's
	// protocol from listener.security.protocol.map (PLAINTEXT, SSL,
	// SASL_PLAINTEXT, SASL_SSL). Both are fixed at accept.
	listenerName, securityProtocol string
	// principal is who the connection acts as, Kafka's KafkaPrincipal
	// string: "User:ANONYMOUS" until TLS client authentication (the mapped
	// subject DN, after the handshake on a listener with ssl.client.auth)
	// or SASL authentication (the authenticated name) sets it. Only the
	// read goroutine touches it.
	principal string
	// rules map a TLS client certificate's DN to the principal
	// (ssl.principal.mapping.rules); nil off TLS listeners.
	rules *tlsconf.Rules
	// tokenAuth: the principal authenticated with a delegation token
	// (delegation_tokens.go); only the read goroutine touches it.
	tokenAuth bool
	// sasl is the SASL state (sasl.go); nil on a listener without SASL.
	sasl *saslConn

	// t times the request being read or handled (stats.go); only the read
	// goroutine touches it.
	t timing

	// softwareName and softwareVersion are what the client's ApiVersions
	// (v3+) said it is (KIP-511), for client metrics; only the read
	// goroutine touches them.
	softwareName, softwareVersion string

	// quota is the connection's quota resolution and throttleUntil the
	// end of its throttle (quotas.go); only the read goroutine touches them.
	quota            *quota.Handle
	throttleUntil    time.Time
	mutationThrottle int64 // ms, from the last CreateTopics/CreatePartitions/DeleteTopics

	replies chan pending
	wdone   chan struct{} // closed when the write loop ends
	rdone   chan struct{} // closed when the read loop ends
	// queued counts the replies handed to the write loop and not yet
	// written. Only the read loop raises it, so when it reads 0 the write
	// loop is idle and the read loop may write a reply itself, in order:
	// it does for every reply but a large fetch (sendfile, which may take
	// long), so a small request costs no goroutine hand-off, which is a
	// large part of its latency and CPU on loopback (bench/ W8).
	queued atomic.Int32

	// slot is the queued.max.requests slot of the request being read or
	// handled (queue.go); only the read goroutine touches it.
	slot slot
	// frameGrant is what the frame being read or handled holds of
	// Server.frames; only the read goroutine touches it.
	frameGrant int64

	// idle is connections.max.idle.ms; 0: none. It bounds how long the
	// read side waits for a request and each reply's write (armWrite).
	idle time.Duration
	// readBy is when the read side's idle time runs out; only the read
	// goroutine touches it.
	readBy time.Time
	// writeBy is the write deadline set last. Whichever goroutine writes
	// replies owns it: the write loop, or the read loop while queued is 0.
	writeBy time.Time
}

// pending is a reply with the correlation ID it answers.
type pending struct {
	corr int32
	r    reply
	t    timing
}

// reply is a response ready to be written.
type reply interface {
	// write writes the whole frame: size, response header, body.
	write(c *conn, corr int32) error
	// release drops what the reply holds (segment references), written or not.
	release()
}

// anonymous is the principal of a connection that has not authenticated,
// Kafka's KafkaPrincipal.ANONYMOUS.
const anonymous = "User:ANONYMOUS"

func newConn(s *Server, nc net.Conn, listenerName string) *conn {
	c := &conn{
		s:                s,
		nc:               nc,
		br:               bufio.NewReaderSize(nc, 16<<10),
		listenerName:     listenerName,
		securityProtocol: "PLAINTEXT",
		principal:        anonymous,
		remote:           nc.RemoteAddr().String(),
		replies:          make(chan pending, replyQueue),
		wdone:            make(chan struct{}),
		rdone:            make(chan struct{}),
	}
	if ms := s.cfg.ConnectionsMaxIdleMs; ms > 0 {
		c.idle = time.Duration(ms) * time.Millisecond
	}
	if sc, ok := nc.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			c.raw = raw
		}
	}
	return c
}

// serve runs the connection until either side ends it.
func (c *conn) serve() {
	defer c.s.forget(c)
	if !c.s.admit(c) { // limits.go: max.connections, max.connections.per.ip
		c.nc.Close()
		return
	}
	defer c.s.release(c)
	if c.s.connectionThrottled(c) { // quotas.go: connection_creation_rate
		c.nc.Close()
		return
	}
	if err := c.handshake(); err != nil { // tls.go: TLS listeners only
		c.nc.Close()
		c.s.log.Info("closing connection", "remote", c.remote, "listener", c.listenerName, "err", err)
		return
	}
	go c.writeLoop()
	err := c.readLoop()
	c.slot.release()
	close(c.rdone)
	close(c.replies)
	<-c.wdone
	c.nc.Close()
	switch {
	case err == nil, errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed), errors.Is(err, io.ErrUnexpectedEOF):
		c.s.log.Debug("connection closed", "remote", c.remote)
	default:
		c.s.log.Info("closing connection", "remote", c.remote, "err", err)
	}
}

func (c *conn) readLoop() error {
	for {
		if !c.throttleUntil.IsZero() && !c.waitThrottle() { // quotas.go: the muted channel
			return net.ErrClosed
		}
		if c.idle > 0 {
			c.readBy = time.Now().Add(c.idle)
			c.nc.SetReadDeadline(c.readBy)
		}
		bufp, err := c.readFrame()
		if err != nil {
			return err
		}
		c.t = timing{read: sinceEpoch()}
		// queued.max.requests: a whole frame waits here for a slot, and
		// the connection reads nothing more meanwhile (queue.go).
		if !c.s.slots.acquire(c.s.done) {
			putBuf(bufp)
			c.releaseFrame()
			return net.ErrClosed
		}
		c.slot.q, c.slot.held = c.s.slots, true
		c.t.slotted = sinceEpoch()
		corr, r, err := c.s.dispatch(c, *bufp)
		c.t.handled = sinceEpoch()
		putBuf(bufp)
		c.releaseFrame()
		c.slot.release()
		if err != nil {
			return err
		}
		if r == nil {
			c.t.observe(c.t.handled, c.t.handled)
			continue // acks=0 produce: no response
		}
		if f, ok := r.(*fetchReply); c.queued.Load() == 0 && (!ok || !f.large()) {
			c.armWrite()
			err := r.write(c, corr)
			c.t.observe(c.t.handled, sinceEpoch())
			r.release()
			if err != nil { // as in the write loop: the client went away or stopped reading
				c.s.log.Debug("write response", "remote", c.remote, "err", err)
				return net.ErrClosed
			}
			continue
		}
		c.queued.Add(1)
		if err := c.queue(pending{corr: corr, r: r, t: c.t}); err != nil {
			return err
		}
	}
}

// queue hands p to the write loop. While the queue is full the idle timer
// stays armed: a connection whose replies do not drain for
// connections.max.idle.ms since its last request began is closed, and
// every reply it queued is released (the write loop drops what it has not
// written once the connection fails). The write deadline (armWrite)
// usually ends it first.
func (c *conn) queue(p pending) error {
	select {
	case c.replies <- p:
		return nil
	default:
	}
	var idle <-chan time.Time
	if c.idle > 0 {
		t := time.NewTimer(time.Until(c.readBy))
		defer t.Stop()
		idle = t.C
	}
	select {
	case c.replies <- p:
		return nil
	case <-c.wdone:
	case <-idle:
		c.nc.Close() // ends a write stuck on the socket now
		p.r.release()
		return errIdle
	}
	p.r.release()
	return net.ErrClosed
}

// armWrite bounds the reply about to be written: it must be written within
// connections.max.idle.ms, else the write fails and the connection closes
// (a client that stops reading would otherwise park a sendfile, and the
// segment references of every queued reply, forever). The deadline is
// moved only when it is more than idle/64 short of a full idle period,
// which spares a timer update per small reply: each reply gets between
// 63/64 of the period and all of it.
func (c *conn) armWrite() {
	if c.idle <= 0 {
		return
	}
	by := time.Now().Add(c.idle)
	if by.Sub(c.writeBy) > c.idle/64 {
		c.writeBy = by
		c.nc.SetWriteDeadline(by)
	}
}

// readFrame reads one size-prefixed request into a pooled buffer. The size
// is checked before anything of that size is allocated, and reserved from
// queued.max.request.bytes before the frame is read (reserve). A frame above
// frameStep is allocated whole if Server.frames has room for it (held in
// c.frameGrant until releaseFrame), else it grows as its bytes arrive, so
// that a lying size prefix costs at most twice what the client really
// sent.
func (c *conn) readFrame() (*[]byte, error) {
	var size [4]byte
	if _, err := io.ReadFull(c.br, size[:]); err != nil {
		return nil, err
	}
	n := int64(int32(binary.BigEndian.Uint32(size[:])))
	if limit := c.frameLimit(); n > limit || n < 0 {
		return nil, fmt.Errorf("%w: %d bytes from %s, limit %d", errFrameTooLarge, n, c.remote, limit)
	}
	if n < minFrame && !c.saslRawMode() {
		return nil, fmt.Errorf("%w: %d bytes from %s", errFrameTooSmall, n, c.remote)
	}
	if !c.reserve(n) {
		return nil, net.ErrClosed
	}
	whole := n <= frameStep
	if !whole {
		if got, ok := c.s.frames.tryAcquire(n); ok && got == n {
			c.frameGrant, whole = got, true
		} else {
			c.s.frames.release(got) // clamped to the whole budget: not enough
		}
	}
	if whole {
		bufp := getBuf(int(n))
		if _, err := io.ReadFull(c.br, *bufp); err != nil {
			putBuf(bufp)
			c.releaseFrame()
			return nil, noEOF(err)
		}
		return bufp, nil
	}
	bufp := getBuf(frameStep)
	have := 0
	for {
		if _, err := io.ReadFull(c.br, (*bufp)[have:]); err != nil {
			putBuf(bufp)
			return nil, noEOF(err)
		}
		have = len(*bufp)
		if int64(have) == n {
			return bufp, nil
		}
		next := getBuf(int(min(int64(2*have), n)))
		copy(*next, *bufp)
		putBuf(bufp)
		bufp = next
	}
}

// reserve takes n bytes of queued.max.request.bytes for the frame about to
// be read (held in c.slot until the request is handled), waiting for them
// without reading when the pool is short, as Kafka mutes a channel under
// memory pressure. It reports false when the server shuts down first.
func (c *conn) reserve(n int64) bool {
	got, ok := c.s.reqBytes.tryAcquire(n)
	if !ok {
		if got, ok = c.s.reqBytes.acquire(n, c.s.done, nil); !ok {
			return false
		}
		if c.idle > 0 { // the wait was not the client's idleness
			c.readBy = time.Now().Add(c.idle)
			c.nc.SetReadDeadline(c.readBy)
		}
	}
	c.slot.pool, c.slot.bytes = c.s.reqBytes, got
	return true
}

// releaseFrame gives back what the last frame held of Server.frames.
func (c *conn) releaseFrame() {
	c.s.frames.release(c.frameGrant)
	c.frameGrant = 0
}

// noEOF turns a clean EOF in the middle of a frame into ErrUnexpectedEOF.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

func (c *conn) writeLoop() {
	defer close(c.wdone)
	var failed bool
	for p := range c.replies {
		if !failed {
			c.armWrite()
			start := sinceEpoch()
			if err := p.r.write(c, p.corr); err != nil {
				failed = true
				c.s.log.Debug("write response", "remote", c.remote, "err", err)
				c.nc.Close() // the read loop sees it and ends
			} else {
				p.t.observe(start, sinceEpoch())
			}
		}
		p.r.release()
		c.queued.Add(-1)
	}
}

// msgReply is a response encoded by kmsg.
type msgReply struct{ resp kmsg.Response }

func (m msgReply) write(c *conn, corr int32) error {
	bufp := getBuf(0)
	defer putBuf(bufp)
	b := appendResponseHeader((*bufp)[:0], corr, m.resp.Key(), m.resp.IsFlexible())
	b = m.resp.AppendTo(b)
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	*bufp = b
	_, err := c.nc.Write(b)
	return err
}

func (msgReply) release() {}

// rawReply is a response body the server encoded itself, written after a
// v0 response header.
type rawReply struct{ body []byte }

func (r rawReply) write(c *conn, corr int32) error {
	b := make([]byte, 0, 8+len(r.body))
	b = appendResponseHeader(b, corr, -1, false)
	b = append(b, r.body...)
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	_, err := c.nc.Write(b)
	return err
}

func (rawReply) release() {}

// appendResponseHeader appends a size placeholder and the response header:
// the correlation ID, then an empty tagged-field section for flexible
// responses, except ApiVersions, whose response header is always v0
// (KIP-511: a client that sent a version the broker does not know must
// still read the answer).
func appendResponseHeader(b []byte, corr int32, key int16, flexible bool) []byte {
	b = append(b, 0, 0, 0, 0)
	b = binary.BigEndian.AppendUint32(b, uint32(corr))
	if flexible && key != int16(kmsg.ApiVersions) {
		b = append(b, 0)
	}
	return b
}
