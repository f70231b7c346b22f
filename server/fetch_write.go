package server

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/twmb/franz-go/pkg/kbin"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/internal/zerocopy"
	"github.com/stratabroker/strata/partition"
	"github.com/stratabroker/strata/segment"
	"github.com/stratabroker/strata/topic"
)

// A Fetch response is written in pieces: the framing, encoded here by hand
// to the byte (TestFetchEncodingMatchesKmsg compares it with kmsg's
// encoding of the same response at every version), and each partition's
// record bytes, sent from the segment file with sendfile at the slice's
// position. Files without a descriptor (the in-memory filesystem of tests)
// are copied through a pooled buffer instead, and counted apart.

// fetchPart is one partition of a Fetch response.
type fetchPart struct {
	partition int32
	errCode   int16
	hw        int64
	lso       int64
	logStart  int64
	aborted   bool                  // read_committed: AbortedTransactions is read.Aborted (or empty), not null
	read      *partition.ReadResult // nil: no records
	counters  *topic.Counters       // the topic's, for bytes and records out
}

// countOut adds the part's records to its topic's counters: the bytes,
// and the offsets its whole batches span.
func (p *fetchPart) countOut() {
	var records int64
	for _, sl := range p.read.Slices {
		records += sl.LastOffset - sl.FirstOffset + 1
	}
	p.counters.Out(p.read.Bytes, records)
}

// fetchTopic is one topic of a Fetch response.
type fetchTopic struct {
	name  string   // v0-v12
	id    [16]byte // v13+
	parts []fetchPart
}

// fetchResponse is a Fetch response before encoding.
type fetchResponse struct {
	version   int16
	errCode   int16
	sessionID int32
	topics    []fetchTopic
	// throttleMs is throttle_time_ms (quotas.go).
	throttleMs int32
}

// hole is where file bytes go: after frame[:at], the slice's bytes.
type hole struct {
	at    int
	slice segment.Slice
}

// recordBytes is the total length of a partition's records.
func (p *fetchPart) recordBytes() int64 {
	if p.read == nil {
		return 0
	}
	var n int64
	for _, s := range p.read.Slices {
		n += s.Len
	}
	return n
}

// encode appends the whole response frame (size, header, body) to dst,
// leaving out record bytes: holes says where they go. The size prefix
// counts them.
func (f *fetchResponse) encode(dst []byte, corr int32, holes []hole) ([]byte, []hole) {
	v := f.version
	flexible := v >= 12
	start := len(dst)
	dst = appendResponseHeader(dst, corr, 1, flexible)
	if v >= 1 {
		dst = kbin.AppendInt32(dst, f.throttleMs) // ThrottleMillis
	}
	if v >= 7 {
		dst = kbin.AppendInt16(dst, f.errCode)
		dst = kbin.AppendInt32(dst, f.sessionID)
	}
	dst = appendArrayLen(dst, len(f.topics), flexible)
	var files int64
	for i := range f.topics {
		t := &f.topics[i]
		if v >= 13 {
			dst = kbin.AppendUuid(dst, t.id)
		} else if flexible {
			dst = kbin.AppendCompactString(dst, t.name)
		} else {
			dst = kbin.AppendString(dst, t.name)
		}
		dst = appendArrayLen(dst, len(t.parts), flexible)
		for j := range t.parts {
			p := &t.parts[j]
			dst = kbin.AppendInt32(dst, p.partition)
			dst = kbin.AppendInt16(dst, p.errCode)
			dst = kbin.AppendInt64(dst, p.hw)
			if v >= 4 {
				dst = kbin.AppendInt64(dst, p.lso)
			}
			if v >= 5 {
				dst = kbin.AppendInt64(dst, p.logStart)
			}
			if v >= 4 {
				// AbortedTransactions: null (read_uncommitted), or the
				// list of read_committed.
				var list []partition.AbortedTxn
				if p.read != nil {
					list = p.read.Aborted
				}
				switch {
				case flexible && p.aborted:
					dst = kbin.AppendCompactArrayLen(dst, len(list))
				case flexible:
					dst = append(dst, 0)
				case p.aborted:
					dst = kbin.AppendArrayLen(dst, len(list))
				default:
					dst = kbin.AppendInt32(dst, -1)
				}
				if p.aborted {
					for _, a := range list {
						dst = kbin.AppendInt64(dst, a.ProducerID)
						dst = kbin.AppendInt64(dst, a.FirstOffset)
						if flexible {
							dst = append(dst, 0) // tagged fields
						}
					}
				}
			}
			if v >= 11 {
				dst = kbin.AppendInt32(dst, -1) // PreferredReadReplica
			}
			n := p.recordBytes()
			if flexible {
				dst = kbin.AppendUvarint(dst, uint32(n+1))
			} else {
				dst = kbin.AppendInt32(dst, int32(n))
			}
			if p.read != nil {
				for _, s := range p.read.Slices {
					if s.Len > 0 {
						holes = append(holes, hole{at: len(dst) - start, slice: s})
					}
				}
			}
			files += n
			if flexible {
				dst = append(dst, 0) // partition tagged fields
			}
		}
		if flexible {
			dst = append(dst, 0) // topic tagged fields
		}
	}
	if flexible {
		dst = append(dst, 0) // response tagged fields
	}
	binary.BigEndian.PutUint32(dst[start:], uint32(int64(len(dst)-start-4)+files))
	return dst, holes
}

func appendArrayLen(dst []byte, n int, flexible bool) []byte {
	if flexible {
		return kbin.AppendCompactArrayLen(dst, n)
	}
	return kbin.AppendArrayLen(dst, n)
}

// fetchReply is a Fetch response ready to write.
type fetchReply struct {
	s    *Server
	resp *fetchResponse
}

// smallFetch is the most record bytes a response carries inline: they are
// read into the frame and the whole response goes out in one write. Below
// it, a sendfile and the writes around it cost more (three syscalls and as
// many TCP segments) than reading the bytes; bench/ W8 (10,000 one-record
// fetches a second) is where it shows. Above it, sendfile: no userspace copy.
const smallFetch = 16 << 10

// copyChunk is the buffer of the copy path (files without a descriptor).
const copyChunk = 64 << 10

func (r *fetchReply) write(c *conn, corr int32) error {
	bufp := getBuf(0)
	frame, holes := r.resp.encode((*bufp)[:0], corr, nil)
	defer func() {
		*bufp = frame[:0]
		putBuf(bufp)
	}()
	var total int64
	zero := c.raw != nil && zerocopy.Supported // every hole can go by sendfile
	for _, h := range holes {
		total += h.slice.Len
		if _, ok := h.slice.File.(vfs.FdFile); !ok {
			zero = false
		}
	}
	// One grant per reply, taken in one step (budget.go): the framing
	// buffer, plus the inline buffer or the copy chunk.
	framing := int64(cap(frame))
	if total <= smallFetch {
		need := framing + int64(bufCap(len(frame)+int(total)))
		got, ok := c.s.budget.tryAcquire(need)
		if !ok && !zero {
			got, ok = c.s.budget.acquire(need, c.rdone, c.s.done)
			if !ok {
				return net.ErrClosed
			}
		}
		if ok {
			defer c.s.budget.release(got)
			return c.writeInline(frame, holes, int(total))
		}
		// Short of budget: send the records with sendfile, as large
		// fetches are.
	}
	if !zero {
		// The copy path: the framing and the 64 KiB chunk. (Records sent
		// with sendfile take no grant: their framing buffer is already
		// allocated and is a few bytes per partition of the request.)
		got, ok := c.s.budget.acquire(framing+int64(bufCap(copyChunk)), c.rdone, c.s.done)
		if !ok {
			return net.ErrClosed
		}
		defer c.s.budget.release(got)
	}
	pos := 0
	for _, h := range holes {
		if h.at > pos {
			if _, err := c.nc.Write(frame[pos:h.at]); err != nil {
				return err
			}
			pos = h.at
		}
		if err := c.sendSlice(h.slice); err != nil {
			return err
		}
	}
	_, err := c.nc.Write(frame[pos:])
	return err
}

// writeInline writes frame with the holes' bytes read into it, in one write.
func (c *conn) writeInline(frame []byte, holes []hole, total int) error {
	bufp := getBuf(len(frame) + total)
	defer putBuf(bufp)
	out := *bufp
	pos, n := 0, 0
	for _, h := range holes {
		n += copy(out[n:], frame[pos:h.at])
		pos = h.at
		dst := out[n : n+int(h.slice.Len)]
		if m, err := h.slice.File.ReadAt(dst, h.slice.Pos); m < len(dst) {
			if err == nil || errors.Is(err, io.EOF) {
				err = errShortSlice
			}
			return fmt.Errorf("server: read %s at %d: %w", h.slice.File.Name(), h.slice.Pos, err)
		}
		n += len(dst)
	}
	n += copy(out[n:], frame[pos:])
	c.s.copiedBytes.Add(int64(total))
	_, err := c.nc.Write(out[:n])
	return err
}

// large reports whether the response carries more record bytes than go
// inline: its write (sendfile) can take long, so the write loop does it
// and the read loop goes on (conn.readLoop).
func (r *fetchReply) large() bool {
	var total int64
	for i := range r.resp.topics {
		for j := range r.resp.topics[i].parts {
			if rr := r.resp.topics[i].parts[j].read; rr != nil {
				total += rr.Bytes
			}
		}
	}
	return total > smallFetch
}

// release drops the reply's reads; the reply must not be written after.
func (r *fetchReply) release() {
	for i := range r.resp.topics {
		r.s.releaseParts(r.resp.topics[i].parts)
	}
}

// errShortSlice reports a segment file that ended before the bytes a
// fetch promised; the framing is already sent, so the connection ends.
var errShortSlice = errors.New("server: segment file shorter than its slice")

// sendSlice sends a slice's bytes: sendfile when the file has a
// descriptor and the connection a raw socket, else a buffered copy.
func (c *conn) sendSlice(s segment.Slice) error {
	if fd, ok := s.File.(vfs.FdFile); ok && c.raw != nil && zerocopy.Supported {
		n, err := zerocopy.Sendfile(c.raw, fd.Fd(), s.Pos, s.Len)
		c.s.sendfileBytes.Add(n)
		if err != nil {
			return fmt.Errorf("server: send %d bytes of %s at %d: %w", s.Len, s.File.Name(), s.Pos, err)
		}
		return nil
	}
	bufp := getBuf(int(min(s.Len, copyChunk)))
	defer putBuf(bufp)
	buf := *bufp
	for off := int64(0); off < s.Len; {
		n := int(min(int64(len(buf)), s.Len-off))
		m, err := s.File.ReadAt(buf[:n], s.Pos+off)
		if m < n {
			if err == nil || errors.Is(err, io.EOF) {
				err = errShortSlice
			}
			return fmt.Errorf("server: read %s at %d: %w", s.File.Name(), s.Pos+off, err)
		}
		if _, err := c.nc.Write(buf[:n]); err != nil {
			return err
		}
		c.s.copiedBytes.Add(int64(n))
		off += int64(n)
	}
	return nil
}
