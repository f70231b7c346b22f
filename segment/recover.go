package segment

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"runtime/debug"

	"github.com/stratabroker/strata/index"
	"github.com/stratabroker/strata/recordbatch"
)

// tailState is what a walk of the batches from the offset index's last
// entry to the end of the log finds.
type tailState struct {
	next       int64 // the offset after the last batch; Base() when the log is empty
	maxTs      int64 // largest timestamp: the time index's last entry and the walked batches'
	maxOff     int64 // the last offset of the batch that first carried maxTs
	bytesSince int64 // bytes from the last indexed batch (or the start) to the end
}

// walkTail checks the offset index's last entry against the log and walks
// the batches after it to the end of v: each must be a batch whose offsets
// follow the previous one's. A batch that should have had an index entry
// (one that starts more than IndexIntervalBytes past the last indexed
// batch, Kafka's rule) makes the walk fail with ErrCorruptIndex when
// reindex is false (a truncated or stale index), or gets its entry when
// reindex is true (after TruncateTo). trunc must be held, and appendMu.
func (s *Segment) walkTail(v *view, reindex bool) (tailState, error) {
	t := tailState{next: s.base, maxTs: -1, maxOff: -1}
	if s.tim.Entries() > 0 {
		t.maxTs, t.maxOff = s.tim.LastEntry()
	}
	n := s.off.Entries()
	lastIdx, prevNext := int64(0), s.base
	if n > 0 {
		o, p := s.off.LastEntry()
		if p >= v.size {
			return t, fmt.Errorf("%w: segment %d: last offset index entry (%d, %d) lies past the log's %d bytes",
				index.ErrCorruptIndex, s.base, o, p, v.size)
		}
		b, err := v.batch(p)
		if err != nil {
			return t, fmt.Errorf("%w: segment %d: last offset index entry (%d, %d): %w", index.ErrCorruptIndex, s.base, o, p, err)
		}
		if b.last != o {
			return t, fmt.Errorf("%w: segment %d: last offset index entry (%d, %d) points at a batch ending at offset %d",
				index.ErrCorruptIndex, s.base, o, p, b.last)
		}
		lastIdx, prevNext = p, b.base
	}
	full := n >= s.opts.MaxIndexBytes/8
	interval := int64(s.opts.IndexIntervalBytes)
	for pos := lastIdx; pos < v.size; {
		b, err := v.batch(pos)
		if err != nil {
			return t, err
		}
		if b.base < prevNext || !s.Fits(b.last) {
			return t, fmt.Errorf("%w: segment %d: batch at %d holds offsets %d..%d after offset %d",
				ErrCorrupt, s.base, pos, b.base, b.last, prevNext-1)
		}
		if b.maxTs > t.maxTs {
			t.maxTs, t.maxOff = b.maxTs, b.last
		}
		if pos-lastIdx > interval && !full {
			if !reindex {
				return t, fmt.Errorf("%w: segment %d: no offset index entry for the batch at %d, %d bytes past the last indexed one",
					index.ErrCorruptIndex, s.base, pos, pos-lastIdx)
			}
			if err := s.off.Append(b.last, pos); err != nil {
				if !errors.Is(err, index.ErrIndexFull) {
					return t, fmt.Errorf("segment %d: %w", s.base, err)
				}
				full = true
			}
			if err := timeIndexError(s.tim.MaybeAppend(t.maxTs, t.maxOff)); err != nil {
				return t, fmt.Errorf("segment %d: %w", s.base, err)
			}
			lastIdx = pos
		}
		prevNext = b.last + 1
		pos += b.size
	}
	t.next = prevNext
	t.bytesSince = v.size - lastIdx
	if s.tim.Entries() > 0 {
		if ts, o := s.tim.LastEntry(); o >= t.next {
			return t, fmt.Errorf("%w: segment %d: last time index entry (%d, %d) is past the log's last offset %d",
				index.ErrCorruptIndex, s.base, ts, o, t.next-1)
		}
	}
	return t, nil
}

// timeIndexError filters what the time index says when it refuses an
// entry: the time index is a hint, and being full or meeting an entry out
// of order (its last entry and the segment's bookkeeping disagree about a
// timestamp) only makes timestamp lookups walk further. Other errors are
// I/O errors.
func timeIndexError(err error) error {
	if err == nil || errors.Is(err, index.ErrIndexFull) || errors.Is(err, index.ErrOutOfOrder) ||
		errors.Is(err, index.ErrRelativeOffset) {
		return nil
	}
	return err
}

// check runs the cheap checks of SanityCheck. appendMu must be held and
// the indexes open.
func (s *Segment) check() (t tailState, err error) {
	if err := s.off.SanityCheck(); err != nil {
		return t, err
	}
	if err := s.tim.SanityCheck(); err != nil {
		return t, err
	}
	s.trunc.RLock()
	defer s.trunc.RUnlock()
	defer catchFault(s.base, &err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	v := s.view(s.size.Load())
	defer v.release()
	return s.walkTail(&v, false)
}

// applyTail stores what walkTail found. appendMu must be held.
func (s *Segment) applyTail(t tailState) {
	s.next.Store(t.next)
	s.bytesSince = t.bytesSince
	s.maxMu.Lock()
	s.maxTs, s.maxOff, s.resolved = t.maxTs, t.maxOff, false
	s.maxMu.Unlock()
}

// SanityCheck checks, cheaply, that the indexes agree with the log: each
// index's own check (length, entries in strictly increasing order, offsets
// from the base); the offset index's last entry starts a batch that ends at
// its offset; the batches after it are well formed, in offset order, and
// none of them lacks the entry IndexIntervalBytes calls for; the time
// index's last offset is in the log. It loads the indexes if needed but
// does not repair anything: on an error (wrapping index.ErrCorruptIndex or
// ErrCorrupt) the caller calls Recover. A segment that fails is recovered
// anyway by the next method that needs its indexes.
//
// An index written with a larger IndexIntervalBytes than the segment's
// now fails the check (and is rebuilt) when the tail is long enough.
func (s *Segment) SanityCheck() error {
	if !s.hold() {
		return ErrClosed
	}
	defer s.Release()
	s.appendMu.Lock()
	defer s.appendMu.Unlock()
	if err := s.filesLocked(); err != nil {
		return err
	}
	t, err := s.check()
	if err != nil {
		s.state.Store(stateSuspect)
		return err
	}
	s.applyTail(t)
	s.state.Store(stateReady)
	return nil
}

// Recover checks every batch of the log from its start, as Kafka's
// LogSegment.recover does: the length (at least a header's worth and not
// past the end of the file), the magic, the CRC (recordbatch.CheckStored)
// and that offsets increase from the base offset and fit the relative
// offset range. It truncates the log at the first batch that fails (a torn
// tail, trailing zeros of a preallocated file, garbage) and rebuilds both
// indexes from the valid batches, with Kafka's index interval rule. It
// returns the number of bytes cut. An error reading the file is returned
// as is and cuts nothing.
//
// Recover must not run concurrently with Append (the caller serialises
// them); readers wait until it is done.
func (s *Segment) Recover() (truncatedBytes int64, err error) {
	if !s.hold() {
		return 0, ErrClosed
	}
	defer s.Release()
	s.appendMu.Lock()
	defer s.appendMu.Unlock()
	return s.recoverLocked()
}

// scanWindow is how much of the log Recover reads at a time; larger
// batches are checked in pieces.
const scanWindow = 1 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// recoverLocked is Recover with appendMu held.
func (s *Segment) recoverLocked() (int64, error) {
	if err := s.filesLocked(); err != nil {
		return 0, err
	}
	s.dirty.Store(true)
	s.trunc.Lock()
	defer s.trunc.Unlock()
	fileSize, err := s.f.Size()
	if err != nil {
		return 0, fmt.Errorf("segment %d: recover: %w", s.base, err)
	}
	s.off.Reset()
	s.tim.Reset()
	s.state.Store(stateSuspect) // until the scan completes
	sc := scanner{f: s.f, end: fileSize, buf: make([]byte, min(fileSize, scanWindow))}
	interval := int64(s.opts.IndexIntervalBytes)
	valid, lastIdx, next := int64(0), int64(0), s.base
	maxTs, maxOff := int64(-1), int64(-1)
	roll := int64(noRollTimestamp)
	offFull := false
	var stop error
	for {
		var info batchInfo
		info, stop = sc.batch(valid)
		if stop != nil {
			break
		}
		if info.base < next || !s.Fits(info.last) {
			stop = fmt.Errorf("%w: batch at %d holds offsets %d..%d after offset %d", ErrCorrupt, valid, info.base, info.last, next-1)
			break
		}
		if info.maxTs > maxTs {
			maxTs, maxOff = info.maxTs, info.last
		}
		if valid-lastIdx > interval {
			if !offFull {
				if err := s.off.Append(info.last, valid); err != nil {
					if !errors.Is(err, index.ErrIndexFull) {
						return 0, fmt.Errorf("segment %d: recover: %w", s.base, err)
					}
					offFull = true
				}
			}
			if err := timeIndexError(s.tim.MaybeAppend(maxTs, maxOff)); err != nil {
				return 0, fmt.Errorf("segment %d: recover: %w", s.base, err)
			}
			lastIdx = valid
		}
		if valid == 0 {
			roll = info.maxTs
		}
		valid += info.size
		next = info.last + 1
	}
	if !errors.Is(stop, errScanEnd) && !errors.Is(stop, ErrCorrupt) && !errors.Is(stop, recordbatch.ErrCorrupt) {
		return 0, fmt.Errorf("segment %d: recover: %w", s.base, stop) // cannot read: cut nothing
	}
	if valid < fileSize {
		if err := s.f.Truncate(valid); err != nil {
			return 0, fmt.Errorf("segment %d: recover: cut at %d: %w", s.base, valid, err)
		}
		s.log.Info("segment: recovery cut the log", "segment", s.logPathNow(),
			"valid", valid, "cut", fileSize-valid, "at", stop)
	}
	// Kafka appends the largest timestamp at the end of recovery, as a
	// closed segment has it.
	if err := timeIndexError(s.tim.MaybeAppend(maxTs, maxOff)); err != nil {
		return 0, fmt.Errorf("segment %d: recover: %w", s.base, err)
	}
	s.fileSize = valid
	s.size.Store(valid)
	s.next.Store(next)
	s.rollTs.Store(roll)
	s.bytesSince = valid - lastIdx
	s.maxMu.Lock()
	s.maxTs, s.maxOff, s.resolved = maxTs, maxOff, false
	s.maxMu.Unlock()
	s.state.Store(stateReady)
	return fileSize - valid, nil
}

// errScanEnd ends a scan: too few bytes are left for another batch.
var errScanEnd = errors.New("segment: end of the log")

// scanner reads a log front to back through a window, for Recover.
type scanner struct {
	f   io.ReaderAt
	end int64  // the file's size
	buf []byte // the window
	off int64  // file position of buf[0]
	n   int    // bytes of buf holding file data
}

// at returns the k bytes at pos, which must lie within the file and be no
// more than the window; reads go forward.
func (r *scanner) at(pos int64, k int) ([]byte, error) {
	if pos >= r.off && pos+int64(k) <= r.off+int64(r.n) {
		i := int(pos - r.off)
		return r.buf[i : i+k], nil
	}
	keep := 0
	if pos >= r.off && pos < r.off+int64(r.n) {
		keep = copy(r.buf, r.buf[pos-r.off:r.n])
	}
	r.off = pos
	want := int(min(int64(len(r.buf)), r.end-pos))
	n, err := r.f.ReadAt(r.buf[keep:want], pos+int64(keep))
	r.n = keep + n
	if r.n < k {
		if err == nil || errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: file shorter than it was", errScanEnd)
		}
		return nil, err
	}
	return r.buf[:k], nil
}

// batch checks the batch at pos: a header's worth of bytes left, a length
// not below the minimum that ends within the file, magic 2, a matching
// CRC. It returns errScanEnd, or an error wrapping ErrCorrupt or
// recordbatch.ErrCorrupt, for bytes that are not a batch, and the read
// error if the file cannot be read.
func (r *scanner) batch(pos int64) (batchInfo, error) {
	left := r.end - pos
	if left == 0 {
		return batchInfo{}, errScanEnd
	}
	if left < recordbatch.HeaderSize {
		return batchInfo{}, fmt.Errorf("%w: torn header: %d bytes at %d", ErrCorrupt, left, pos)
	}
	head, err := r.at(pos, recordbatch.HeaderSize)
	if err != nil {
		return batchInfo{}, err
	}
	size, err := recordbatch.BatchSize(head)
	if err != nil {
		return batchInfo{}, fmt.Errorf("at %d: %w", pos, err)
	}
	if int64(size) > left {
		return batchInfo{}, fmt.Errorf("%w: torn batch: %d bytes at %d, %d in the file", ErrCorrupt, size, pos, left)
	}
	var h recordbatch.Header
	if size <= len(r.buf) {
		b, err := r.at(pos, size)
		if err != nil {
			return batchInfo{}, err
		}
		if err := recordbatch.CheckStored(b); err != nil {
			return batchInfo{}, fmt.Errorf("at %d: %w", pos, err)
		}
		h = b
	} else {
		var hdr [recordbatch.HeaderSize]byte
		copy(hdr[:], head)
		h = hdr[:]
		if err := r.checkLarge(pos, int64(size), h); err != nil {
			return batchInfo{}, err
		}
	}
	if h.LastOffsetDelta() < 0 {
		return batchInfo{}, fmt.Errorf("%w: negative last offset delta at %d", ErrCorrupt, pos)
	}
	return batchInfo{pos: pos, size: int64(size), base: h.BaseOffset(), last: h.LastOffset(), maxTs: h.MaxTimestamp()}, nil
}

// checkLarge checks the magic and the CRC of a batch larger than the
// window, a window at a time.
func (r *scanner) checkLarge(pos, size int64, h recordbatch.Header) error {
	if m := h.Magic(); m != recordbatch.MagicV2 {
		return fmt.Errorf("%w: magic %d at %d", recordbatch.ErrCorrupt, m, pos)
	}
	var crc uint32
	for p, end := pos+recordbatch.OffAttributes, pos+size; p < end; {
		k := int(min(int64(len(r.buf)), end-p))
		b, err := r.at(p, k)
		if err != nil {
			return err
		}
		crc = crc32.Update(crc, castagnoli, b)
		p += int64(k)
	}
	if crc != h.CRC() {
		return fmt.Errorf("%w: crc %08x, computed %08x (batch at %d)", recordbatch.ErrCorrupt, h.CRC(), crc, pos)
	}
	return nil
}

// TruncateTo removes the batches whose base offset is offset or greater,
// and their index entries. A batch that holds offset but starts before it
// stays whole (Kafka's truncateTo drops it too; it is called on batch
// boundaries). Readers wait while it runs; a Slice obtained earlier may
// name bytes that are gone.
func (s *Segment) TruncateTo(offset int64) (err error) {
	if !s.hold() {
		return ErrClosed
	}
	defer s.Release()
	s.appendMu.Lock()
	defer s.appendMu.Unlock()
	if err := s.useLocked(); err != nil {
		return err
	}
	s.dirty.Store(true)
	s.trunc.Lock()
	defer s.trunc.Unlock()
	defer catchFault(s.base, &err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	size := s.size.Load()
	v := s.view(size)
	defer v.release()
	pos := int64(0)
	if o, p := s.off.Lookup(offset); p > 0 {
		if b, err := v.batch(p); err == nil && b.last == o {
			pos = p
		}
	}
	for pos < size {
		b, err := v.batch(pos)
		if err != nil {
			return err
		}
		if b.base >= offset {
			break
		}
		pos += b.size
	}
	if pos >= size {
		return nil
	}
	if err := s.TruncateTxnIndex(offset); err != nil {
		return err
	}
	s.size.Store(pos)
	s.off.TruncateTo(offset)
	s.tim.TruncateTo(offset)
	if err := s.f.Truncate(pos); err != nil {
		s.state.Store(stateSuspect)
		return fmt.Errorf("segment %d: truncate to %d bytes: %w", s.base, pos, err)
	}
	s.fileSize = pos
	v.size = pos
	t, err := s.walkTail(&v, true)
	if err != nil {
		s.state.Store(stateSuspect)
		return err
	}
	s.applyTail(t)
	if pos == 0 {
		s.rollTs.Store(noRollTimestamp)
	}
	return nil
}

// Seal finishes the active segment when the partition rolls (Kafka's
// onBecomeInactiveSegment): the largest timestamp goes into the time
// index, both indexes are trimmed to their entries (IndexFull is true
// afterwards), the .log loses its preallocated tail, the log and the
// indexes are fsynced, and the log's mapping shrinks to the log's size.
// A deleted segment is not sealed (ErrClosed): its files are going.
func (s *Segment) Seal() error {
	if !s.hold() {
		return ErrClosed
	}
	defer s.Release()
	s.appendMu.Lock()
	defer s.appendMu.Unlock()
	s.lifeMu.Lock()
	deleted := s.deleted
	s.lifeMu.Unlock()
	if deleted {
		return ErrClosed
	}
	if err := s.useLocked(); err != nil {
		return err
	}
	err := errors.Join(s.finishLocked(), s.off.Trim(), s.tim.Trim(), s.flush(), s.flushTxn())
	s.trunc.Lock()
	s.mapReadLocked(s.size.Load()) // give back the room the mapping kept for appends
	s.trunc.Unlock()
	return err
}

// finishLocked writes the final time index entry and trims the log's
// preallocated tail. appendMu must be held.
func (s *Segment) finishLocked() error {
	if !s.loaded.Load() { // evicted (trimmed then) or never used
		return nil
	}
	var errs []error
	s.maxMu.Lock()
	ts, off := s.maxTs, s.maxOff
	s.maxMu.Unlock()
	if err := s.tim.MaybeAppendFinal(ts, off); timeIndexError(err) != nil {
		errs = append(errs, fmt.Errorf("segment %d: %w", s.base, err))
	}
	size := s.size.Load()
	if n, err := s.f.Size(); err == nil && n > size {
		if err := s.f.Truncate(size); err != nil {
			errs = append(errs, fmt.Errorf("segment %d: trim the log to %d bytes: %w", s.base, size, err))
		} else {
			s.fileSize = size
		}
	}
	return errors.Join(errs...)
}

// Flush fsyncs the log and makes both indexes durable. It may run
// concurrently with Append (a flusher goroutine); it makes durable at
// least what was appended before it was called. A segment evicted with
// nothing written since its last Flush is not reopened.
func (s *Segment) Flush() error {
	if !s.hold() {
		return ErrClosed
	}
	defer s.Release()
	if !s.loaded.Load() {
		if !s.dirty.Load() {
			return s.flushTxn()
		}
		if err := s.files(); err != nil {
			return err
		}
	}
	return errors.Join(s.flush(), s.flushTxn())
}

// flush fsyncs a loaded segment. The caller holds a reference or appendMu.
func (s *Segment) flush() error {
	s.dirty.Store(false)
	err := s.f.Sync()
	if err != nil {
		err = fmt.Errorf("segment %d: fsync: %w", s.base, err)
	} else {
		err = errors.Join(s.off.Flush(), s.tim.Flush())
	}
	if err != nil {
		s.dirty.Store(true)
	}
	return err
}
