package segment

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/stratabroker/strata/index"
)

// TxnIndexSuffix is the transaction index's suffix (Kafka's .txnindex).
const TxnIndexSuffix = ".txnindex"

// TxnIndexPath is the path of the segment's transaction index.
func TxnIndexPath(dir string, base int64) string {
	return filepath.Join(dir, fileName(base, TxnIndexSuffix))
}

// The transaction index (index.AbortedTxn entries, Kafka's TransactionIndex)
// is the segment's fourth file, created by the first AppendAbortedTxn. It
// is small (one entry per aborted transaction) and kept in memory once
// read: no descriptor stays open for it (each append opens, writes and
// closes the file; Flush and Seal fsync it if it was written since), so
// it costs nothing against the file budget. Its path follows the other
// three through Rename, Delete and Retire. The partition writes it (it
// knows the transactions) and rebuilds it after a crash (ResetTxnIndex,
// then AppendAbortedTxn while it replays the log); Recover leaves it
// alone.
//
// txnMu guards the entries and txnDirty; it is taken after appendMu
// (TruncateTo) and before lifeMu (for the path).

// loadTxnLocked reads the index file the first time. txnMu must be held.
func (s *Segment) loadTxnLocked() error {
	if s.txnLoaded {
		return nil
	}
	// A rename (Retire, Delete, a swap's Rename) between reading the path
	// and opening the file would read a missing file as no entries: read
	// again until the path held still.
	for range 4 {
		s.lifeMu.Lock()
		path, deleted := s.txnPath, s.deleted
		s.lifeMu.Unlock()
		if deleted {
			return ErrClosed
		}
		entries, err := index.ReadTxnIndex(s.fs, path)
		if err != nil {
			return fmt.Errorf("segment %d: %w", s.base, err)
		}
		s.lifeMu.Lock()
		same := s.txnPath == path
		s.lifeMu.Unlock()
		if same {
			s.txns, s.txnLoaded = entries, true
			return nil
		}
	}
	return ErrClosed
}

// AbortedTxns returns the entries of the transaction index, oldest first.
// The slice must not be modified.
func (s *Segment) AbortedTxns() ([]index.AbortedTxn, error) {
	s.txnMu.Lock()
	defer s.txnMu.Unlock()
	if err := s.loadTxnLocked(); err != nil {
		return nil, err
	}
	return s.txns[:len(s.txns):len(s.txns)], nil
}

// CollectAbortedTxns is index.CollectAbortedTxns over the segment's
// transaction index (Kafka's LogSegment.collectAbortedTxns).
func (s *Segment) CollectAbortedTxns(fetchOffset, upperBound int64) ([]index.AbortedTxn, bool, error) {
	all, err := s.AbortedTxns()
	if err != nil {
		return nil, false, err
	}
	out, complete := index.CollectAbortedTxns(all, fetchOffset, upperBound)
	return out, complete, nil
}

// AppendAbortedTxn appends an entry to the transaction index (Kafka's
// TransactionIndex.append): its last offset must exceed the last entry's.
func (s *Segment) AppendAbortedTxn(a index.AbortedTxn) error {
	s.txnMu.Lock()
	defer s.txnMu.Unlock()
	if err := s.loadTxnLocked(); err != nil {
		return err
	}
	if n := len(s.txns); n > 0 && s.txns[n-1].LastOffset >= a.LastOffset {
		return fmt.Errorf("%w: aborted transaction ending at %d after one ending at %d", ErrInvalidArgument, a.LastOffset, s.txns[n-1].LastOffset)
	}
	if err := s.writeTxnLocked(int64(len(s.txns))*index.AbortedTxnSize, a.AppendEntry(nil), -1); err != nil {
		return err
	}
	s.txns = append(s.txns, a)
	return nil
}

// writeTxnLocked writes b at off in the index file (creating it), then,
// if truncate >= 0, truncates the file there. txnMu must be held.
func (s *Segment) writeTxnLocked(off int64, b []byte, truncate int64) error {
	s.lifeMu.Lock()
	path, deleted := s.txnPath, s.deleted
	s.lifeMu.Unlock()
	if deleted {
		return ErrClosed
	}
	f, err := s.fs.OpenRW(path)
	if err != nil {
		return fmt.Errorf("segment %d: open %s: %w", s.base, path, err)
	}
	if len(b) > 0 {
		_, err = f.WriteAt(b, off)
	}
	if err == nil && truncate >= 0 {
		err = f.Truncate(truncate)
	}
	s.txnDirty = true
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("segment %d: write %s: %w", s.base, path, err)
	}
	return nil
}

// ResetTxnIndex empties the transaction index (Kafka's reset; the
// partition's recovery then rebuilds it) and removes its file.
func (s *Segment) ResetTxnIndex() error {
	s.txnMu.Lock()
	defer s.txnMu.Unlock()
	s.lifeMu.Lock()
	path := s.txnPath
	s.lifeMu.Unlock()
	s.txns, s.txnLoaded, s.txnDirty = nil, true, false
	if err := s.fs.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("segment %d: reset %s: %w", s.base, path, err)
	}
	return nil
}

// TruncateTxnIndex drops the entries whose marker is at offset or above
// (Kafka's TransactionIndex.truncateTo).
func (s *Segment) TruncateTxnIndex(offset int64) error {
	s.txnMu.Lock()
	defer s.txnMu.Unlock()
	if err := s.loadTxnLocked(); err != nil {
		return err
	}
	n := len(s.txns)
	for n > 0 && s.txns[n-1].LastOffset >= offset {
		n--
	}
	if n == len(s.txns) {
		return nil
	}
	if err := s.writeTxnLocked(0, nil, int64(n)*index.AbortedTxnSize); err != nil {
		return err
	}
	s.txns = s.txns[:n:n]
	return nil
}

// flushTxn fsyncs the transaction index if it was written since the last
// flush.
func (s *Segment) flushTxn() error {
	s.txnMu.Lock()
	defer s.txnMu.Unlock()
	if !s.txnDirty {
		return nil
	}
	s.lifeMu.Lock()
	path := s.txnPath
	s.lifeMu.Unlock()
	f, err := s.fs.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		s.txnDirty = false
		return nil
	}
	if err != nil {
		return fmt.Errorf("segment %d: open %s: %w", s.base, path, err)
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("segment %d: fsync %s: %w", s.base, path, err)
	}
	s.txnDirty = false
	return nil
}
