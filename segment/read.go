package segment

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"syscall"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/recordbatch"
)

// Slice is a byte range of whole batches of a segment's .log, for sendfile
// or pread: File's bytes [Pos, Pos+Len) hold the batches with offsets
// FirstOffset..LastOffset. File stays open while the reader holds a
// reference (Acquire); the reader must not close it. An empty Slice
// (Len == 0) has LastOffset == FirstOffset-1.
type Slice struct {
	File                    vfs.File
	Pos, Len                int64
	FirstOffset, LastOffset int64
}

// minBatchLength is the smallest legal BatchLength: a header and no records.
const minBatchLength = recordbatch.HeaderSize - recordbatch.LogOverhead

// batchInfo is what a header walk needs of one batch, copied out of the
// header so that the bytes it came from may be reused.
type batchInfo struct {
	pos, size  int64 // the batch's position in the log and its size in bytes
	base, last int64 // first and last offset
	maxTs      int64 // MaxTimestamp
}

// headerPool holds buffers for reading headers with ReadAt when the log is
// not mapped: a slice of a stack array passed to an interface method would
// escape.
var headerPool = sync.Pool{New: func() any { return new([recordbatch.HeaderSize]byte) }}

// view reads the batches of the first size bytes of the log, through the
// mapping where it covers them and with ReadAt elsewhere. trunc must be
// held (shared or exclusively) while it is used.
type view struct {
	s    *Segment
	size int64
	mb   []byte
	buf  *[recordbatch.HeaderSize]byte
}

func (s *Segment) view(size int64) view { return view{s: s, size: size, mb: s.mb} }

func (v *view) release() {
	if v.buf != nil {
		headerPool.Put(v.buf)
		v.buf = nil
	}
}

// batch reads the header of the batch at pos and checks that it is one:
// a whole header within the view, a length not below the minimum that ends
// within the view, and magic 2. It does not check the CRC.
func (v *view) batch(pos int64) (batchInfo, error) {
	if pos < 0 || v.size-pos < recordbatch.HeaderSize {
		return batchInfo{}, v.corrupt(pos, "no room for a batch header")
	}
	var h recordbatch.Header
	if end := pos + recordbatch.HeaderSize; end <= int64(len(v.mb)) {
		h = recordbatch.Header(v.mb[pos:end:end])
	} else {
		if v.buf == nil {
			v.buf = headerPool.Get().(*[recordbatch.HeaderSize]byte)
		}
		if _, err := v.s.f.ReadAt(v.buf[:], pos); err != nil {
			return batchInfo{}, fmt.Errorf("segment %d: read batch header at %d: %w", v.s.base, pos, err)
		}
		h = v.buf[:]
	}
	l := h.BatchLength()
	if l < minBatchLength {
		return batchInfo{}, v.corrupt(pos, "batch length below the minimum")
	}
	size := int64(l) + recordbatch.LogOverhead
	if size > v.size-pos {
		return batchInfo{}, v.corrupt(pos, "batch runs past the end of the log")
	}
	if h.Magic() != recordbatch.MagicV2 {
		return batchInfo{}, v.corrupt(pos, "magic is not 2")
	}
	d := h.LastOffsetDelta()
	if d < 0 {
		return batchInfo{}, v.corrupt(pos, "negative last offset delta")
	}
	base := h.BaseOffset()
	return batchInfo{pos: pos, size: size, base: base, last: base + int64(d), maxTs: h.MaxTimestamp()}, nil
}

func (v *view) corrupt(pos int64, what string) error {
	return fmt.Errorf("%w: segment %d, position %d of %d: %s", ErrCorrupt, v.s.base, pos, v.size, what)
}

// bytes returns the whole batch b: a slice of the mapping if it covers it,
// else read into *buf, grown as needed. The result is valid while trunc is
// held and *buf is not reused.
func (v *view) bytes(b batchInfo, buf *[]byte) ([]byte, error) {
	if end := b.pos + b.size; end <= int64(len(v.mb)) {
		return v.mb[b.pos:end:end], nil
	}
	if int64(cap(*buf)) < b.size {
		*buf = make([]byte, b.size)
	}
	p := (*buf)[:b.size]
	if _, err := v.s.f.ReadAt(p, b.pos); err != nil {
		return nil, fmt.Errorf("segment %d: read batch at %d: %w", v.s.base, b.pos, err)
	}
	return p, nil
}

// catchFault turns a memory fault raised while touching the log's mapping
// into an error (see mapping.go). The kernel raises SIGBUS when it cannot page the file in
// (an I/O error) or when the file was shrunk behind the segment's back;
// debug.SetPanicOnFault makes the runtime panic instead of crashing, and
// this recovers that panic. Any other panic goes on.
func catchFault(base int64, err *error) {
	r := recover()
	if r == nil {
		return
	}
	if re, ok := r.(runtime.Error); ok {
		if f, ok := re.(interface{ Addr() uintptr }); ok {
			*err = fmt.Errorf("segment %d: fault at %#x in the mapped log: %w", base, f.Addr(), syscall.EIO)
			return
		}
	}
	panic(r)
}

// Read returns the whole batches to send for a fetch at offset: starting
// with the batch that holds offset (or, in a gap, the first batch whose
// last offset is at least offset), as many consecutive batches as end
// within maxBytes of its start and at or before position maxPos, but at
// least the first batch however large (KIP-74). maxPos bounds what is
// exposed (the high watermark's position); it is clamped to Size(). If the
// first batch ends past maxPos the Slice is empty and starts at that
// batch. An offset past the last batch gives ErrOffsetNotFound.
//
// The start is found as Kafka's translateOffset does: the offset index's
// floor entry, then a walk of batch headers. An index entry that does not
// start a batch holding its offset is never trusted: Read walks from the
// start of the log instead and the indexes are rebuilt before the next
// call. The result never starts at a position that does not begin a batch
// holding the target offset (or the first later one). Read does not
// allocate.
func (s *Segment) Read(offset int64, maxBytes int, maxPos int64) (sl Slice, err error) {
	if !s.hold() {
		return Slice{}, ErrClosed
	}
	defer s.Release()
	if err := s.use(); err != nil {
		return Slice{}, err
	}
	s.trunc.RLock()
	defer s.trunc.RUnlock()
	defer catchFault(s.base, &err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	v := s.view(0)
	defer v.release()
	b, err := v.find(offset)
	if err != nil {
		return Slice{}, err
	}
	limit := min(v.size, max(maxPos, 0))
	sl = Slice{File: s.f, Pos: b.pos, FirstOffset: b.base, LastOffset: b.base - 1}
	if b.pos+b.size > limit {
		return sl, nil
	}
	want := limit
	if mb := max(int64(maxBytes), 0); mb < limit-b.pos {
		want = b.pos + mb
	}
	end, last := v.extend(b.pos+b.size, b.last, want)
	sl.Len, sl.LastOffset = end-b.pos, last
	return sl, nil
}

// find returns the first batch whose last offset is at least offset. It
// sets v.size to the published size, read after the index lookup so that
// every entry the lookup can see is either published or the entry of the
// batch being appended (whose position is then at or past v.size).
func (v *view) find(offset int64) (batchInfo, error) {
	o, p := v.s.off.Lookup(offset)
	v.size = v.s.size.Load()
	pos := int64(0)
	if p > 0 { // (base, 0) is also what Lookup returns when no entry is at most offset
		if p >= v.size {
			// The entry of a batch being appended: it and offset are not published yet.
			return batchInfo{}, ErrOffsetNotFound
		}
		switch b, err := v.batch(p); {
		case err != nil || b.last != o:
			v.s.markSuspect("offset index entry", p)
		case b.last >= offset:
			return b, nil
		default:
			pos = p + b.size
		}
	}
	for pos < v.size {
		b, err := v.batch(pos)
		if err != nil {
			return batchInfo{}, err
		}
		if b.last >= offset {
			return b, nil
		}
		pos += b.size
	}
	return batchInfo{}, ErrOffsetNotFound
}

// extend grows the range of whole batches that ends at end (whose last
// offset is last) with the following batches that end at or before want.
// Past one index interval it jumps with the offset index rather than
// walking every header. A batch that is not one stops the range there (and
// the log is recovered before the next call).
func (v *view) extend(end, last, want int64) (int64, int64) {
	if want-end > int64(v.s.opts.IndexIntervalBytes) {
		if e, l, ok := v.jump(end, want); ok {
			end, last = e, l
		}
	}
	for end < want {
		b, err := v.batch(end)
		if err != nil {
			v.s.markSuspect("batch header", end)
			break
		}
		if b.pos+b.size > want {
			break
		}
		end, last = b.pos+b.size, b.last
	}
	return end, last
}

// jump finds, with the offset index, the last indexed batch that lies
// wholly within (end, want] and returns its end and last offset.
func (v *view) jump(end, want int64) (int64, int64, bool) {
	x := v.s.off
	// The first entry positioned at or past want; entries' positions increase.
	lo, hi := 0, x.Entries()
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if _, p := x.Entry(mid); p < want {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	// The entry before it starts below want; if its batch ends past want,
	// the one before that ends at or before the next one's start.
	for i := lo - 1; i >= 0 && i >= lo-2; i-- {
		o, p := x.Entry(i)
		if p <= end {
			return 0, 0, false
		}
		b, err := v.batch(p)
		if err != nil || b.last != o {
			v.s.markSuspect("offset index entry", p)
			return 0, 0, false
		}
		if p+b.size <= want {
			return p + b.size, b.last, true
		}
	}
	return 0, 0, false
}
