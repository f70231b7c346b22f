package partition

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/recordbatch"
)

// Files of a partition directory besides the segments (see doc.go).
const (
	checkpointName = "partition.checkpoint"
	markerName     = ".strata_cleanshutdown"
	snapshotSuffix = ".snapshot"
	tmpSuffix      = vfs.TempSuffix
)

// errBadFile marks a state file that does not parse (wrong magic, size,
// version or CRC). Open treats such a file as absent.
var errBadFile = errors.New("partition: malformed state file")

// checkpoint is the durable part of a log's offsets. Layout (big-endian):
//
//	magic "SPCK" | version u16 = 1 | log start offset i64 | recovery point i64 | crc32c u32
//
// The CRC covers everything before it.
type checkpoint struct {
	logStart      int64
	recoveryPoint int64
}

const (
	checkpointMagic   = "SPCK"
	checkpointVersion = 1
	checkpointSize    = 4 + 2 + 8 + 8 + 4
)

func (c checkpoint) encode() []byte {
	b := make([]byte, 0, checkpointSize)
	b = append(b, checkpointMagic...)
	b = binary.BigEndian.AppendUint16(b, checkpointVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(c.logStart))
	b = binary.BigEndian.AppendUint64(b, uint64(c.recoveryPoint))
	return binary.BigEndian.AppendUint32(b, recordbatch.Checksum(b))
}

func decodeCheckpoint(b []byte) (checkpoint, error) {
	if err := checkFrame(b, checkpointMagic, checkpointVersion, checkpointSize); err != nil {
		return checkpoint{}, err
	}
	c := checkpoint{
		logStart:      int64(binary.BigEndian.Uint64(b[6:])),
		recoveryPoint: int64(binary.BigEndian.Uint64(b[14:])),
	}
	if c.logStart < 0 || c.recoveryPoint < 0 {
		return checkpoint{}, fmt.Errorf("%w: negative offset in checkpoint", errBadFile)
	}
	return c, nil
}

// marker is the clean-shutdown marker's content: the log end offset at
// Close, so that a clean open learns it without reading the log. Layout:
//
//	magic "SPCS" | version u16 = 1 | log end offset i64 | crc32c u32
type marker struct{ logEnd int64 }

const (
	markerMagic   = "SPCS"
	markerVersion = 1
	markerSize    = 4 + 2 + 8 + 4
)

func (m marker) encode() []byte {
	b := make([]byte, 0, markerSize)
	b = append(b, markerMagic...)
	b = binary.BigEndian.AppendUint16(b, markerVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(m.logEnd))
	return binary.BigEndian.AppendUint32(b, recordbatch.Checksum(b))
}

func decodeMarker(b []byte) (marker, error) {
	if err := checkFrame(b, markerMagic, markerVersion, markerSize); err != nil {
		return marker{}, err
	}
	m := marker{logEnd: int64(binary.BigEndian.Uint64(b[6:]))}
	if m.logEnd < 0 {
		return marker{}, fmt.Errorf("%w: negative log end offset in marker", errBadFile)
	}
	return m, nil
}

// checkFrame checks a state file's magic, version, exact size (size < 0:
// at least -size bytes) and trailing CRC-32C.
func checkFrame(b []byte, magic string, version uint16, size int) error {
	switch {
	case size >= 0 && len(b) != size, size < 0 && len(b) < -size:
		return fmt.Errorf("%w: %d bytes", errBadFile, len(b))
	case string(b[:4]) != magic:
		return fmt.Errorf("%w: magic %q, want %q", errBadFile, b[:4], magic)
	case binary.BigEndian.Uint16(b[4:]) != version:
		return fmt.Errorf("%w: version %d, want %d", errBadFile, binary.BigEndian.Uint16(b[4:]), version)
	}
	n := len(b) - 4
	if got, want := binary.BigEndian.Uint32(b[n:]), recordbatch.Checksum(b[:n]); got != want {
		return fmt.Errorf("%w: crc %08x, computed %08x", errBadFile, got, want)
	}
	return nil
}

// writeFileAtomic replaces dir/name with data (vfs.WriteFileAtomic); a
// crash leaves the old file or the new one, and perhaps a stray temporary,
// which Open removes.
func writeFileAtomic(fs vfs.FS, dir, name string, data []byte) error {
	return vfs.WriteFileAtomic(fs, dir, name, data)
}

// writeFileUnsynced replaces dir/name with data as writeFileAtomic does
// but fsyncs nothing: CloseUnsynced's owner makes it durable. A crash
// before then may leave the old file, the new one, a torn new one (which
// fails its CRC) or neither, and perhaps a stray temporary.
func writeFileUnsynced(fs vfs.FS, dir, name string, data []byte) error {
	final := filepath.Join(dir, name)
	tmp := final + tmpSuffix
	f, err := fs.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(data, 0); err != nil {
		return errors.Join(err, f.Close(), fs.Remove(tmp))
	}
	if err := f.Close(); err != nil {
		return errors.Join(err, fs.Remove(tmp))
	}
	if err := fs.Rename(tmp, final); err != nil {
		return errors.Join(err, fs.Remove(tmp))
	}
	return nil
}

// readSmallFile reads a whole file of at most limit bytes; a larger one is
// malformed (errBadFile).
func readSmallFile(fs vfs.FS, path string, limit int64) ([]byte, error) {
	b, err := vfs.ReadFile(fs, path, limit)
	if errors.Is(err, vfs.ErrFileTooLarge) {
		err = fmt.Errorf("%w: %w", errBadFile, err)
	}
	return b, err
}

// State is what the owner of a Managed log persisted for it.
type State struct {
	RecoveryPoint int64 // everything below is durable
	LogStart      int64
	// Clean: the owner closed the log cleanly (its clean-shutdown marker
	// was found), so RecoveryPoint is the log end offset and nothing is
	// scanned.
	Clean bool
}

// readState returns the log's checkpoint and whether it was closed
// cleanly, with its log end offset: from Options.State when the owner
// gave one, else from the log's own files (a standalone log, or a
// directory written before Managed existed). The log's own marker is
// removed (from here on a crash must recover); with the owner's state its
// own checkpoint goes too, as that state supersedes it.
func (l *Log) readState(d dirListing) (ck checkpoint, clean bool, logEnd int64, err error) {
	fsys := l.fs
	if l.managed && l.state != nil {
		st := *l.state
		ck = checkpoint{logStart: max(st.LogStart, 0), recoveryPoint: max(st.RecoveryPoint, 0)}
		clean, logEnd = st.Clean, ck.recoveryPoint
		if !d.marker && !d.checkpoint {
			return ck, clean, logEnd, nil
		}
		for _, name := range []string{markerName, checkpointName} {
			if err := fsys.Remove(filepath.Join(l.dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return ck, false, 0, err
			}
		}
		return ck, clean, logEnd, fsys.SyncDir(l.dir)
	}
	if d.checkpoint {
		switch b, err := readSmallFile(fsys, filepath.Join(l.dir, checkpointName), checkpointSize); {
		case err == nil:
			if ck, err = decodeCheckpoint(b); err != nil {
				l.logger.Warn("ignoring checkpoint", "dir", l.dir, "err", err)
				ck = checkpoint{}
			}
		case !errors.Is(err, fs.ErrNotExist):
			return ck, false, 0, err
		}
	}
	if d.marker {
		path := filepath.Join(l.dir, markerName)
		b, err := readSmallFile(fsys, path, markerSize)
		if err != nil {
			return ck, false, 0, err
		}
		if m, err := decodeMarker(b); err == nil {
			clean, logEnd = true, m.logEnd
		} else {
			l.logger.Warn("ignoring clean-shutdown marker", "dir", l.dir, "err", err)
		}
		// From here on a crash must recover.
		if err := fsys.Remove(path); err != nil {
			return ck, false, 0, err
		}
		if err := fsys.SyncDir(l.dir); err != nil {
			return ck, false, 0, err
		}
	}
	return ck, clean, logEnd, nil
}

// RecoveryPoint is the offset below which the log is known durable (on a
// cleanly closed log, its end offset): what a Managed log's owner
// persists as its recovery point.
func (l *Log) RecoveryPoint() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.recoveryPoint
}

// writeCheckpoint raises the recovery point to at least recoveryPoint
// (which must be durable) and persists it with the log start offset as it
// is now, in partition.checkpoint. ckMu makes the reads and the write one
// step, so a writer that read older values never overwrites a newer file.
//
// A Managed log writes no file: its owner persists RecoveryPoint and
// LogStartOffset. After a crash an older recovery point only costs a
// longer scan, and a log start offset at or below the first segment's
// base (retention's) is restored from the segments themselves; only a log
// start offset that DeleteRecords moved into the log must be durable
// before the call returns, so that one goes through PersistLogStart.
func (l *Log) writeCheckpoint(recoveryPoint int64) error {
	l.ckMu.Lock()
	defer l.ckMu.Unlock()
	if l.managed {
		l.mu.Lock()
		l.recoveryPoint = max(l.recoveryPoint, recoveryPoint)
		logStart := l.logStart
		persist := l.persistLS != nil && logStart > l.persistedLS && logStart > l.view.Load().segs[0].Base()
		l.mu.Unlock()
		if !persist {
			return nil
		}
		if err := l.persistLS(); err != nil {
			return err
		}
		l.mu.Lock()
		l.persistedLS = max(l.persistedLS, logStart)
		l.mu.Unlock()
		return nil
	}
	l.mu.Lock()
	ck := checkpoint{logStart: l.logStart, recoveryPoint: max(l.recoveryPoint, recoveryPoint)}
	l.mu.Unlock()
	if err := writeFileAtomic(l.fs, l.dir, checkpointName, ck.encode()); err != nil {
		return err
	}
	l.mu.Lock()
	l.recoveryPoint = ck.recoveryPoint
	l.mu.Unlock()
	return nil
}
