package segment

import (
	"runtime/debug"
)

// Scan calls fn with each whole batch of the log in order, with its byte
// position, until fn returns false or an error, or the log ends (the log
// cleaner's read of an inactive segment). Each batch's frame is checked as
// Read checks it (a whole header, a length within the log, magic 2), not
// its CRC; a batch that fails ends Scan with an error wrapping ErrCorrupt.
// The batch is a slice of the log's read mapping (over vfs.OS) or of a
// buffer read with ReadAt: valid only during the call, never to be kept or
// modified. Scan holds the segment's read lock while it runs, so it must
// not be used on the active segment (a truncation would wait for it); a
// fault paging the mapping in ends it with an error wrapping EIO.
func (s *Segment) Scan(fn func(batch []byte, pos int64) (more bool, err error)) (err error) {
	if !s.hold() {
		return ErrClosed
	}
	defer s.Release()
	if err := s.use(); err != nil {
		return err
	}
	s.trunc.RLock()
	defer s.trunc.RUnlock()
	defer catchFault(s.base, &err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	v := s.view(s.size.Load())
	defer v.release()
	var buf []byte
	for pos := int64(0); pos < v.size; {
		b, err := v.batch(pos)
		if err != nil {
			return err
		}
		data, err := v.bytes(b, &buf)
		if err != nil {
			return err
		}
		more, err := fn(data, pos)
		if err != nil || !more {
			return err
		}
		pos += b.size
	}
	return nil
}
