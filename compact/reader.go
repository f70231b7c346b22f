package compact

import (
	"errors"
	"fmt"

	"github.com/stratabroker/strata/recordbatch"
	"github.com/stratabroker/strata/segment"
)

// errAborted ends a pass that Remove or Close asked to stop, or whose
// segments retention took meanwhile: nothing is wrong with the log.
var errAborted = errors.New("compact: pass aborted")

// scan walks the batches of s, which the caller has acquired, with
// segment.Scan (through the log's read mapping: no copy), checks each as
// recovery does (frame, magic, CRC: one that fails makes the partition
// uncleanable), counts and throttles the bytes read and polls Abort. fn
// gets each batch (valid during the call only) and whether it is the
// segment's last.
//
// The bytes a pass has checked are remembered (c.checked): the copy
// phase does not check again what the map phase checked (segments do not
// change under a pass: they are inactive, and a swap or retention that
// takes one ends the pass).
func (c *Cleaner) scan(s *segment.Segment, st *PassStats, fn func(h recordbatch.Header, last bool) (bool, error)) error {
	size := s.Size()
	checked := c.checked[s]
	err := s.Scan(func(b []byte, pos int64) (bool, error) {
		if c.aborted() {
			return false, errAborted
		}
		end := pos + int64(len(b))
		if end > checked {
			if err := recordbatch.CheckStored(b); err != nil {
				return false, fmt.Errorf("%w: segment %d at byte %d: %w", ErrUncleanable, s.Base(), pos, err)
			}
			checked = end
			c.checked[s] = end
		}
		st.BytesRead += int64(len(b))
		c.throttle.wait(int64(len(b)))
		return fn(recordbatch.Header(b), pos+int64(len(b)) >= size)
	})
	switch {
	case errors.Is(err, segment.ErrCorrupt):
		return fmt.Errorf("%w: %w", ErrUncleanable, err)
	case errors.Is(err, segment.ErrClosed):
		return errAborted
	}
	return err
}
