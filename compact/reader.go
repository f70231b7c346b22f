package compact

import (
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/stratabroker/strata/recordbatch"
	"github.com/stratabroker/strata/segment"
)

// errAborted ends a pass that Remove or Close asked to stop, or whose
// segments retention took meanwhile: nothing is wrong with the log.
var errAborted = errors.New("compact: pass aborted")

// batchReader walks the batches of one segment's .log through a window of
// the cleaner's read buffer (log.cleaner.io.buffer.size), growing it only
// for a batch larger than the window (Kafka's growBuffersOrFail). Every
// batch is checked as recovery checks it (frame, magic, CRC): a batch that
// fails makes the partition uncleanable.
type batchReader struct {
	seg      *segment.Segment
	sl       segment.Slice
	pos, end int64  // next batch's position, end of the log
	buf      []byte // the window: file bytes [wpos, wpos+len(win))
	win      []byte
	wpos     int64
	base     int // the buffer's size to come back to
	throttle *Throttle
	read     int64 // bytes read from the file
}

// open starts reading s, which the caller has acquired.
func (r *batchReader) open(s *segment.Segment) error {
	r.seg, r.win, r.wpos = s, r.win[:0], 0
	if len(r.buf) < r.base {
		r.buf = make([]byte, r.base)
	}
	r.pos, r.end = 0, 0
	if s.Size() == 0 {
		return nil
	}
	sl, err := s.Read(s.Base(), math.MaxInt32, s.Size())
	switch {
	case errors.Is(err, segment.ErrOffsetNotFound):
		return nil
	case errors.Is(err, segment.ErrClosed):
		return errAborted
	case err != nil:
		return err
	}
	r.sl, r.pos, r.end = sl, sl.Pos, sl.Pos+sl.Len
	return nil
}

// next returns the next batch and its position, or io.EOF. The batch
// aliases the window: valid until the next call.
func (r *batchReader) next() (recordbatch.Header, int64, error) {
	if r.pos >= r.end {
		return nil, 0, io.EOF
	}
	if err := r.fill(recordbatch.HeaderSize); err != nil {
		return nil, 0, err
	}
	off := r.pos - r.wpos
	size, err := recordbatch.BatchSize(r.win[off:])
	if err != nil {
		return nil, 0, r.corrupt(err)
	}
	if int64(size) > r.end-r.pos {
		return nil, 0, r.corrupt(fmt.Errorf("batch of %d bytes, %d left in the log", size, r.end-r.pos))
	}
	if err := r.fill(size); err != nil {
		return nil, 0, err
	}
	off = r.pos - r.wpos
	b := r.win[off : off+int64(size)]
	if err := recordbatch.CheckStored(b); err != nil {
		return nil, 0, r.corrupt(err)
	}
	pos := r.pos
	r.pos += int64(size)
	return recordbatch.Header(b), pos, nil
}

func (r *batchReader) corrupt(err error) error {
	return fmt.Errorf("%w: segment %d at byte %d: %w", ErrUncleanable, r.seg.Base(), r.pos, err)
}

// fill makes the window hold n bytes from r.pos (n <= what is left).
func (r *batchReader) fill(n int) error {
	if r.pos >= r.wpos && r.pos+int64(n) <= r.wpos+int64(len(r.win)) {
		return nil
	}
	if n > len(r.buf) {
		r.buf = make([]byte, n)
	}
	want := min(int64(len(r.buf)), r.end-r.pos)
	m, err := r.sl.File.ReadAt(r.buf[:want], r.pos)
	if int64(m) < want {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("compact: read segment %d at byte %d: %w", r.seg.Base(), r.pos, err)
	}
	r.win, r.wpos = r.buf[:want], r.pos
	r.read += want
	r.throttle.wait(want)
	return nil
}

// shrink gives back a buffer grown for a large batch.
func (r *batchReader) shrink() {
	if len(r.buf) > r.base {
		r.buf = nil
	}
	r.win = nil
}
